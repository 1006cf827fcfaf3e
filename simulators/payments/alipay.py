"""Alipay sandbox: signs asynchronous payment notifications the way Alipay does.

Wire format (opendocs.alipay.com, 异步通知): POST application/x-www-form-urlencoded with
notify_time, notify_type=trade_status_sync, notify_id, app_id, charset, version,
sign_type=RSA2, sign, trade_no, out_trade_no, total_amount (yuan), trade_status, ...
The sign is SHA256withRSA (base64) over the parameters except sign and sign_type, sorted
by name and joined as k=v with &, made with Alipay's private key. The merchant answers
the text "success"; anything else makes Alipay retry (for about 25 hours).
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from simulators.payments.keys import KeyPair, generate_key_pair

CHINA = ZoneInfo("Asia/Shanghai")


def yuan_text(amount_fen: int) -> str:
    return f"{amount_fen // 100}.{amount_fen % 100:02d}"


class AlipaySandbox:
    def __init__(self, app_id: str = "2021000000000001", alipay_keys: KeyPair | None = None,
                 app_keys: KeyPair | None = None) -> None:
        self.app_id = app_id
        self.alipay_keys = alipay_keys or generate_key_pair()   # Alipay's own: signs notifications
        self.app_keys = app_keys or generate_key_pair()         # the merchant app's: the wallet's SDK needs one

    def wallet_env(self) -> dict[str, str]:
        return {"WALLET_ALIPAY_APP_ID": self.app_id, "WALLET_ALIPAY_PUBLIC_KEY": self.alipay_keys.public_pem,
                "WALLET_ALIPAY_APP_PRIVATE_KEY": self.app_keys.private_pem}

    def notification(self, order_id: str, amount_fen: int, trade_no: str | None = None,
                     notify_time: datetime | None = None, status: str = "TRADE_SUCCESS",
                     sign_with: KeyPair | None = None) -> dict[str, str]:
        at = (notify_time or datetime.now(CHINA)).astimezone(CHINA)
        params = {"notify_time": at.strftime("%Y-%m-%d %H:%M:%S"), "notify_type": "trade_status_sync",
                  "notify_id": secrets.token_hex(16), "app_id": self.app_id, "charset": "utf-8", "version": "1.0",
                  "trade_no": trade_no or f"2026{secrets.randbelow(10**24):024d}", "out_trade_no": order_id,
                  "total_amount": yuan_text(amount_fen), "receipt_amount": yuan_text(amount_fen),
                  "buyer_pay_amount": yuan_text(amount_fen), "trade_status": status,
                  "gmt_payment": at.strftime("%Y-%m-%d %H:%M:%S"), "subject": "电费充值 electricity recharge"}
        params["sign"] = self._sign(params, sign_with or self.alipay_keys)
        params["sign_type"] = "RSA2"
        return params

    @staticmethod
    def _sign(params: dict[str, str], keys: KeyPair) -> str:
        content = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("sign", "sign_type"))
        key = load_pem_private_key(keys.private_pem.encode(), password=None)
        signature = key.sign(content.encode(), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr]
        return base64.b64encode(signature).decode()

    async def send(self, client: httpx.AsyncClient, notify_url: str, params: dict[str, str]) -> httpx.Response:
        return await client.post(notify_url, data=params)
