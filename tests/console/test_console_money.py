"""Money at the console against a REAL wallet (its gRPC servicer in-process on its own database): idempotent
counter recharge, refund and reversal, scope (an operator of property A never reaches B's accounts),
all-or-nothing batches, validated amounts, receipts, a tenant's own accounts; wallet's Reconcile is ok after
every scenario. Plus the receipt's capital numerals on plain values."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import pytest
from console_clerks import Clerks
from sqlalchemy import text

from services.console.domain.money import capital_amount, yuan_text
from services.console.entrypoints.remote import remote_error
from services.console.entrypoints.wallet_client import WalletClient
from services.console.ports import Ports
from services.contracts.meterpay.v1 import wallet_pb2, wallet_pb2_grpc
from services.kit.clock import SystemClock
from services.kit.grpc import start_grpc_server
from services.wallet import main as wallet_main
from services.wallet.entrypoints.events import to_outgoing
from services.wallet.entrypoints.grpc import WalletGrpc
from services.wallet.service import reconciliation
from services.wallet.unit_of_work import WalletUnitOfWork

PASSWORD = "counter-pw-1234"


class TestCapitalAmount:
    @pytest.mark.parametrize(("fen", "text_"), [
        (10000, "壹佰元整"), (12345, "壹佰贰拾叁元肆角伍分"), (100005, "壹仟元零伍分"), (100400, "壹仟零肆元整"),
        (1000, "壹拾元整"), (50, "伍角"), (5, "伍分"), (0, "零元整"), (10050, "壹佰元伍角"),
        (168_032, "壹仟陆佰捌拾元叁角贰分"), (100_000_000, "壹佰万元整"), (100_050_000, "壹佰万零伍佰元整"),
        (101_000_000, "壹佰零壹万元整"), (1_000_000_500, "壹仟万零伍元整"), (1_100_000_000, "壹仟壹佰万元整"),
        (1_000_100_000, "壹仟万零壹仟元整"), (10_000_000_000, "壹亿元整"), (10_005_000_000, "壹亿零伍万元整"),
        (10_000_500_000, "壹亿零伍仟元整"), (11_000_000_000, "壹亿壹仟万元整"),
        (15_001_100_000, "壹亿伍仟零壹万壹仟元整"), (150_011_000_000, "壹拾伍亿零壹拾壹万元整"),
    ])
    def test_a_receipt_writes_the_amount_as_a_cheque_does(self, fen, text_):
        assert capital_amount(fen) == text_

    def test_a_negative_amount_is_a_bug_not_a_receipt(self):
        with pytest.raises(ValueError):
            capital_amount(-1)

    def test_yuan_text_has_no_float(self):
        assert (yuan_text(12345), yuan_text(5), yuan_text(-100_000_000)) == ("123.45", "0.05", "-1,000,000.00")


class Sms:
    """Keeps the login codes it would have texted (the tenant logs in by SMS code)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send_login_code(self, phone: str, code: str) -> None:
        self.sent.append((phone, code))

    def last_code(self, phone: str) -> str:
        return [code for to, code in self.sent if to == phone][-1]


def wallet_only(wallet: WalletClient) -> Ports:
    """Only wallet answers: a call to another service fails the test."""
    return Ports(acquisition=None, wallet=wallet, control=None, tariff=None, sms=Sms())  # type: ignore[arg-type]


@dataclass
class Wallet:
    client: WalletClient
    stub: wallet_pb2_grpc.WalletServiceStub
    sessions: object

    async def balance(self, account_id: str) -> int:
        return (await self.stub.GetAccount(wallet_pb2.GetAccountRequest(account_id=account_id))).balance_fen

    async def transfers(self, like: str = "console:%") -> int:
        async with self.sessions() as s:
            return (await s.execute(text("SELECT count(*) FROM transfers WHERE transfer_id LIKE :l"),
                                    {"l": like})).scalar()

    async def reconciled(self) -> None:
        reply = await self.stub.Reconcile(wallet_pb2.ReconcileRequest())
        assert reply.ok, reply.problems


