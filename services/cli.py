"""`meterpay`: the operator's command line (recharge at the counter, reconcile, status)."""

from __future__ import annotations

import argparse
import asyncio
import uuid
from decimal import Decimal, InvalidOperation

import grpc

from services.contracts.meterpay.v1 import wallet_pb2, wallet_pb2_grpc
from services.kit.money import format_fen


def yuan_to_fen(text: str) -> int:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise SystemExit(f"金额无效 invalid amount: {text!r}") from None
    if amount <= 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise SystemExit(f"金额须为正数且最多两位小数 amount must be positive with at most 2 decimals: {text!r}")
    return int(amount * 100)


async def recharge(args: argparse.Namespace) -> None:
    async with grpc.aio.insecure_channel(args.wallet) as ch:
        reply = await wallet_pb2_grpc.WalletServiceStub(ch).Recharge(wallet_pb2.RechargeRequest(
            transfer_id=args.transfer_id or f"counter:{uuid.uuid4()}", account_id=args.account,
            amount_fen=yuan_to_fen(args.amount_yuan), channel="cash", operator=args.operator), timeout=10)
    note = " (重复 duplicate, not posted again)" if reply.duplicate else ""
    print(f"充值成功 recharged {args.account}: 余额 balance {format_fen(reply.balance_fen)}{note}")


async def reconcile(args: argparse.Namespace) -> None:
    async with grpc.aio.insecure_channel(args.wallet) as ch:
        r = await wallet_pb2_grpc.WalletServiceStub(ch).Reconcile(wallet_pb2.ReconcileRequest(), timeout=60)
    print(f"{'对账通过 ledger OK' if r.ok else '对账失败 ledger NOT OK'}: {r.accounts_checked} accounts, "
          f"debits {format_fen(r.total_debits_fen)} = credits {format_fen(r.total_credits_fen)}")
    for problem in r.problems:
        print("  -", problem)
    if not r.ok:
        raise SystemExit(1)


def main() -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--wallet", default="127.0.0.1:50053", help="wallet gRPC address")
    parser = argparse.ArgumentParser(prog="meterpay")
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("recharge", parents=[common], help="售电 recharge an account with cash at the counter")
    r.add_argument("account")
    r.add_argument("amount_yuan", help="amount in yuan, e.g. 50.00")
    r.add_argument("--operator", default="counter")
    r.add_argument("--transfer-id", help="idempotency key (a retry with the same key posts once)")
    sub.add_parser("reconcile", parents=[common], help="对账 prove the ledger")
    args = parser.parse_args()
    try:
        asyncio.run({"recharge": recharge, "reconcile": reconcile}[args.command](args))
    except grpc.aio.AioRpcError as exc:
        raise SystemExit(f"失败 failed: {exc.details()}") from None
