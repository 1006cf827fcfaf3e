"""Payment channel adapters: verify WeChat Pay API v3 and Alipay callbacks with their maintained SDKs.

WeChat Pay v3: RSA-SHA256 over "timestamp\\nnonce\\nbody\\n" in Wechatpay-Signature, checked
with the platform public key named by Wechatpay-Serial; the resource is AEAD_AES_256_GCM
encrypted with the merchant's APIv3 key. Alipay: RSA2 over the sorted parameters without
sign and sign_type, checked with Alipay's public key. Both must be fresh (5 minutes).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from alipay import AliPay
from wechatpayv3.utils import aes_decrypt, load_public_key, rsa_verify

from services.wallet.domain.ledger import Channel
from services.wallet.domain.payments import CallbackRejected, PaymentNotice, check_timestamp

CHINA = ZoneInfo("Asia/Shanghai")
WECHAT_SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
ALIPAY_PAID_STATES = {"TRADE_SUCCESS", "TRADE_FINISHED"}


def read_key(value: str) -> str:
    """A PEM given inline, or "@/path/to/key.pem"."""
    if value.startswith("@"):
        with open(value[1:], encoding="utf-8") as f:
            return f.read()
    return value


class WechatPayVerifier:
    def __init__(self, mchid: str, platform_serial: str, platform_public_key_pem: str, apiv3_key: str) -> None:
        if len(apiv3_key.encode()) != 32:
            raise ValueError("the WeChat Pay APIv3 key is 32 bytes")
        self._mchid = mchid
        self._serial = platform_serial
        self._public_key = load_public_key(platform_public_key_pem)
        self._apiv3_key = apiv3_key

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PaymentNotice:
        text = body.decode("utf-8", errors="replace")
        timestamp, nonce = headers.get("wechatpay-timestamp", ""), headers.get("wechatpay-nonce", "")
        if headers.get("wechatpay-serial", "") != self._serial:
            raise CallbackRejected("unknown platform certificate serial")
        if headers.get("wechatpay-signature-type", WECHAT_SIGNATURE_TYPE) != WECHAT_SIGNATURE_TYPE:
            raise CallbackRejected("unsupported signature type")
        if not rsa_verify(timestamp, nonce, text, headers.get("wechatpay-signature", ""), self._public_key):
            raise CallbackRejected("forged signature")
        check_timestamp(_unix(timestamp), now)
        return self._notice(self._decrypt(text))

    def _decrypt(self, text: str) -> dict:
        try:
            resource = json.loads(text)["resource"]
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise CallbackRejected("unsupported resource algorithm")
            plain = aes_decrypt(resource["nonce"], resource["ciphertext"], resource.get("associated_data", ""),
                                self._apiv3_key)
        except (KeyError, TypeError, ValueError) as exc:
            raise CallbackRejected(f"malformed notification: {exc}") from exc
        if plain is None:
            raise CallbackRejected("resource does not decrypt with the APIv3 key")
        return json.loads(plain)

    def _notice(self, paid: dict) -> PaymentNotice:
        if paid.get("mchid") != self._mchid:
            raise CallbackRejected("notification for another merchant")
        try:
            amount_fen = int(paid["amount"]["total"])
            return PaymentNotice(str(Channel.WECHAT), str(paid["out_trade_no"]), str(paid["transaction_id"]),
                                 amount_fen, paid.get("trade_state") == "SUCCESS")
        except (KeyError, TypeError, ValueError) as exc:
            raise CallbackRejected(f"malformed transaction: {exc}") from exc


class AlipayVerifier:
    def __init__(self, app_id: str, alipay_public_key_pem: str, app_private_key_pem: str) -> None:
        self._app_id = app_id
        self._sdk = AliPay(appid=app_id, app_notify_url=None, app_private_key_string=app_private_key_pem,
                           alipay_public_key_string=alipay_public_key_pem, sign_type="RSA2")

    def verify(self, params: Mapping[str, str], now: datetime) -> PaymentNotice:
        data = dict(params)
        signature = data.pop("sign", "")
        try:
            verified = bool(signature) and self._sdk.verify(data, signature)
        except Exception as exc:  # the SDK raises on a malformed signature or an unknown sign_type
            raise CallbackRejected(f"forged signature: {exc}") from exc
        if not verified:
            raise CallbackRejected("forged signature")
        if data.get("app_id") != self._app_id:
            raise CallbackRejected("notification for another app")
        check_timestamp(_china_time(data.get("notify_time", "")), now)
        return PaymentNotice(str(Channel.ALIPAY), data.get("out_trade_no", ""), data.get("trade_no", ""),
                             _yuan_text_to_fen(data.get("total_amount", "")),
                             data.get("trade_status") in ALIPAY_PAID_STATES)


def _unix(text: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(text), UTC)
    except (ValueError, OverflowError) as exc:
        raise CallbackRejected(f"bad timestamp {text!r}") from exc


def _china_time(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
    except ValueError as exc:
        raise CallbackRejected(f"bad notify_time {text!r}") from exc


def _yuan_text_to_fen(text: str) -> int:
    try:
        fen = Decimal(text) * 100
    except InvalidOperation as exc:
        raise CallbackRejected(f"bad amount {text!r}") from exc
    if not fen.is_finite() or fen != fen.to_integral_value():
        raise CallbackRejected(f"bad amount {text!r}")
    return int(fen)