@pytest.fixture
async def wallet(service_database):
    sessions = await service_database("wallet", wallet_main.MIGRATIONS)
    new_uow = lambda: WalletUnitOfWork(sessions, lambda: None, to_outgoing)  # noqa: E731
    server, port = await start_grpc_server("127.0.0.1", 0, [
        (wallet_pb2_grpc.add_WalletServiceServicer_to_server, WalletGrpc(new_uow, SystemClock()),
         "meterpay.v1.WalletService")])
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield Wallet(WalletClient(channel, timeout_s=5.0), wallet_pb2_grpc.WalletServiceStub(channel), sessions)
    await channel.close()
    await server.stop(0)
    result = await reconciliation.reconcile(new_uow())
    assert result.ok, result.problems   # ledger invariants after every scenario


async def _seed_people(sessions, paths: dict[str, str]) -> None:
    async with sessions() as s:
        for tag, phone in (("a", "13800000011"), ("b", "13800000022")):
            await s.execute(text("INSERT INTO tenants (tenant_id, name, phone, property_id, path)"
                                 " VALUES (:t, :n, :ph, :p, text2ltree(:pp))"),
                            {"t": f"T-{tag}", "n": f"商户{tag}", "ph": phone, "p": f"prop-{tag}",
                             "pp": paths[f"prop-{tag}"]})
            for n in (1, 2):
                await s.execute(text("INSERT INTO meters (meter_id, room_id, property_id, path)"
                                     " VALUES (:m, :r, :p, text2ltree(:rp))"),
                                {"m": f"M-{tag}{n}", "r": f"room-{tag}1", "p": f"prop-{tag}",
                                 "rp": paths[f"room-{tag}1"]})
        await s.commit()


@dataclass
class Counter(Clerks):
    wallet: Wallet


@pytest.fixture
async def counter(console_app, console_tree, console_sessions, make_operator, wallet) -> Counter:
    """Accounts A-a (property A) and A-b (property B), each opened through the console with 1000 fen."""
    await _seed_people(console_sessions, console_tree)
    await make_operator("cashier-a", PASSWORD, [("cashier", "prop-a")])
    await make_operator("manager-a", PASSWORD, [("park_manager", "prop-a")])
    await make_operator("hq", PASSWORD, [("hq_admin", "G")])
    console = await console_app(ports=wallet_only(wallet.client))
    headers = {name: await console.login(name, PASSWORD) for name in ("cashier-a", "manager-a", "hq")}
    c = Counter(console, headers, wallet)
    for tag in ("a", "b"):
        opened = await c.post("hq", "/api/v1/accounts", {"account_id": f"A-{tag}", "tenant_id": f"T-{tag}",
                                                        "meter_ids": [f"M-{tag}1"], "opening_balance_fen": 1000},
                              key=f"open-{tag}")
        assert opened.status_code == 201, opened.text
    return c


async def _movements(console_sessions, account_id: str) -> list[tuple[str, int]]:
    async with console_sessions() as s:
        rows = await s.execute(text("SELECT kind, amount_fen FROM money_movements WHERE account_id = :a"
                                    " ORDER BY created_at"), {"a": account_id})
        return [(r.kind, r.amount_fen) for r in rows]


