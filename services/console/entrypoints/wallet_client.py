"""The WalletPort over gRPC: accounts, counter money, batches, payment orders (see clients.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from services.console.entrypoints.remote import call_remote
from services.console.ports import AccountSpec, MoneyItem, PaymentOrderView, Posted, WalletAccount
from services.contracts.meterpay.v1 import wallet_pb2, wallet_pb2_grpc


def open_request(spec: AccountSpec) -> wallet_pb2.OpenAccountRequest:
    return wallet_pb2.OpenAccountRequest(
        account_id=spec.account_id, tenant_name=spec.tenant_name, meter_ids=list(spec.meter_ids),
        opening_balance_fen=spec.opening_balance_fen, cutoff_fen=spec.cutoff_fen, project_id=spec.project_id,
        mode=spec.mode, settlement=spec.settlement, separate_water=spec.separate_water,
        alarm_thresholds_fen=list(spec.alarm_thresholds_fen), alarm_repeats=list(spec.alarm_repeats))


def account_of(a: wallet_pb2.Account) -> WalletAccount:
    return WalletAccount(
        account_id=a.account_id, tenant_name=a.tenant_name, meter_ids=tuple(a.meter_ids), balance_fen=a.balance_fen,
        cutoff_fen=a.cutoff_fen, in_arrears=a.in_arrears, project_id=a.project_id, mode=a.mode,
        settlement=a.settlement, status=a.status, alarm_level=a.alarm_level, water_balance_fen=a.water_balance_fen,
        alarm_thresholds_fen=tuple(a.alarm_thresholds_fen))


class WalletClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float) -> None:
        self._stub = wallet_pb2_grpc.WalletServiceStub(channel)
        self._timeout_s = timeout_s

    async def _call(self, method: Callable[..., Awaitable[Any]], request: Any) -> Any:
        return await call_remote("wallet", method, request, self._timeout_s)

    # ---- accounts

    async def open_accounts(self, specs: list[AccountSpec]) -> list[str]:
        reply = await self._call(self._stub.OpenAccounts,
                                 wallet_pb2.OpenAccountsRequest(accounts=[open_request(s) for s in specs]))
        return list(reply.already_open)

    async def open_account(self, spec: AccountSpec) -> WalletAccount:
        return account_of(await self._call(self._stub.OpenAccount, open_request(spec)))

    async def get_account(self, account_id: str) -> WalletAccount:
        return account_of(await self._call(self._stub.GetAccount, wallet_pb2.GetAccountRequest(account_id=account_id)))

    async def close_account(self, account_id: str, channel: str) -> int:
        reply = await self._call(self._stub.CloseAccount,
                                 wallet_pb2.CloseAccountRequest(account_id=account_id, channel=channel))
        return reply.paid_back_fen

    async def transfer_ownership(self, change_id: str, account_id: str, new_tenant_name: str,
                                 settle_to_old_owner: bool) -> int:
        reply = await self._call(self._stub.TransferOwnership, wallet_pb2.TransferOwnershipRequest(
            change_id=change_id, account_id=account_id, new_tenant_name=new_tenant_name,
            settle_to_old_owner=settle_to_old_owner))
        return reply.settled_fen

    async def replace_meter(self, old_meter_id: str, new_meter_id: str) -> str:
        reply = await self._call(self._stub.ReplaceMeter, wallet_pb2.ReplaceMeterRequest(
            old_meter_id=old_meter_id, new_meter_id=new_meter_id))
        return reply.account_id

    async def set_alarm_policy(self, account_id: str, thresholds_fen: list[int], repeats: list[int]) -> int:
        reply = await self._call(self._stub.SetAlarmPolicy, wallet_pb2.SetAlarmPolicyRequest(
            account_id=account_id, thresholds_fen=thresholds_fen, repeats=repeats))
        return reply.alarm_level

    # ---- money

    async def recharge(self, transfer_id: str, account_id: str, amount_fen: int, channel: str, operator: str,
                       purse: str) -> Posted:
        reply = await self._call(self._stub.Recharge, wallet_pb2.RechargeRequest(
            transfer_id=transfer_id, account_id=account_id, amount_fen=amount_fen, channel=channel,
            operator=operator, purse=purse))
        return Posted(reply.transfer_id, reply.balance_fen, reply.duplicate)

    async def refund(self, transfer_id: str, account_id: str, amount_fen: int, channel: str, purse: str) -> Posted:
        reply = await self._call(self._stub.Refund, wallet_pb2.RefundRequest(
            transfer_id=transfer_id, account_id=account_id, amount_fen=amount_fen, channel=channel, purse=purse))
        return Posted(reply.transfer_id, reply.balance_fen, reply.duplicate)

    async def reverse(self, transfer_id: str, reason: str) -> tuple[str, bool]:
        reply = await self._call(self._stub.Reverse, wallet_pb2.ReverseRequest(transfer_id=transfer_id,
                                                                                reason=reason))
        return reply.reversal_transfer_id, reply.duplicate

    async def batch_recharge(self, items: list[MoneyItem]) -> int:
        """批量充值: all or nothing at the wallet; returns how many were new."""
        request = wallet_pb2.BatchRechargeRequest(items=[wallet_pb2.RechargeRequest(
            transfer_id=i.transfer_id, account_id=i.account_id, amount_fen=i.amount_fen, channel=i.channel,
            operator=i.operator, purse=i.purse) for i in items])
        return (await self._call(self._stub.BatchRecharge, request)).posted

    async def batch_refund(self, items: list[MoneyItem]) -> int:
        """批量退费: all or nothing at the wallet (a refund over its balance fails the batch)."""
        request = wallet_pb2.BatchRefundRequest(items=[wallet_pb2.RefundRequest(
            transfer_id=i.transfer_id, account_id=i.account_id, amount_fen=i.amount_fen, channel=i.channel,
            purse=i.purse) for i in items])
        return (await self._call(self._stub.BatchRefund, request)).posted

    async def create_payment_order(self, order_id: str, account_id: str, channel: str, amount_fen: int,
                                   purse: str) -> PaymentOrderView:
        reply = await self._call(self._stub.CreatePaymentOrder, wallet_pb2.CreatePaymentOrderRequest(
            order_id=order_id, account_id=account_id, channel=channel, amount_fen=amount_fen, purse=purse))
        return PaymentOrderView(reply.order_id, reply.account_id, reply.channel, reply.amount_fen, reply.status)
