"""Provider callbacks over real HTTP, signed by the sandboxes with keys made at test time; payment orders
created through gRPC CreatePaymentOrder, as the console creates them."""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import datetime, timedelta

import grpc
import httpx
import pytest

from services.contracts.meterpay.v1 import wallet_pb2, wallet_pb2_grpc
from services.kit.clock import SystemClock
from services.kit.grpc import start_grpc_server
from services.wallet import main
from services.wallet.channels import AlipayVerifier, WechatPayVerifier
from services.wallet.domain.commands import OpenAccount
from services.wallet.domain.ledger import LedgerAccountId, Purse
from services.wallet.entrypoints.events import to_outgoing
from services.wallet.entrypoints.grpc import WalletGrpc
from services.wallet.entrypoints.http import build_app, serve_http
from services.wallet.service import accounts, reconciliation
from services.wallet.unit_of_work import WalletUnitOfWork
from simulators.payments import __main__ as payments_cli
from simulators.payments.alipay import CHINA, AlipaySandbox
from simulators.payments.keys import generate_key_pair
from simulators.payments.wechat import WechatPaySandbox

MIGRATIONS = main.MIGRATIONS


@pytest.fixture(scope="module")
def wechat() -> WechatPaySandbox:
    return WechatPaySandbox()


@pytest.fixture(scope="module")
def alipay() -> AlipaySandbox:
    return AlipaySandbox()


@pytest.fixture
async def wallet(service_database, wechat, alipay):
    """The wallet's HTTP entrypoint under uvicorn on a free port, over a fresh database."""
    sessions = await service_database("wallet", MIGRATIONS)
    new_uow = lambda: WalletUnitOfWork(sessions, lambda: None, to_outgoing)  # noqa: E731
    env = {**wechat.wallet_env(), **alipay.wallet_env()}
    app = build_app(new_uow, SystemClock(),
                    WechatPayVerifier(env["WALLET_WECHAT_MCHID"], env["WALLET_WECHAT_PLATFORM_SERIAL"],
                                      env["WALLET_WECHAT_PLATFORM_PUBLIC_KEY"], env["WALLET_WECHAT_APIV3_KEY"]),
                    AlipayVerifier(env["WALLET_ALIPAY_APP_ID"], env["WALLET_ALIPAY_PUBLIC_KEY"],
                                   env["WALLET_ALIPAY_APP_PRIVATE_KEY"]))
    bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    server = asyncio.create_task(serve_http(app, 0, bound.set_result))
    port = await asyncio.wait_for(bound, 10)
    await accounts.open_account(new_uow(), OpenAccount("A1", "shop", ["M1"], 0, 0), datetime.now(CHINA))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        yield client, new_uow
    server.cancel()
    result = await reconciliation.reconcile(new_uow())
    assert result.ok, result.problems


@pytest.fixture
async def wallet_grpc(wallet):
    """The wallet's gRPC face over the same database (where the console creates payment orders): its address."""
    _, new_uow = wallet
    server, port = await start_grpc_server("127.0.0.1", 0, [
        (wallet_pb2_grpc.add_WalletServiceServicer_to_server, WalletGrpc(new_uow, SystemClock()),
         "meterpay.v1.WalletService")])
    yield f"127.0.0.1:{port}"
    await server.stop(0)


@pytest.fixture
async def orders(wallet_grpc):
    async with grpc.aio.insecure_channel(wallet_grpc) as channel:
        yield wallet_pb2_grpc.WalletServiceStub(channel)


def order(order_id: str, channel: str, amount_fen: int, account_id: str = "A1") -> wallet_pb2.CreatePaymentOrderRequest:
    return wallet_pb2.CreatePaymentOrderRequest(order_id=order_id, account_id=account_id, channel=channel,
                                                amount_fen=amount_fen)


async def create_order(orders: wallet_pb2_grpc.WalletServiceStub, order_id: str, channel: str,
                       amount_fen: int) -> None:
    created = await orders.CreatePaymentOrder(order(order_id, channel, amount_fen))
    assert (created.order_id, created.amount_fen, created.status) == (order_id, amount_fen, "created")


async def balance_and_callbacks(new_uow) -> tuple[int, list[tuple[str, str, str, str]]]:
    async with new_uow() as uow:
        callbacks = (await uow.payments.callbacks(limit=1000)).items
        return (await uow.ledger.balance(LedgerAccountId.tenant_wallet("A1", Purse.ELECTRICITY)),
                [(c.channel, c.order_id, c.outcome, c.reason) for c in callbacks])