class TestOpening:
    async def test_an_opened_account_is_in_wallet_and_placed_here_with_its_opening_money(self, counter,
                                                                                        console_sessions):
        detail = await counter.get("manager-a", "/api/v1/accounts/A-a")
        assert detail.status_code == 200, detail.text
        body = detail.json()
        assert (body["property_id"], body["tenant_id"], body["meter_ids"], body["balance_fen"], body["live"]) == (
            "prop-a", "T-a", ["M-a1"], 1000, True)
        assert await counter.wallet.balance("A-a") == 1000
        assert await _movements(console_sessions, "A-a") == [("opening", 1000)]
        listed = await counter.get("manager-a", "/api/v1/accounts")
        assert [(a["account_id"], a["property_id"]) for a in listed.json()["items"]] == [("A-a", "prop-a")]
        await counter.wallet.reconciled()

    async def test_a_meter_of_another_account_or_out_of_scope_cannot_open_one(self, counter):
        taken = await counter.post("manager-a", "/api/v1/accounts", {
            "account_id": "A-x", "tenant_id": "T-a", "meter_ids": ["M-a1"]}, key="x1")
        assert taken.status_code == 409, taken.text
        elsewhere = await counter.post("manager-a", "/api/v1/accounts", {
            "account_id": "A-y", "tenant_id": "T-a", "meter_ids": ["M-b2"]}, key="x2")
        assert elsewhere.status_code == 404, elsewhere.text
        assert "M-b2" in elsewhere.json()["error"]["message_en"]
        await counter.wallet.reconciled()


class TestRecharge:
    async def test_two_requests_with_one_key_post_one_transfer_and_answer_the_same(self, counter, console_sessions):
        first = await counter.post("cashier-a", "/api/v1/accounts/A-a/recharges", {"amount_fen": 5000}, key="dbl")
        second = await counter.post("cashier-a", "/api/v1/accounts/A-a/recharges", {"amount_fen": 5000}, key="dbl")
        assert first.status_code == second.status_code == 201, (first.text, second.text)
        assert first.json() == second.json()
        assert first.json()["balance_after_fen"] == 6000
        assert await counter.wallet.transfers("console:recharge:%") == 1
        assert await counter.wallet.balance("A-a") == 6000
        assert await _movements(console_sessions, "A-a") == [("opening", 1000), ("recharge", 5000)]
        await counter.wallet.reconciled()

    async def test_the_same_key_with_another_amount_is_a_conflict_and_posts_nothing(self, counter):
        await counter.post("cashier-a", "/api/v1/accounts/A-a/recharges", {"amount_fen": 5000}, key="k")
        again = await counter.post("cashier-a", "/api/v1/accounts/A-a/recharges", {"amount_fen": 7000}, key="k")
        assert again.status_code == 409, again.text
        assert await counter.wallet.balance("A-a") == 6000
        assert await counter.wallet.transfers("console:recharge:%") == 1
        await counter.wallet.reconciled()

    async def test_an_operator_of_property_a_cannot_recharge_an_account_of_property_b(self, counter,
                                                                                      console_sessions):
        for who in ("cashier-a", "manager-a"):
            answer = await counter.post(who, "/api/v1/accounts/A-b/recharges", {"amount_fen": 100}, key=f"b-{who}")
            assert answer.status_code == 404, answer.text
            assert answer.json()["error"]["code"] == "not_found"
        assert (await counter.get("cashier-a", "/api/v1/accounts/A-b")).status_code == 404
        assert await counter.wallet.balance("A-b") == 1000
        assert await counter.wallet.transfers("console:%") == 0
        assert await _movements(console_sessions, "A-b") == [("opening", 1000)]
        await counter.wallet.reconciled()

    @pytest.mark.parametrize("amount", [0, -100, 100.5, "100", 100_000_001, 2**63, 10**30, None, True])
    async def test_a_bad_amount_is_refused_before_wallet(self, counter, amount):
        answer = await counter.post("cashier-a", "/api/v1/accounts/A-a/recharges", {"amount_fen": amount},
                                    key=f"bad-{amount}")
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert error["code"] == "invalid_request" and error["message_zh"].startswith("请求参数有误")
        assert await counter.wallet.transfers("console:%") == 0

    async def test_a_recharge_without_an_idempotency_key_is_refused(self, counter):
        answer = await counter.post("cashier-a", "/api/v1/accounts/A-a/recharges", {"amount_fen": 100}, key=None)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["code"] == "idempotency_key_required"
        assert await counter.wallet.transfers("console:%") == 0

    async def test_the_receipt_prints_the_amount_in_capital_numerals(self, counter):
        posted = (await counter.post("cashier-a", "/api/v1/accounts/A-a/recharges", {"amount_fen": 10000})).json()
        receipt = await counter.get("cashier-a", f"/api/v1/accounts/A-a/movements/{posted['transfer_id']}/receipt")
        assert receipt.status_code == 200, receipt.text
        r = receipt.json()
        assert (r["amount_fen"], r["amount_yuan"], r["amount_capital"], r["channel_zh"], r["operator"],
                r["balance_after_fen"], r["tenant_name"], r["room_names"], r["meter_ids"]) == (
            10000, "100.00", "壹佰元整", "现金", "cashier-a", 11000, "商户a", ["room-a1"], ["M-a1"])
        assert r["receipt_no"] and len(r["copies"]) == 3
        again = (await counter.get("cashier-a", f"/api/v1/accounts/A-a/movements/{posted['transfer_id']}/receipt"))
        assert again.json()["receipt_no"] == r["receipt_no"]
        await counter.wallet.reconciled()


