"""The wallet's gRPC face in-process over a real database: paging, and errors mapped to status codes."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import pytest

from services.contracts.meterpay.v1 import wallet_pb2 as pb
from services.contracts.meterpay.v1 import wallet_pb2_grpc
from services.kit.clock import FixedClock
from services.kit.grpc import start_grpc_server
from services.wallet import main
from services.wallet.entrypoints.events import to_outgoing
from services.wallet.entrypoints.grpc import WalletGrpc
from services.wallet.service import payments, reconciliation
from services.wallet.unit_of_work import WalletUnitOfWork

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


@pytest.fixture
async def wallet(service_database):
    sessions = await service_database("wallet", main.MIGRATIONS)
    new_uow = lambda: WalletUnitOfWork(sessions, lambda: None, to_outgoing)  # noqa: E731
    server, port = await start_grpc_server("127.0.0.1", 0, [
        (wallet_pb2_grpc.add_WalletServiceServicer_to_server, WalletGrpc(new_uow, FixedClock(NOW)),
         "meterpay.v1.WalletService")])
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield wallet_pb2_grpc.WalletServiceStub(channel)
    await server.stop(0)
    result = await reconciliation.reconcile(new_uow())
    assert result.ok, result.problems


async def open_accounts(wallet, *account_ids: str, **fields) -> None:
    await wallet.OpenAccounts(pb.OpenAccountsRequest(accounts=[
        pb.OpenAccountRequest(account_id=a, tenant_name="shop", meter_ids=[f"M-{a}"], opening_balance_fen=100,
                              **fields) for a in account_ids]))


class TestListAccounts:
    async def test_pages_follow_each_other_without_overlap_or_gap(self, wallet):
        await open_accounts(wallet, "A5", "A3", "A1", "A4", "A2")
        first = await wallet.ListAccounts(pb.ListAccountsRequest(limit=2))
        second = await wallet.ListAccounts(pb.ListAccountsRequest(limit=2, cursor=first.next_cursor))
        last = await wallet.ListAccounts(pb.ListAccountsRequest(limit=2, cursor=second.next_cursor))
        pages = [[a.account_id for a in page.accounts] for page in (first, second, last)]
        assert pages == [["A1", "A2"], ["A3", "A4"], ["A5"]]
        assert first.next_cursor and second.next_cursor and last.next_cursor == ""

    async def test_an_old_caller_without_a_limit_gets_every_account_of_a_small_site(self, wallet):
        await open_accounts(wallet, "A1", "A2", "A3")
        reply = await wallet.ListAccounts(pb.ListAccountsRequest())
        assert [(a.account_id, a.balance_fen, list(a.meter_ids)) for a in reply.accounts] == [
            ("A1", 100, ["M-A1"]), ("A2", 100, ["M-A2"]), ("A3", 100, ["M-A3"])]
        assert reply.next_cursor == ""

    async def test_get_account_shows_the_water_purse_and_the_list_keeps_its_old_zero(self, wallet):
        await open_accounts(wallet, "A1", separate_water=True)
        await wallet.Recharge(pb.RechargeRequest(transfer_id="w", account_id="A1", amount_fen=70, purse="water"))
        assert (await wallet.GetAccount(pb.GetAccountRequest(account_id="A1"))).water_balance_fen == 70
        assert (await wallet.ListAccounts(pb.ListAccountsRequest())).accounts[0].water_balance_fen == 0

    async def test_a_cursor_wallet_did_not_hand_out_or_a_negative_limit_is_invalid_argument(self, wallet):
        await open_accounts(wallet, "A1", "A2")
        for request in (pb.ListAccountsRequest(cursor="garbage"), pb.ListAccountsRequest(cursor="A1"),
                        pb.ListAccountsRequest(limit=-1)):
            assert await status_of(wallet.ListAccounts(request)) == grpc.StatusCode.INVALID_ARGUMENT, request


async def status_of(call) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await call
    return error.value.code()


class TestErrors:
    async def test_the_wallets_own_errors_get_their_status_codes(self, wallet):
        await open_accounts(wallet, "A1")
        await wallet.Recharge(pb.RechargeRequest(transfer_id="p", account_id="A1", amount_fen=5))
        assert await status_of(wallet.Recharge(pb.RechargeRequest(transfer_id="p", account_id="NOPE",
                                                                  amount_fen=5))) == grpc.StatusCode.NOT_FOUND
        assert await status_of(wallet.Recharge(pb.RechargeRequest(transfer_id="p", account_id="A1",
                                                                  amount_fen=6))) == grpc.StatusCode.ALREADY_EXISTS
        assert await status_of(wallet.SetSettlement(pb.SetSettlementRequest(
            account_id="A1", settlement="weekly"))) == grpc.StatusCode.INVALID_ARGUMENT
        assert await status_of(wallet.Refund(pb.RefundRequest(transfer_id="r", account_id="A1", amount_fen=10_000))
                               ) == grpc.StatusCode.INVALID_ARGUMENT
        assert await status_of(wallet.Reverse(pb.ReverseRequest(transfer_id="nope"))) == grpc.StatusCode.NOT_FOUND
        assert await status_of(wallet.OpenAccount(pb.OpenAccountRequest(
            account_id="A9", meter_ids=["M9"], mode="barter"))) == grpc.StatusCode.INVALID_ARGUMENT

    async def test_a_bug_is_not_the_callers_fault(self, wallet, monkeypatch):
        async def broken(*args, **kwargs):
            raise ValueError("a bug deep inside")

        monkeypatch.setattr(payments, "recharge", broken)
        code = await status_of(wallet.Recharge(pb.RechargeRequest(transfer_id="p", account_id="A1", amount_fen=5)))
        assert code == grpc.StatusCode.UNKNOWN

    async def test_a_reversal_answers_its_own_id(self, wallet):
        await open_accounts(wallet, "A1")
        reply = await wallet.Reverse(pb.ReverseRequest(transfer_id="opening:A1", reason="typo"))
        assert (reply.reversal_transfer_id, reply.duplicate) == ("reversal:opening:A1", False)
