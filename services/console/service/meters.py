"""Meters and their live state (电表 / 实时数据) from the read models, and 立即抄表 (read now) through
acquisition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.console.domain.errors import ConsoleError, not_found
from services.console.domain.rooms import CommandRow, MeterDetail, MeterFilter, MeterLive
from services.console.domain.scope import Caller, Permission
from services.console.service.audit import entry_for
from services.console.service.rooms import PAGE, RECENT_COMMANDS, today
from services.kit.paging import Page

if TYPE_CHECKING:
    from services.console.entrypoints.http.deps import AppDeps


@dataclass(frozen=True)
class MeterCard:
    detail: MeterDetail
    commands: tuple[CommandRow, ...]


@dataclass(frozen=True)
class ReadNowDone:
    meter_id: str
    read: int
    failed: int


async def list_meters(deps: AppDeps, caller: Caller, flt: MeterFilter, limit: int = 0,
                      cursor: str = "") -> Page[MeterLive]:
    """Meters within the caller's VIEW scope (a tenant: his own), by meter id."""
    async with deps.new_uow() as uow:
        return await uow.live.meters_page(caller.scope, flt, today(deps), PAGE.of(limit), cursor)


async def get_meter(deps: AppDeps, caller: Caller, meter_id: str) -> MeterCard:
    """A meter's read model: live values, account, today's and this month's figures, recent commands."""
    async with deps.new_uow() as uow:
        detail = await uow.live.get_meter(caller.scope, meter_id, today(deps))
        if detail is None:
            raise not_found("电表", "meter", meter_id)
        commands = await uow.live.recent_commands(caller.scope, RECENT_COMMANDS, meter_id=meter_id)
    return MeterCard(detail, tuple(commands))


async def read_now(deps: AppDeps, caller: Caller, meter_id: str) -> ReadNowDone:
    """立即抄表: acquisition reads the meter now (the reading then comes through meter.readings.v1). Needs
    CONTROL over the meter; audited with its outcome."""
    async with deps.new_uow() as uow:
        detail = await uow.live.get_meter(caller.scope, meter_id, today(deps), Permission.CONTROL)
    if detail is None:
        raise not_found("电表", "meter", meter_id)
    try:
        read, failed = await deps.ports.acquisition.read_now([meter_id])
    except ConsoleError as error:
        await _audit(deps, caller, meter_id, detail.path, "failed", error.message_en)
        raise
    await _audit(deps, caller, meter_id, detail.path, "ok" if read else "failed", f"read={read} failed={failed}")
    return ReadNowDone(meter_id, read, failed)


async def _audit(deps: AppDeps, caller: Caller, meter_id: str, path: str, outcome: str, detail: str) -> None:
    async with deps.new_uow() as uow:
        await uow.audit.record(entry_for(caller, "meter.read_now", "meter", meter_id, path, outcome, detail=detail))
        await uow.commit()
