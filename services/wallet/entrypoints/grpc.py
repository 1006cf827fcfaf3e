"""gRPC face of wallet: accounts, recharges, reconciliation."""

from __future__ import annotations

from collections.abc import Callable

import grpc

from services.contracts.meterpay.v1 import wallet_pb2 as pb
from services.contracts.meterpay.v1 import wallet_pb2_grpc
from services.kit.clock import Clock
from services.wallet import service
from services.wallet.domain.ledger import InvalidTransfer, TransferConflict
from services.wallet.service import WalletUnitOfWork


class WalletGrpc(wallet_pb2_grpc.WalletServiceServicer):
    def __init__(self, new_uow: Callable[[], WalletUnitOfWork], clock: Clock) -> None:
        self._new_uow = new_uow
        self._clock = clock

    async def OpenAccount(self, request: pb.OpenAccountRequest, context) -> pb.Account:
        cmd = service.OpenAccount(request.account_id, request.tenant_name, list(request.meter_ids),
                                  request.opening_balance_fen, request.cutoff_fen)
        try:
            await service.open_account(self._new_uow(), cmd, self._clock.now())
        except service.AccountConflict as exc:
            await context.abort(grpc.StatusCode.ALREADY_EXISTS, str(exc))
        except InvalidTransfer as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return await self.GetAccount(pb.GetAccountRequest(account_id=request.account_id), context)

    async def Recharge(self, request: pb.RechargeRequest, context) -> pb.RechargeReply:
        cmd = service.Recharge(request.transfer_id, request.account_id, request.amount_fen,
                               request.channel or "cash", request.operator)
        try:
            balance, duplicate = await service.recharge(self._new_uow(), cmd, self._clock.now())
        except service.UnknownAccount as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        except TransferConflict as exc:
            await context.abort(grpc.StatusCode.ALREADY_EXISTS, str(exc))
        except InvalidTransfer as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return pb.RechargeReply(transfer_id=request.transfer_id, balance_fen=balance, duplicate=duplicate)

    async def GetAccount(self, request: pb.GetAccountRequest, context) -> pb.Account:
        for row, balance, meters in await self._accounts():
            if row.account_id == request.account_id:
                return _account(row, balance, meters)
        await context.abort(grpc.StatusCode.NOT_FOUND, f"unknown account {request.account_id!r}")

    async def ListAccounts(self, request: pb.ListAccountsRequest, context) -> pb.ListAccountsReply:
        return pb.ListAccountsReply(accounts=[_account(*a) for a in await self._accounts()])

    async def Reconcile(self, request: pb.ReconcileRequest, context) -> pb.ReconcileReply:
        r = await service.reconcile(self._new_uow())
        return pb.ReconcileReply(ok=r.ok, total_debits_fen=r.total_debits_fen, total_credits_fen=r.total_credits_fen,
                                 accounts_checked=r.accounts_checked, problems=r.problems)

    async def _accounts(self):
        async with self._new_uow() as uow:
            return await uow.repo.list_accounts()


def _account(row, balance: int, meters: list[str]) -> pb.Account:
    return pb.Account(account_id=row.account_id, tenant_name=row.tenant_name, meter_ids=meters,
                      balance_fen=balance, cutoff_fen=row.cutoff_fen, in_arrears=row.in_arrears)
