"""What an operator asks of a meter from the console, in the console's words.

Glossary: 拉闸 = trip (supply off whatever the balance); 合闸 = close (back to prepaid: supply
follows the balance, so an account in arrears stays cut); 保电 = power guarantee (supply on whatever
the balance); 恢复预付费 = restore prepaid (= end of power guarantee); 关阀 / 开阀 = valve close /
open (water meters: the same as trip / close); 立即抄表 = read now.
"""

from __future__ import annotations

from enum import StrEnum

from services.console.domain.errors import InvalidRequest

MAX_BATCH_METERS = 5000   # control expands one batch into at most this many commands
MAX_REASON_CHARS = 200


class Operation(StrEnum):
    TRIP = "trip"
    CLOSE = "close"
    POWER_GUARANTEE_ON = "power_guarantee_on"
    POWER_GUARANTEE_OFF = "power_guarantee_off"
    RESTORE_PREPAID = "restore_prepaid"
    VALVE_CLOSE = "valve_close"
    VALVE_OPEN = "valve_open"
    READ_NOW = "read_now"


OPERATION_ZH = {Operation.TRIP: "拉闸", Operation.CLOSE: "合闸", Operation.POWER_GUARANTEE_ON: "保电",
                Operation.POWER_GUARANTEE_OFF: "取消保电", Operation.RESTORE_PREPAID: "恢复预付费",
                Operation.VALVE_CLOSE: "关阀", Operation.VALVE_OPEN: "开阀", Operation.READ_NOW: "立即抄表"}

# Switching supply needs an Idempotency-Key; reading a meter does not change anything.
SUPPLY_OPERATIONS = frozenset(Operation) - {Operation.READ_NOW}

COMMAND_STATUSES = ("queued", "sent", "confirmed", "failed", "cancelled")


def parse_operation(text: str) -> Operation:
    try:
        return Operation(text)
    except ValueError:
        names = ", ".join(o.value for o in Operation)
        raise InvalidRequest(f"未知操作: {text!r}(可选 {names})", f"unknown operation {text!r}; one of {names}") \
            from None


def check_status(status: str) -> str:
    if status and status not in COMMAND_STATUSES:
        names = ", ".join(COMMAND_STATUSES)
        raise InvalidRequest(f"未知指令状态: {status!r}(可选 {names})",
                             f"unknown command status {status!r}; one of {names}")
    return status


def check_batch_size(meter_ids: list[str]) -> None:
    if not meter_ids:
        raise InvalidRequest("批量操作至少需要一块表", "a batch needs at least one meter")
    if len(meter_ids) > MAX_BATCH_METERS:
        raise InvalidRequest(f"一个批次最多{MAX_BATCH_METERS}块表", f"a batch covers at most {MAX_BATCH_METERS} meters")
