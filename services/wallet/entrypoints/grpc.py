"""gRPC face of wallet: accounts, recharges, refunds, reversals, bills, payment orders, reconciliation."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import grpc

from services.contracts.meterpay.v1 import wallet_pb2 as pb
from services.contracts.meterpay.v1 import wallet_pb2_grpc
from services.kit.clock import Clock
from services.wallet import service
from services.wallet.domain.accounts import AccountMode, AlarmPolicy, Settlement
from services.wallet.domain.ledger import InvalidTransfer, TransferConflict
from services.wallet.service import WalletUnitOfWork

ERRORS = (
    (service.UnknownAccount, grpc.StatusCode.NOT_FOUND),
    (service.AccountConflict, grpc.StatusCode.ALREADY_EXISTS),
    (TransferConflict, grpc.StatusCode.ALREADY_EXISTS),
    (InvalidTransfer, grpc.StatusCode.INVALID_ARGUMENT),
    (ValueError, grpc.StatusCode.INVALID_ARGUMENT),
)


def open_command(r: pb.OpenAccountRequest) -> service.OpenAccount:
    try:
        mode, settlement = AccountMode(r.mode or "prepaid"), Settlement(r.settlement or "realtime")
    except ValueError as exc:
        raise InvalidTransfer(str(exc)) from exc
    return service.OpenAccount(r.account_id, r.tenant_name, list(r.meter_ids), r.opening_balance_fen, r.cutoff_fen,
                               r.project_id, mode, settlement, r.separate_water,
                               AlarmPolicy(tuple(r.alarm_thresholds_fen), tuple(r.alarm_repeats)))


def recharge_command(r: pb.RechargeRequest | pb.RefundRequest) -> service.Recharge:
    return service.Recharge(r.transfer_id, r.account_id, r.amount_fen, r.channel or "cash",
                            getattr(r, "operator", ""), r.purse or "electricity")


class WalletGrpc(wallet_pb2_grpc.WalletServiceServicer):
    def __init__(self, new_uow: Callable[[], WalletUnitOfWork], clock: Clock) -> None:
        self._new_uow = new_uow
        self._clock = clock

    async def _guard(self, context, make_call):
        """Map the errors a caller can make to status codes; the use case wrote nothing when they happen."""
        try:
            return await make_call()
        except tuple(e for e, _ in ERRORS) as exc:
            code = next(c for e, c in ERRORS if isinstance(exc, e))
            await context.abort(code, str(exc))

    async def OpenAccount(self, request: pb.OpenAccountRequest, context) -> pb.Account:
        await self._guard(context, lambda: service.open_account(self._new_uow(), open_command(request),
                                                                self._clock.now()))
        return await self.GetAccount(pb.GetAccountRequest(account_id=request.account_id), context)

    async def OpenAccounts(self, request: pb.OpenAccountsRequest, context) -> pb.OpenAccountsReply:
        existing = await self._guard(context, lambda: service.open_accounts(
            self._new_uow, [open_command(r) for r in request.accounts], self._clock.now()))
        return pb.OpenAccountsReply(already_open=existing)

    async def Recharge(self, request: pb.RechargeRequest, context) -> pb.RechargeReply:
        balance, duplicate = await self._guard(context, lambda: service.recharge(
            self._new_uow(), recharge_command(request), self._clock.now()))
        return pb.RechargeReply(transfer_id=request.transfer_id, balance_fen=balance, duplicate=duplicate)

    async def Refund(self, request: pb.RefundRequest, context) -> pb.RechargeReply:
        balance, duplicate = await self._guard(context, lambda: service.refund(
            self._new_uow(), request.transfer_id, request.account_id, request.amount_fen, request.channel or "cash",
            request.purse, self._clock.now()))
        return pb.RechargeReply(transfer_id=request.transfer_id, balance_fen=balance, duplicate=duplicate)

    async def Reverse(self, request: pb.ReverseRequest, context) -> pb.ReverseReply:
        posted = await self._guard(context, lambda: service.reverse(
            self._new_uow(), request.transfer_id, request.reason, self._clock.now()))
        return pb.ReverseReply(reversal_transfer_id=f"reversal:{request.transfer_id}", duplicate=not posted)

    async def BatchRecharge(self, request: pb.BatchRechargeRequest, context) -> pb.BatchReply:
        posted = await self._guard(context, lambda: service.batch_recharge(
            self._new_uow(), [recharge_command(i) for i in request.items], self._clock.now()))
        return pb.BatchReply(posted=posted)

    async def BatchRefund(self, request: pb.BatchRefundRequest, context) -> pb.BatchReply:
        posted = await self._guard(context, lambda: service.batch_refund(
            self._new_uow(), [recharge_command(i) for i in request.items], self._clock.now()))
        return pb.BatchReply(posted=posted)

    async def CloseAccount(self, request: pb.CloseAccountRequest, context) -> pb.CloseAccountReply:
        paid_back = await self._guard(context, lambda: service.close_account(
            self._new_uow(), request.account_id, request.channel or "cash", self._clock.now()))
        return pb.CloseAccountReply(paid_back_fen=paid_back)

    async def TransferOwnership(self, request: pb.TransferOwnershipRequest, context) -> pb.TransferOwnershipReply:
        settled = await self._guard(context, lambda: service.transfer_ownership(
            self._new_uow(), request.change_id, request.account_id, request.new_tenant_name,
            request.settle_to_old_owner, self._clock.now()))
        return pb.TransferOwnershipReply(settled_fen=settled)

    async def ReplaceMeter(self, request: pb.ReplaceMeterRequest, context) -> pb.ReplaceMeterReply:
        account_id = await self._guard(context, lambda: service.replace_meter(
            self._new_uow(), request.old_meter_id, request.new_meter_id, self._clock.now()))
        return pb.ReplaceMeterReply(account_id=account_id)

    async def SetAlarmPolicy(self, request: pb.SetAlarmPolicyRequest, context) -> pb.SetAlarmPolicyReply:
        level = await self._guard(context, lambda: service.set_alarm_policy(
            self._new_uow(), request.account_id, AlarmPolicy(tuple(request.thresholds_fen), tuple(request.repeats)),
            self._clock.now()))
        return pb.SetAlarmPolicyReply(alarm_level=level)

    async def SetSettlement(self, request: pb.SetSettlementRequest, context) -> pb.Empty:
        await self._guard(context, lambda: service.set_settlement(self._new_uow(), request.account_id,
                                                                  Settlement(request.settlement)))
        return pb.Empty()

    async def SetFeeRatio(self, request: pb.SetFeeRatioRequest, context) -> pb.Empty:
        try:
            ratio = Decimal(request.fee_ratio)
        except InvalidOperation:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"not a ratio: {request.fee_ratio!r}")
        await self._guard(context, lambda: service.set_fee_ratio(self._new_uow(), request.project_id, ratio))
        return pb.Empty()

    async def CreatePaymentOrder(self, request: pb.CreatePaymentOrderRequest, context) -> pb.PaymentOrder:
        order = await self._guard(context, lambda: service.create_payment_order(
            self._new_uow(), request.order_id, request.account_id, request.channel, request.amount_fen,
            request.purse or "electricity"))
        return pb.PaymentOrder(order_id=order.order_id, account_id=order.account_id, channel=order.channel,
                               amount_fen=order.amount_fen, status=str(order.status))

    async def SettlePeriod(self, request: pb.SettlePeriodRequest, context) -> pb.BillReply:
        bill_id, status = await self._guard(context, lambda: service.settle_period(
            self._new_uow(), request.account_id, request.period, self._clock.now()))
        return pb.BillReply(bill_id=bill_id, status=status)

    async def ConfirmBill(self, request: pb.ConfirmBillRequest, context) -> pb.BillReply:
        await self._guard(context, lambda: service.confirm_bill(self._new_uow(), request.bill_id, request.operator,
                                                                self._clock.now()))
        return pb.BillReply(bill_id=request.bill_id, status="issued")

    async def GetAccount(self, request: pb.GetAccountRequest, context) -> pb.Account:
        async with self._new_uow() as uow:
            account = await uow.repo.account(request.account_id)
            if account is None:
                await context.abort(grpc.StatusCode.NOT_FOUND, f"unknown account {request.account_id!r}")
            ledgers = [account.ledger_account_id, account.water_ledger_account_id or account.ledger_account_id]
            balances = await uow.repo.balances(ledgers)
            meters = await uow.repo.meters_of(account.account_id)
        water = balances[ledgers[1]] if account.water_ledger_account_id else 0
        return _account(account, balances[account.ledger_account_id], meters, water)

    async def ListAccounts(self, request: pb.ListAccountsRequest, context) -> pb.ListAccountsReply:
        async with self._new_uow() as uow:
            rows = await uow.repo.list_accounts()
        return pb.ListAccountsReply(accounts=[_account(*a) for a in rows])

    async def Reconcile(self, request: pb.ReconcileRequest, context) -> pb.ReconcileReply:
        r = await service.reconcile(self._new_uow())
        return pb.ReconcileReply(ok=r.ok, total_debits_fen=r.total_debits_fen, total_credits_fen=r.total_credits_fen,
                                 accounts_checked=r.accounts_checked, problems=r.problems)


def _account(row, balance: int, meters: list[str], water_balance: int = 0) -> pb.Account:
    return pb.Account(account_id=row.account_id, tenant_name=row.tenant_name, meter_ids=meters,
                      balance_fen=balance, cutoff_fen=row.cutoff_fen, in_arrears=row.in_arrears,
                      project_id=row.project_id, mode=row.mode, settlement=row.settlement, status=row.status,
                      alarm_level=row.alarm_level, water_balance_fen=water_balance,
                      alarm_thresholds_fen=list(row.alarm_thresholds_fen))
