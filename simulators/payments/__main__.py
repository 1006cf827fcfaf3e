"""Payment sandboxes from the command line, against a running wallet (e.g. `make run`).

    # once: throwaway keys, and the environment the wallet needs to believe the sandboxes
    .venv/bin/python -m simulators.payments keys --dir .run/payments
    set -a; . .run/payments/wallet.env; set +a   # then start the wallet (or make run)
    # a tenant pays 50.00 yuan by WeChat Pay: order created at the wallet (gRPC CreatePaymentOrder, as
    # the console does), then the signed callback sent to the wallet's HTTP face
    .venv/bin/python -m simulators.payments pay --dir .run/payments --account A-0001 --amount 50.00 \\
        --channel wechat --wallet-grpc 127.0.0.1:50053 --wallet-http http://127.0.0.1:8090
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
from decimal import Decimal
from pathlib import Path

import grpc
import httpx

from services.contracts.meterpay.v1 import wallet_pb2, wallet_pb2_grpc
from simulators.payments.alipay import AlipaySandbox
from simulators.payments.keys import KeyPair
from simulators.payments.wechat import WechatPaySandbox


def make_keys(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    wechat, alipay = WechatPaySandbox(), AlipaySandbox()
    state = {"wechat": {"private": wechat.keys.private_pem, "public": wechat.keys.public_pem,
                        "serial": wechat.serial, "apiv3_key": wechat.apiv3_key},
             "alipay": {"private": alipay.alipay_keys.private_pem, "public": alipay.alipay_keys.public_pem,
                        "app_private": alipay.app_keys.private_pem, "app_public": alipay.app_keys.public_pem}}
    (directory / "sandbox.json").write_text(json.dumps(state))
    env = {**wechat.wallet_env(), **alipay.wallet_env()}
    for name in ("WALLET_WECHAT_PLATFORM_PUBLIC_KEY", "WALLET_ALIPAY_PUBLIC_KEY", "WALLET_ALIPAY_APP_PRIVATE_KEY"):
        path = directory / f"{name.lower()}.pem"
        path.write_text(env[name])
        env[name] = f"@{path.resolve()}"
    (directory / "wallet.env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    print(f"sandbox keys and wallet.env written to {directory}")


def load(directory: Path) -> tuple[WechatPaySandbox, AlipaySandbox]:
    state = json.loads((directory / "sandbox.json").read_text())
    w, a = state["wechat"], state["alipay"]
    return (WechatPaySandbox(keys=KeyPair(w["private"], w["public"]), serial=w["serial"], apiv3_key=w["apiv3_key"]),
            AlipaySandbox(alipay_keys=KeyPair(a["private"], a["public"]),
                          app_keys=KeyPair(a["app_private"], a["app_public"])))


async def pay(args: argparse.Namespace) -> None:
    wechat, alipay = load(Path(args.dir))
    amount_fen = int(Decimal(args.amount) * 100)
    order_id = args.order_id or f"{args.channel[:2].upper()}{secrets.token_hex(8)}"
    async with grpc.aio.insecure_channel(args.wallet_grpc) as channel:
        created = await wallet_pb2_grpc.WalletServiceStub(channel).CreatePaymentOrder(
            wallet_pb2.CreatePaymentOrderRequest(order_id=order_id, account_id=args.account, channel=args.channel,
                                                 amount_fen=amount_fen), timeout=10)
    print("order:", created.order_id, created.status, created.amount_fen)
    async with httpx.AsyncClient(base_url=args.wallet_http, timeout=10) as client:
        if args.channel == "wechat":
            headers, body = wechat.notification(wechat.transaction(order_id, amount_fen))
            answer = await wechat.send(client, "/payments/wechat/notify", headers, body)
        else:
            answer = await alipay.send(client, "/payments/alipay/notify", alipay.notification(order_id, amount_fen))
        print("callback:", answer.status_code, answer.text or "(no body)")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m simulators.payments", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    keys = sub.add_parser("keys", help="generate throwaway keys and the wallet's environment")
    keys.add_argument("--dir", default=".run/payments")
    paying = sub.add_parser("pay", help="create an order at the wallet (gRPC) and send its signed callback (HTTP)")
    paying.add_argument("--dir", default=".run/payments")
    paying.add_argument("--account", required=True)
    paying.add_argument("--amount", required=True, help="yuan, e.g. 50.00")
    paying.add_argument("--channel", choices=("wechat", "alipay"), default="wechat")
    paying.add_argument("--order-id", default="")
    paying.add_argument("--wallet-grpc", default="127.0.0.1:50053", help="the wallet's gRPC address")
    paying.add_argument("--wallet-http", default="http://127.0.0.1:8090", help="the wallet's callback URL")
    args = parser.parse_args()
    if args.command == "keys":
        make_keys(Path(args.dir))
    else:
        asyncio.run(pay(args))


if __name__ == "__main__":
    main()
