"""Tenant login codes by SMS: Alibaba Cloud SMS SendSms (dysmsapi 2017-05-25) through the official SDK.

The SDK signs each call with ACS3-HMAC-SHA256 (Authorization header). With protocol "http" and
endpoint "127.0.0.1:<port>" it talks to the local sandbox (python -m simulators.sms) exactly as it
would to dysmsapi.aliyuncs.com over https. LogSmsSender stands in when no SMS settings are given.
"""

from __future__ import annotations

import asyncio
import json

from alibabacloud_dysmsapi20170525.client import Client as DysmsClient
from alibabacloud_dysmsapi20170525.models import SendSmsRequest, SendSmsResponse
from alibabacloud_tea_openapi.utils_models import Config
from Tea.exceptions import TeaException

from services.kit.logging import get_logger

log = get_logger(__name__)


class SmsNotSent(Exception):
    """The provider refused the message or could not be reached: the code did not go out."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code  # Alibaba's Code (e.g. isv.BUSINESS_LIMIT_CONTROL), "" when unreachable


def masked(phone: str) -> str:
    """138****8000: enough to tell numbers apart in logs without keeping them."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "****"


def describe(error: TeaException) -> tuple[str, str]:
    """(Alibaba's Code, what went wrong); Code is "" when Alibaba never answered."""
    inner = getattr(error, "inner_exception", None)
    if inner is not None:  # UnretryableException: the network failed (refused, timed out, not JSON)
        return "", str(getattr(inner, "message", None) or inner)
    return str(getattr(error, "code", None) or ""), str(getattr(error, "message", None) or error)


class AlibabaSmsSender:
    """Sends login codes with one sign and one template whose only variable is ${code}."""

    def __init__(self, endpoint: str, access_key_id: str, access_key_secret: str, sign_name: str,
                 template_code: str, protocol: str = "http", timeout_s: float = 5.0) -> None:
        timeout_ms = int(timeout_s * 1000)
        # No retry_options: the SDK then tries once, and a tenant who got no code asks again.
        config = Config(access_key_id=access_key_id, access_key_secret=access_key_secret, endpoint=endpoint,
                        protocol=protocol, connect_timeout=timeout_ms, read_timeout=timeout_ms)
        self._client = DysmsClient(config)
        self._sign_name = sign_name
        self._template_code = template_code

    async def send_login_code(self, phone: str, code: str) -> None:
        """Send the one-time login code to the tenant's phone; SmsNotSent when it did not go out."""
        request = SendSmsRequest(phone_numbers=phone, sign_name=self._sign_name, template_code=self._template_code,
                                 template_param=json.dumps({"code": code}))
        try:
            response = await self._send(request)
        except TeaException as error:  # error answers (4xx/5xx) and, wrapped as Unretryable, network failures
            code_text, detail = describe(error)
            log.warning("sms_not_sent", phone=masked(phone), code=code_text, detail=detail)
            raise SmsNotSent(f"短信发送失败 SMS not sent: {code_text or 'unreachable'}: {detail}",
                             code=code_text) from error
        body = response.body
        if body is None or body.code != "OK":  # business refusals come back as HTTP 200 with another Code
            code_text, detail = (body.code, body.message) if body is not None else ("", "empty answer")
            log.warning("sms_not_sent", phone=masked(phone), code=code_text, detail=detail)
            raise SmsNotSent(f"短信发送失败 SMS not sent: {code_text}: {detail}", code=code_text or "")
        log.info("sms_login_code_sent", phone=masked(phone), biz_id=body.biz_id, request_id=body.request_id)

    async def _send(self, request: SendSmsRequest) -> SendSmsResponse:
        send_async = getattr(self._client, "send_sms_async", None)
        if send_async is not None:
            return await send_async(request)
        return await asyncio.to_thread(self._client.send_sms, request)


class LogSmsSender:
    """No SMS provider configured (development): the code goes to the log instead of a phone."""

    async def send_login_code(self, phone: str, code: str) -> None:
        log.warning("sms_login_code_logged_not_sent", phone=phone, code=code)