class TestRefundAndReversal:
    async def test_a_refund_then_a_reversal_of_the_recharge(self, counter, console_sessions):
        recharge = (await counter.post("manager-a", "/api/v1/accounts/A-a/recharges", {"amount_fen": 2000},
                                       key="r1")).json()
        refund = await counter.post("manager-a", "/api/v1/accounts/A-a/refunds", {"amount_fen": 500}, key="f1")
        assert refund.status_code == 201 and refund.json()["balance_after_fen"] == 2500, refund.text
        reversal = await counter.post("manager-a", "/api/v1/accounts/A-a/reversals",
                                      {"transfer_id": recharge["transfer_id"], "reason": "录错金额"}, key="v1")
        assert reversal.status_code == 201, reversal.text
        assert (reversal.json()["reverses_transfer_id"], reversal.json()["balance_after_fen"]) == (
            recharge["transfer_id"], 500)
        assert await counter.wallet.balance("A-a") == 500
        kinds = [k for k, _ in await _movements(console_sessions, "A-a")]
        assert kinds == ["opening", "recharge", "refund", "reversal"]
        listed = (await counter.get("manager-a", "/api/v1/accounts/A-a/movements")).json()
        assert [m["kind"] for m in listed["items"]] == ["reversal", "refund", "recharge", "opening"]
        await counter.wallet.reconciled()

    async def test_a_refund_over_the_balance_is_refused_in_chinese_and_english(self, counter):
        answer = await counter.post("manager-a", "/api/v1/accounts/A-a/refunds", {"amount_fen": 1001}, key="f2")
        assert answer.status_code == 400, answer.text
        assert "退费金额不能超过余额" in answer.json()["error"]["message_zh"]
        assert await counter.wallet.balance("A-a") == 1000
        await counter.wallet.reconciled()

    async def test_only_entries_of_the_account_recorded_here_are_reversed(self, counter):
        b_opening = "opening:A-b"
        other = await counter.post("manager-a", "/api/v1/accounts/A-a/reversals",
                                   {"transfer_id": b_opening, "reason": "x"}, key="v2")
        assert other.status_code == 404, other.text
        out_of_scope = await counter.post("manager-a", "/api/v1/accounts/A-b/reversals",
                                          {"transfer_id": b_opening, "reason": "x"}, key="v3")
        assert out_of_scope.status_code == 404, out_of_scope.text
        cashier = await counter.post("cashier-a", "/api/v1/accounts/A-a/reversals",   # a cashier may not reverse
                                     {"transfer_id": "opening:A-a", "reason": "x"}, key="v4")
        assert cashier.status_code == 404, cashier.text
        assert await counter.wallet.balance("A-b") == 1000
        await counter.wallet.reconciled()