class TestWechatPay:
    async def test_ten_concurrent_replays_of_one_callback_credit_once(self, wallet, orders, wechat):
        client, new_uow = wallet
        await create_order(orders, "WX0001", "wechat", 5000)
        headers, body = wechat.notification(wechat.transaction("WX0001", 5000))
        responses = await asyncio.gather(*[wechat.send(client, "/payments/wechat/notify", headers, body)
                                           for _ in range(10)])
        assert [r.status_code for r in responses] == [204] * 10
        balance, callbacks = await balance_and_callbacks(new_uow)
        assert balance == 5000
        assert sorted(c[2] for c in callbacks) == ["credited"] + ["duplicate"] * 9

    @pytest.mark.parametrize(("case", "reason"), [
        ("forged signature", "forged"), ("stale timestamp", "stale"), ("wrong amount", "wrong amount"),
        ("unknown order", "unknown order"), ("tampered body", "forged")])
    async def test_a_callback_that_cannot_be_believed_is_rejected_and_recorded(self, wallet, orders, wechat, case,
                                                                                 reason):
        client, new_uow = wallet
        await create_order(orders, "WX0002", "wechat", 5000)
        order_id, amount, kw = "WX0002", 5000, {}
        if case == "forged signature":
            kw = {"sign_with": generate_key_pair()}
        elif case == "stale timestamp":
            kw = {"timestamp": int(time.time()) - 301}
        elif case == "wrong amount":
            amount = 1
        elif case == "unknown order":
            order_id = "WX9999"
        headers, body = wechat.notification(wechat.transaction(order_id, amount), **kw)
        if case == "tampered body":
            body = body.replace(b"TRANSACTION.SUCCESS", b"TRANSACTION.SUCCESX")
        response = await wechat.send(client, "/payments/wechat/notify", headers, body)
        assert response.status_code == 400 and response.json()["code"] == "FAIL"
        balance, callbacks = await balance_and_callbacks(new_uow)
        assert balance == 0
        assert [(c[2], reason in c[3]) for c in callbacks] == [("rejected", True)]


class TestAlipay:
    async def test_a_signed_notification_credits_once_and_answers_success(self, wallet, orders, alipay):
        client, new_uow = wallet
        await create_order(orders, "ALI0001", "alipay", 12_345)
        params = alipay.notification("ALI0001", 12_345)
        responses = await asyncio.gather(*[alipay.send(client, "/payments/alipay/notify", params) for _ in range(10)])
        assert [r.text for r in responses] == ["success"] * 10
        balance, callbacks = await balance_and_callbacks(new_uow)
        assert balance == 12_345 and [c[2] for c in callbacks].count("credited") == 1

    @pytest.mark.parametrize("case", ["forged", "stale", "wrong amount", "unknown order", "wrong channel"])
    async def test_a_bad_notification_answers_fail_and_is_recorded(self, wallet, orders, alipay, case):
        client, new_uow = wallet
        await create_order(orders, "ALI0002", "alipay", 5000)
        await create_order(orders, "WX0003", "wechat", 5000)
        order_id, amount, kw = "ALI0002", 5000, {}
        if case == "forged":
            kw = {"sign_with": generate_key_pair()}
        elif case == "stale":
            kw = {"notify_time": datetime.now(CHINA) - timedelta(minutes=6)}
        elif case == "wrong amount":
            amount = 5001
        elif case == "unknown order":
            order_id = "NOPE"
        elif case == "wrong channel":
            order_id = "WX0003"
        response = await alipay.send(client, "/payments/alipay/notify", alipay.notification(order_id, amount, **kw))
        assert response.text == "fail"
        balance, callbacks = await balance_and_callbacks(new_uow)
        assert balance == 0 and [c[2] for c in callbacks] == ["rejected"]


class TestOrders:
    @pytest.mark.parametrize(("request_", "code"), [
        (order("O1", "wechat", 100, account_id="NOPE"), grpc.StatusCode.NOT_FOUND),
        (order("O1", "wechat", 0), grpc.StatusCode.INVALID_ARGUMENT),
        (order("O1", "bitcoin", 100), grpc.StatusCode.INVALID_ARGUMENT),
        (order("O" * 33, "wechat", 100), grpc.StatusCode.INVALID_ARGUMENT),
    ])
    async def test_bad_orders_are_refused(self, orders, request_, code):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await orders.CreatePaymentOrder(request_)
        assert refused.value.code() == code

    async def test_an_order_id_is_idempotent_and_cannot_change_amount(self, orders):
        await create_order(orders, "O2", "wechat", 100)
        await create_order(orders, "O2", "wechat", 100)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await orders.CreatePaymentOrder(order("O2", "wechat", 999))
        assert refused.value.code() == grpc.StatusCode.ALREADY_EXISTS

    async def test_the_http_face_creates_no_orders(self, wallet):
        client, _ = wallet
        response = await client.post("/payments/orders", json={"order_id": "O3", "account_id": "A1",
                                                               "channel": "wechat", "amount_fen": 100})
        assert response.status_code in (404, 405)


class TestSandboxCommandLine:
    @pytest.mark.parametrize("channel", ["wechat", "alipay"])
    async def test_pay_creates_the_order_over_grpc_and_its_callback_credits_it(self, wallet, wallet_grpc, wechat,
                                                                               alipay, monkeypatch, channel):
        client, new_uow = wallet
        monkeypatch.setattr(payments_cli, "load", lambda directory: (wechat, alipay))
        await payments_cli.pay(argparse.Namespace(
            dir="unused", account="A1", amount="50.00", channel=channel, order_id="CLI0001",
            wallet_grpc=wallet_grpc, wallet_http=str(client.base_url)))
        balance, callbacks = await balance_and_callbacks(new_uow)
        assert balance == 5000 and [(c[0], c[1], c[2]) for c in callbacks] == [(channel, "CLI0001", "credited")]
