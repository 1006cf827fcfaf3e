"""WeChat Pay API v3 sandbox: signs and encrypts payment notifications the way WeChat Pay does.

Wire format (pay.weixin.qq.com/doc/v3): POST JSON {id, create_time, event_type:
"TRANSACTION.SUCCESS", resource_type: "encrypt-resource", resource: {algorithm:
"AEAD_AES_256_GCM", ciphertext, nonce, associated_data, original_type}} with headers
Wechatpay-Timestamp / -Nonce / -Serial / -Signature / -Signature-Type; the signature is
SHA256withRSA over "timestamp\\nnonce\\nbody\\n" with the platform private key.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid

import httpx
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from wechatpayv3.utils import rsa_sign

from simulators.payments.keys import KeyPair, generate_key_pair


class WechatPaySandbox:
    def __init__(self, mchid: str = "1900000109", appid: str = "wxd678efh567hg6787",
                 keys: KeyPair | None = None, serial: str | None = None, apiv3_key: str | None = None) -> None:
        self.mchid = mchid
        self.appid = appid
        self.keys = keys or generate_key_pair()
        self.serial = serial or secrets.token_hex(20).upper()
        self.apiv3_key = apiv3_key or secrets.token_hex(16)  # 32 ASCII characters, as WeChat Pay issues them
        self._private_key = load_pem_private_key(self.keys.private_pem.encode(), password=None)

    def wallet_env(self) -> dict[str, str]:
        """What the wallet needs to believe this sandbox's callbacks."""
        return {"WALLET_WECHAT_MCHID": self.mchid, "WALLET_WECHAT_PLATFORM_SERIAL": self.serial,
                "WALLET_WECHAT_PLATFORM_PUBLIC_KEY": self.keys.public_pem, "WALLET_WECHAT_APIV3_KEY": self.apiv3_key}

    def transaction(self, order_id: str, amount_fen: int, transaction_id: str | None = None,
                    succeeded: bool = True) -> dict:
        return {"mchid": self.mchid, "appid": self.appid, "out_trade_no": order_id,
                "transaction_id": transaction_id or f"4200{secrets.randbelow(10**24):024d}",
                "trade_type": "NATIVE", "trade_state": "SUCCESS" if succeeded else "PAYERROR",
                "trade_state_desc": "支付成功" if succeeded else "支付失败", "bank_type": "OTHERS",
                "success_time": time.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
                "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
                "amount": {"total": amount_fen, "payer_total": amount_fen, "currency": "CNY", "payer_currency": "CNY"}}

    def notification(self, transaction: dict, timestamp: int | None = None,
                     sign_with: KeyPair | None = None) -> tuple[dict[str, str], bytes]:
        """(headers, body) of a signed notification; sign_with another key pair forges it."""
        nonce = secrets.token_hex(6)  # 12 bytes, the GCM nonce WeChat uses
        sealed = AESGCM(self.apiv3_key.encode()).encrypt(nonce.encode(), json.dumps(transaction).encode(),
                                                         b"transaction")
        body = json.dumps({
            "id": str(uuid.uuid4()), "create_time": time.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
            "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
            "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                         "ciphertext": base64.b64encode(sealed).decode(), "associated_data": "transaction",
                         "nonce": nonce}}, ensure_ascii=False)
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        header_nonce = secrets.token_hex(16)
        signer = self._private_key if sign_with is None else load_pem_private_key(
            sign_with.private_pem.encode(), password=None)
        signature = rsa_sign(signer, f"{stamp}\n{header_nonce}\n{body}\n")
        headers = {"Content-Type": "application/json", "Wechatpay-Timestamp": stamp, "Wechatpay-Nonce": header_nonce,
                   "Wechatpay-Serial": self.serial, "Wechatpay-Signature": signature,
                   "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048"}
        return headers, body.encode()

    async def send(self, client: httpx.AsyncClient, notify_url: str, headers: dict[str, str],
                   body: bytes) -> httpx.Response:
        return await client.post(notify_url, content=body, headers=headers)