class TestBatches:
    async def test_a_batch_with_an_account_out_of_scope_is_refused_entirely(self, counter):
        body = {"kind": "topup", "items": [{"account_id": "A-a", "amount_fen": 100},
                                           {"account_id": "A-b", "amount_fen": 100},
                                           {"account_id": "nope", "amount_fen": 100}]}
        answer = await counter.post("manager-a", "/api/v1/account-batches", body, key="b1")
        assert answer.status_code == 404, answer.text
        assert "A-b, nope" in answer.json()["error"]["message_en"]
        assert (await counter.wallet.balance("A-a"), await counter.wallet.balance("A-b")) == (1000, 1000)
        assert await counter.wallet.transfers("console:%") == 0
        await counter.wallet.reconciled()

    async def test_a_batch_in_scope_posts_every_item_once(self, counter):
        body = {"kind": "topup", "items": [{"account_id": "A-a", "amount_fen": 300},
                                           {"account_id": "A-b", "amount_fen": 400}]}
        first = await counter.post("hq", "/api/v1/account-batches", body, key="b2")
        second = await counter.post("hq", "/api/v1/account-batches", body, key="b2")
        assert first.status_code == 201 and first.json() == second.json(), first.text
        assert (first.json()["posted"], first.json()["total_fen"]) == (2, 700)
        refund = {"kind": "refund", "items": [{"account_id": "A-a", "amount_fen": 5000}]}   # over the balance
        refused = await counter.post("hq", "/api/v1/account-batches", refund, key="b3")
        assert refused.status_code == 400, refused.text
        assert (await counter.wallet.balance("A-a"), await counter.wallet.balance("A-b")) == (1300, 1400)
        await counter.wallet.reconciled()


class TestAccountLife:
    async def test_closing_pays_back_the_balance_and_frees_the_meters(self, counter, console_sessions):
        closed = await counter.post("manager-a", "/api/v1/accounts/A-a/closure", {"channel": "cash"}, key="c1")
        assert closed.status_code == 200, closed.text
        assert closed.json()["paid_back_fen"] == 1000
        detail = (await counter.get("manager-a", "/api/v1/accounts/A-a")).json()
        assert (detail["status"], detail["meter_ids"]) == ("closed", [])
        reopened = await counter.post("manager-a", "/api/v1/accounts", {
            "account_id": "A-a2", "tenant_id": "T-a", "meter_ids": ["M-a1"]}, key="c2")
        assert reopened.status_code == 201, reopened.text
        await counter.wallet.reconciled()

    async def test_a_meter_replacement_moves_the_account_to_the_new_meter(self, counter):
        replaced = await counter.post("manager-a", "/api/v1/accounts/A-a/meter-replacements",
                                      {"old_meter_id": "M-a1", "new_meter_id": "M-a2"}, key="m1")
        assert replaced.status_code == 200, replaced.text
        detail = (await counter.get("manager-a", "/api/v1/accounts/A-a")).json()
        assert detail["meter_ids"] == ["M-a2"]
        assert list((await counter.wallet.client.get_account("A-a")).meter_ids) == ["M-a2"]
        await counter.wallet.reconciled()


