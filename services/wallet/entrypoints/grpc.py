"""gRPC face of wallet: accounts, recharges, refunds, reversals, bills, payment orders, reconciliation.

Each call: request -> domain command, one use case, result -> reply. Only the wallet's own
errors become status codes; anything else is a bug and surfaces as one (UNKNOWN).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import grpc

from services.contracts.meterpay.v1 import wallet_pb2 as pb
from services.contracts.meterpay.v1 import wallet_pb2_grpc
from services.kit.clock import Clock
from services.kit.paging import InvalidPage
from services.wallet.domain import commands
from services.wallet.domain.accounts import AccountSummary, AlarmPolicy, parse_mode, parse_settlement
from services.wallet.domain.bills import BillStatus
from services.wallet.domain.errors import (
    AccountConflict,
    InvalidTransfer,
    TransferConflict,
    UnknownAccount,
)
from services.wallet.service import accounts, bills, payments, reconciliation
from services.wallet.unit_of_work import WalletUnitOfWork

ERRORS = (
    (UnknownAccount, grpc.StatusCode.NOT_FOUND),
    (AccountConflict, grpc.StatusCode.ALREADY_EXISTS),
    (TransferConflict, grpc.StatusCode.ALREADY_EXISTS),
    (InvalidTransfer, grpc.StatusCode.INVALID_ARGUMENT),
    (InvalidPage, grpc.StatusCode.INVALID_ARGUMENT),       # a negative limit, a cursor wallet did not hand out
)


def open_command(r: pb.OpenAccountRequest) -> commands.OpenAccount:
    return commands.OpenAccount(
        r.account_id, r.tenant_name, list(r.meter_ids), r.opening_balance_fen, r.cutoff_fen, r.project_id,
        parse_mode(r.mode or "prepaid"), parse_settlement(r.settlement or "realtime"), r.separate_water,
        AlarmPolicy(tuple(r.alarm_thresholds_fen), tuple(r.alarm_repeats)))


def recharge_command(r: pb.RechargeRequest) -> commands.Recharge:
    return commands.Recharge(r.transfer_id, r.account_id, r.amount_fen, r.channel or "cash", r.operator,
                             r.purse or "electricity")


def refund_command(r: pb.RefundRequest) -> commands.Refund:
    return commands.Refund(r.transfer_id, r.account_id, r.amount_fen, r.channel or "cash", r.purse)


def account_reply(summary: AccountSummary, water_balance: bool = True) -> pb.Account:
    a = summary.account
    return pb.Account(account_id=a.account_id, tenant_name=a.tenant_name, meter_ids=list(summary.meter_ids),
                      balance_fen=summary.balance_fen, cutoff_fen=a.cutoff_fen, in_arrears=a.in_arrears,
                      project_id=a.project_id, mode=str(a.mode), settlement=str(a.settlement), status=str(a.status),
                      alarm_level=a.alarm_level, water_balance_fen=summary.water_balance_fen if water_balance else 0,
                      alarm_thresholds_fen=list(a.alarm_policy.thresholds_fen))


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
        await self._guard(context, lambda: accounts.open_account(self._new_uow(), open_command(request),
                                                                 self._clock.now()))
        return await self.GetAccount(pb.GetAccountRequest(account_id=request.account_id), context)

    async def OpenAccounts(self, request: pb.OpenAccountsRequest, context) -> pb.OpenAccountsReply:
        existing = await self._guard(context, lambda: accounts.open_accounts(
            self._new_uow, [open_command(r) for r in request.accounts], self._clock.now()))
        return pb.OpenAccountsReply(already_open=existing)

    async def Recharge(self, request: pb.RechargeRequest, context) -> pb.RechargeReply:
        done = await self._guard(context, lambda: payments.recharge(
            self._new_uow(), recharge_command(request), self._clock.now()))
        return pb.RechargeReply(transfer_id=done.transfer_id, balance_fen=done.balance_fen, duplicate=done.duplicate)

    async def Refund(self, request: pb.RefundRequest, context) -> pb.RechargeReply:
        done = await self._guard(context, lambda: payments.refund(
            self._new_uow(), refund_command(request), self._clock.now()))
        return pb.RechargeReply(transfer_id=done.transfer_id, balance_fen=done.balance_fen, duplicate=done.duplicate)

    async def Reverse(self, request: pb.ReverseRequest, context) -> pb.ReverseReply:
        done = await self._guard(context, lambda: payments.reverse(
            self._new_uow(), commands.Reverse(request.transfer_id, request.reason), self._clock.now()))
        return pb.ReverseReply(reversal_transfer_id=done.reversal_transfer_id, duplicate=done.duplicate)

    async def BatchRecharge(self, request: pb.BatchRechargeRequest, context) -> pb.BatchReply:
        posted = await self._guard(context, lambda: payments.post_batch(
            self._new_uow(), [recharge_command(i) for i in request.items], self._clock.now()))
        return pb.BatchReply(posted=posted)

    async def BatchRefund(self, request: pb.BatchRefundRequest, context) -> pb.BatchReply:
        posted = await self._guard(context, lambda: payments.post_batch(
            self._new_uow(), [refund_command(i) for i in request.items], self._clock.now()))
        return pb.BatchReply(posted=posted)

    async def CloseAccount(self, request: pb.CloseAccountRequest, context) -> pb.CloseAccountReply:
        paid_back = await self._guard(context, lambda: accounts.close_account(
            self._new_uow(), commands.CloseAccount(request.account_id, request.channel or "cash")))
        return pb.CloseAccountReply(paid_back_fen=paid_back)

    async def TransferOwnership(self, request: pb.TransferOwnershipRequest, context) -> pb.TransferOwnershipReply:
        cmd = commands.TransferOwnership(request.change_id, request.account_id, request.new_tenant_name,
                                         request.settle_to_old_owner)
        settled = await self._guard(context, lambda: accounts.transfer_ownership(self._new_uow(), cmd,
                                                                                 self._clock.now()))
        return pb.TransferOwnershipReply(settled_fen=settled)

    async def ReplaceMeter(self, request: pb.ReplaceMeterRequest, context) -> pb.ReplaceMeterReply:
        account_id = await self._guard(context, lambda: accounts.replace_meter(
            self._new_uow(), commands.ReplaceMeter(request.old_meter_id, request.new_meter_id), self._clock.now()))
        return pb.ReplaceMeterReply(account_id=account_id)

    async def SetAlarmPolicy(self, request: pb.SetAlarmPolicyRequest, context) -> pb.SetAlarmPolicyReply:
        level = await self._guard(context, lambda: accounts.set_alarm_policy(
            self._new_uow(), commands.SetAlarmPolicy(
                request.account_id, AlarmPolicy(tuple(request.thresholds_fen), tuple(request.repeats))),
            self._clock.now()))
        return pb.SetAlarmPolicyReply(alarm_level=level)

    async def SetSettlement(self, request: pb.SetSettlementRequest, context) -> pb.Empty:
        await self._guard(context, lambda: accounts.set_settlement(self._new_uow(), commands.SetSettlement(
            request.account_id, parse_settlement(request.settlement))))
        return pb.Empty()

    async def SetFeeRatio(self, request: pb.SetFeeRatioRequest, context) -> pb.Empty:
        try:
            ratio = Decimal(request.fee_ratio)
        except InvalidOperation:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"not a ratio: {request.fee_ratio!r}")
        await self._guard(context, lambda: accounts.set_fee_ratio(self._new_uow(),
                                                                  commands.SetFeeRatio(request.project_id, ratio)))
        return pb.Empty()

    async def CreatePaymentOrder(self, request: pb.CreatePaymentOrderRequest, context) -> pb.PaymentOrder:
        order = await self._guard(context, lambda: payments.create_payment_order(
            self._new_uow(), commands.CreatePaymentOrder(request.order_id, request.account_id, request.channel,
                                                         request.amount_fen, request.purse or "electricity")))
        return pb.PaymentOrder(order_id=order.order_id, account_id=order.account_id, channel=str(order.channel),
                               amount_fen=order.amount_fen, status=str(order.status))

    async def SettlePeriod(self, request: pb.SettlePeriodRequest, context) -> pb.BillReply:
        bill = await self._guard(context, lambda: bills.settle_period(
            self._new_uow(), commands.SettlePeriod(request.account_id, request.period), self._clock.now()))
        return pb.BillReply(bill_id=bill.bill_id, status=str(bill.status))

    async def ConfirmBill(self, request: pb.ConfirmBillRequest, context) -> pb.BillReply:
        await self._guard(context, lambda: bills.confirm_bill(
            self._new_uow(), commands.ConfirmBill(request.bill_id, request.operator), self._clock.now()))
        return pb.BillReply(bill_id=request.bill_id, status=str(BillStatus.ISSUED))

    async def GetAccount(self, request: pb.GetAccountRequest, context) -> pb.Account:
        summary = await self._guard(context, lambda: accounts.get_account(self._new_uow(), request.account_id))
        return account_reply(summary)

    async def ListAccounts(self, request: pb.ListAccountsRequest, context) -> pb.ListAccountsReply:
        page = await self._guard(context, lambda: accounts.list_accounts(self._new_uow(), request.limit,
                                                                         request.cursor))
        # ListAccounts has never filled water_balance_fen (GetAccount does); kept as it was.
        return pb.ListAccountsReply(accounts=[account_reply(s, water_balance=False) for s in page.items],
                                    next_cursor=page.next_cursor)

    async def Reconcile(self, request: pb.ReconcileRequest, context) -> pb.ReconcileReply:
        r = await reconciliation.reconcile(self._new_uow())
        return pb.ReconcileReply(ok=r.ok, total_debits_fen=r.total_debits_fen, total_credits_fen=r.total_credits_fen,
                                 accounts_checked=r.accounts_checked, problems=r.problems)
