"""One gRPC call to an owning service, with a deadline, and its refusal as a ConsoleError (zh, then en)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from services.console.domain.errors import Conflict, ConsoleError, InvalidRequest, NotFound, Unavailable
from services.kit.logging import get_logger

log = get_logger(__name__)

SERVICE_ZH = {"acquisition": "采集服务", "wallet": "钱包服务", "control": "控制服务", "tariff": "电价服务"}

# The wallet answers in English; the refusals an operator meets at the counter get their Chinese here.
KNOWN_REFUSALS_ZH = (
    ("cannot exceed the balance", "退费金额不能超过余额"),
    ("is closed", "账户已销户"),
    ("owes", "账户欠费, 结清后才能销户"),
    ("already exists", "已存在"),
    ("already in another account", "表计已属于其他账户"),
    ("exists with different fields", "编号已被用于不同的内容"),
    ("a reversal is not reversed", "冲正记录不能再冲正"),
    ("unknown transfer", "流水不存在"),
    ("unknown account", "账户不存在"),
    ("is in no account", "表计不属于任何账户"),
    ("unknown plan", "电价方案不存在"),
    ("unknown channel", "未知的支付渠道"),
)

_CONFLICTS = (grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.FAILED_PRECONDITION)
_UNAVAILABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


def _zh(details: str) -> str:
    lowered = details.lower()
    return next((zh for phrase, zh in KNOWN_REFUSALS_ZH if phrase in lowered), "")


def remote_error(service: str, error: grpc.aio.AioRpcError) -> ConsoleError:
    """The service's refusal in console terms; its own message is kept in both languages' text."""
    code, details = error.code(), (error.details() or "")[:300]
    name_zh = SERVICE_ZH.get(service, service)
    known = _zh(details)
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidRequest(f"{known or name_zh + '拒绝了请求'}: {details}", f"{service} refused: {details}")
    if code is grpc.StatusCode.NOT_FOUND:
        return NotFound(f"{known or '不存在'}: {details}", f"not found in {service}: {details}")
    if code in _CONFLICTS:
        return Conflict(f"{known or '与已有记录冲突'}: {details}", f"conflict in {service}: {details}")
    if code not in _UNAVAILABLE:
        # A failure inside the service is its bug, not the caller's: logged, answered as "try later".
        log.error("remote call failed", service=service, code=code.name, details=details)
    return Unavailable(f"{name_zh}暂不可用, 请稍后重试", f"the {service} service is unavailable; try again later",
                       code="unavailable")


async def call_remote(service: str, method: Callable[..., Awaitable[Any]], request: Any, timeout_s: float) -> Any:
    try:
        return await method(request, timeout=timeout_s)
    except grpc.aio.AioRpcError as error:
        raise remote_error(service, error) from None