class TestTenantSelf:
    async def test_a_tenant_sees_his_account_and_orders_a_payment_but_never_another_tenants(self, counter):
        tenant = await counter.console.login("13800000011", None)
        mine = await counter.console.client.get("/api/v1/me/accounts", headers=tenant)
        assert [a["account_id"] for a in mine.json()["items"]] == ["A-a"], mine.text
        detail = await counter.console.client.get("/api/v1/me/accounts/A-a", headers=tenant)
        assert (detail.json()["balance_fen"], detail.json()["live"]) == (1000, True)
        assert (await counter.console.client.get("/api/v1/me/accounts/A-b", headers=tenant)).status_code == 404
        headers = {**tenant, "Idempotency-Key": "pay-1"}
        order = await counter.console.client.post("/api/v1/me/accounts/A-a/payment-orders",
                                                  json={"channel": "wechat", "amount_fen": 3000}, headers=headers)
        assert order.status_code == 201, order.text
        assert (order.json()["status"], order.json()["amount_fen"]) == ("created", 3000)
        foreign = await counter.console.client.post("/api/v1/me/accounts/A-b/payment-orders",
                                                    json={"channel": "wechat", "amount_fen": 3000},
                                                    headers={**tenant, "Idempotency-Key": "pay-2"})
        assert foreign.status_code == 404, foreign.text
        assert (await counter.console.client.get("/api/v1/accounts", headers=tenant)).status_code == 404
        await counter.wallet.reconciled()


class TestRemoteErrors:
    @pytest.mark.parametrize(("code", "status", "error_code"), [
        (grpc.StatusCode.INVALID_ARGUMENT, 400, "invalid_request"), (grpc.StatusCode.NOT_FOUND, 404, "not_found"),
        (grpc.StatusCode.ALREADY_EXISTS, 409, "conflict"), (grpc.StatusCode.FAILED_PRECONDITION, 409, "conflict"),
        (grpc.StatusCode.UNAVAILABLE, 503, "unavailable"), (grpc.StatusCode.DEADLINE_EXCEEDED, 503, "unavailable"),
        (grpc.StatusCode.INTERNAL, 503, "unavailable"),
    ])
    def test_a_remote_status_becomes_a_console_error_in_both_languages(self, code, status, error_code):
        error = remote_error("wallet", grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(),
                                                            details="a refund cannot exceed the balance"))
        assert (error.status, error.code) == (status, error_code)
        assert error.message_zh and error.message_en
        if code is grpc.StatusCode.INVALID_ARGUMENT:
            assert error.message_zh.startswith("退费金额不能超过余额")
            assert "a refund cannot exceed the balance" in error.message_en

    async def test_a_wallet_that_does_not_answer_is_a_503_and_nothing_is_recorded(
            self, console_app, console_tree, console_sessions, make_operator):
        await _seed_people(console_sessions, console_tree)
        async with console_sessions() as s:
            await s.execute(text("INSERT INTO accounts (account_id, tenant_id, property_id, path)"
                                 " VALUES ('A-a', 'T-a', 'prop-a', text2ltree(:p))"), {"p": console_tree["room-a1"]})
            await s.commit()
        await make_operator("cashier-a", PASSWORD, [("cashier", "prop-a")])
        channel = grpc.aio.insecure_channel("127.0.0.1:1")   # nobody listens there
        console = await console_app(ports=wallet_only(WalletClient(channel, timeout_s=1.0)))
        headers = {**await console.login("cashier-a", PASSWORD), "Idempotency-Key": "down-1"}
        answer = await console.client.post("/api/v1/accounts/A-a/recharges", json={"amount_fen": 100}, headers=headers)
        await channel.close()
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["message_zh"].startswith("钱包服务暂不可用")
        assert await _movements(console_sessions, "A-a") == []
        async with console_sessions() as s:
            outcomes = (await s.execute(text("SELECT outcome FROM audit_log WHERE action = 'account.recharge'"))).all()
            keys = (await s.execute(text("SELECT count(*) FROM idempotency_keys"))).scalar()
        assert [o.outcome for o in outcomes] == ["failed"] and keys == 0   # the key is free for a retry

    async def test_text_with_a_nul_character_is_refused_before_the_database(self, counter):
        answer = await counter.post("manager-a", "/api/v1/accounts/A-a/reversals",
                                    {"transfer_id": "opening:A-a", "reason": "bad\u0000"}, key="nul")
        assert answer.status_code == 422, answer.text
        assert (await counter.get("manager-a", "/api/v1/accounts/A%00a")).status_code == 422
        await counter.wallet.reconciled()
