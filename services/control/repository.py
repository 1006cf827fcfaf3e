"""Every query of the control service."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, time
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.control.domain.lifecycle import Status
from services.control.domain.policy import SUPPLY_ACTIONS
from services.control.models import batches, command_attempts, commands, meter_controls, protection_windows


@dataclass(frozen=True)
class MeterControlRow:
    meter_id: str
    mode: str
    in_arrears: bool
    known_state: int
    kind: int
    project: str
    building: str
    floor: str
    tenant: str
    overload_threshold_w: int
    overload_tripped: bool
    online: bool
    last_power_w: int
    cut_check_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class CommandRow:
    command_id: str
    meter_id: str
    action: int
    status: str
    attempt: int
    requested_by: str
    reason: str
    detail: str
    created_at: datetime
    completed_at: datetime | None
    origin: str
    batch_id: str | None
    attempt_limit: int
    settings: dict | None
    sent_at: datetime | None
    next_attempt_at: datetime | None
    result_deadline: datetime | None
    relay_state: int


@dataclass(frozen=True)
class AttemptRow:
    command_id: str
    attempt: int
    sent_at: datetime
    completed_at: datetime | None
    outcome: str
    detail: str
    relay_state: int


@dataclass(frozen=True)
class BatchRow:
    batch_id: str
    operation: int
    status: str
    selection: dict
    settings: dict | None
    requested_by: str
    reason: str
    created_at: datetime
    run_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    total: int


@dataclass(frozen=True)
class WindowRow:
    project: str
    night_start: time | None
    night_end: time | None
    weekends: bool
    holidays: bool
    timezone: str


def _columns(table, row_type) -> tuple:
    return tuple(table.c[f.name] for f in fields(row_type))


_METER = _columns(meter_controls, MeterControlRow)
_COMMAND = _columns(commands, CommandRow)
_ATTEMPT = _columns(command_attempts, AttemptRow)
_BATCH = _columns(batches, BatchRow)
_WINDOW = _columns(protection_windows, WindowRow)
OPEN_STATUSES = (Status.QUEUED.value, Status.SENT.value)
STATE_FILTERS = {
    "arrears": meter_controls.c.in_arrears.is_(True),
    "on": meter_controls.c.known_state == 1,
    "off": meter_controls.c.known_state == 2,
    "offline": meter_controls.c.online.is_(False),
    "overload": meter_controls.c.overload_tripped.is_(True),
}
TAG_FILTERS = ("project", "building", "floor", "tenant", "mode")


class UnknownStateFilter(ValueError):
    pass


def selection_filters(selection: dict[str, Any]) -> list:
    """The WHERE clauses of a meter selection: explicit ids, tags, mode, state (all ANDed)."""
    clauses = []
    if selection.get("meter_ids"):
        clauses.append(meter_controls.c.meter_id.in_(selection["meter_ids"]))
    for name in TAG_FILTERS:
        if selection.get(name):
            clauses.append(meter_controls.c[name] == selection[name])
    state = selection.get("state")
    if state:
        if state not in STATE_FILTERS:
            raise UnknownStateFilter(f"未知状态 unknown state {state!r}; known: {', '.join(STATE_FILTERS)}")
        clauses.append(STATE_FILTERS[state])
    return clauses


class ControlRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- meters

    async def last_confirmed_at(self, meter_id: str) -> datetime | None:
        """When the meter's latest confirmed command was recorded."""
        return await self.session.scalar(select(func.max(commands.c.completed_at)).where(
            commands.c.meter_id == meter_id, commands.c.status == "confirmed"))

    async def meter_for_update(self, meter_id: str) -> MeterControlRow:
        """The meter's control row, created in prepaid mode on first sight, locked for this transaction."""
        await self.session.execute(insert(meter_controls).values(meter_id=meter_id).on_conflict_do_nothing())
        row = (await self.session.execute(
            select(*_METER).where(meter_controls.c.meter_id == meter_id).with_for_update())).one()
        return MeterControlRow(*row)

    async def ensure_meters(self, meter_ids: list[str]) -> None:
        if meter_ids:
            await self.session.execute(insert(meter_controls).values([{"meter_id": m} for m in meter_ids])
                                       .on_conflict_do_nothing())

    async def update_meter(self, meter_id: str, now: datetime, **values: object) -> None:
        await self.session.execute(update(meter_controls).where(meter_controls.c.meter_id == meter_id)
                                   .values(updated_at=now, **values))

    async def meter(self, meter_id: str) -> MeterControlRow | None:
        row = (await self.session.execute(select(*_METER).where(meter_controls.c.meter_id == meter_id))).first()
        return MeterControlRow(*row) if row else None

    async def select_meters(self, selection: dict[str, Any], limit: int) -> list[MeterControlRow]:
        stmt = select(*_METER).where(*selection_filters(selection)).order_by(meter_controls.c.meter_id).limit(limit)
        return [MeterControlRow(*r) for r in await self.session.execute(stmt)]

    async def meters_due_cut_check(self, now: datetime, limit: int) -> list[str]:
        rows = await self.session.execute(select(meter_controls.c.meter_id).where(
            meter_controls.c.cut_check_at <= now).order_by(meter_controls.c.cut_check_at).limit(limit))
        return [r[0] for r in rows]

    async def recheck_arrears(self, project: str | None, now: datetime) -> None:
        """Have the sweep settle every meter in arrears (of one project, or all) again."""
        clauses = [meter_controls.c.in_arrears.is_(True)]
        if project is not None:
            clauses.append(meter_controls.c.project == project)
        await self.session.execute(update(meter_controls).where(*clauses).values(cut_check_at=now))

    async def water_meters(self) -> set[str]:
        rows = await self.session.execute(select(meter_controls.c.meter_id).where(meter_controls.c.kind == 2))
        return {r[0] for r in rows}

    async def overload_thresholds(self) -> dict[str, int]:
        rows = await self.session.execute(select(meter_controls.c.meter_id, meter_controls.c.overload_threshold_w)
                                          .where(meter_controls.c.overload_threshold_w > 0))
        return {meter_id: threshold for meter_id, threshold in rows}

    # ---- commands

    async def add_command(self, values: dict) -> bool:
        """Insert a command; False when its id exists (a retried request)."""
        result = await self.session.execute(insert(commands).values(**values).on_conflict_do_nothing()
                                            .returning(commands.c.command_id))
        return result.first() is not None

    async def command(self, command_id: str, for_update: bool = False) -> CommandRow | None:
        stmt = select(*_COMMAND).where(commands.c.command_id == command_id)
        row = (await self.session.execute(stmt.with_for_update() if for_update else stmt)).first()
        return CommandRow(*row) if row else None

    async def supply_command_pending(self, meter_id: str) -> bool:
        return await self.session.scalar(select(exists().where(
            commands.c.meter_id == meter_id, commands.c.status.in_(OPEN_STATUSES),
            commands.c.action.in_([int(a) for a in SUPPLY_ACTIONS])))) or False

    async def command_in_flight(self, meter_id: str) -> bool:
        return await self.session.scalar(select(exists().where(
            commands.c.meter_id == meter_id, commands.c.status == Status.SENT.value))) or False

    async def next_queued(self, meter_id: str) -> CommandRow | None:
        """The meter's oldest queued command (commands leave in order, one at a time)."""
        row = (await self.session.execute(select(*_COMMAND).where(
            commands.c.meter_id == meter_id, commands.c.status == Status.QUEUED.value)
            .order_by(commands.c.seq).limit(1))).first()
        return CommandRow(*row) if row else None

    async def update_command(self, command_id: str, **values: object) -> None:
        await self.session.execute(update(commands).where(commands.c.command_id == command_id).values(**values))

    async def timed_out_commands(self, now: datetime, limit: int) -> list[str]:
        rows = await self.session.execute(select(commands.c.command_id).where(
            commands.c.status == Status.SENT.value, commands.c.result_deadline < now)
            .order_by(commands.c.result_deadline).limit(limit))
        return [r[0] for r in rows]

    async def meters_with_due_queue(self, now: datetime, limit: int) -> list[str]:
        """Meters whose next command may leave now: something queued and due, nothing in flight."""
        in_flight = select(commands.c.meter_id).where(commands.c.status == Status.SENT.value)
        rows = await self.session.execute(select(commands.c.meter_id).where(
            commands.c.status == Status.QUEUED.value,
            or_(commands.c.next_attempt_at.is_(None), commands.c.next_attempt_at <= now),
            commands.c.meter_id.not_in(in_flight)).group_by(commands.c.meter_id)
            .order_by(func.min(commands.c.seq)).limit(limit))
        return [r[0] for r in rows]

    async def list_commands(self, meter_id: str | None, batch_id: str | None, status: str | None,
                            limit: int) -> list[CommandRow]:
        clauses = [c for c in (
            commands.c.meter_id == meter_id if meter_id else None,
            commands.c.batch_id == batch_id if batch_id else None,
            commands.c.status == status if status else None) if c is not None]
        stmt = select(*_COMMAND).where(*clauses).order_by(commands.c.seq.desc()).limit(limit)
        return [CommandRow(*r) for r in await self.session.execute(stmt)]

    async def batch_commands(self, batch_id: str, statuses: tuple[str, ...] | None = None) -> list[CommandRow]:
        clauses = [commands.c.batch_id == batch_id]
        if statuses:
            clauses.append(commands.c.status.in_(statuses))
        stmt = select(*_COMMAND).where(*clauses).order_by(commands.c.meter_id)
        return [CommandRow(*r) for r in await self.session.execute(stmt)]

    async def batch_progress(self, batch_id: str) -> dict[str, int]:
        rows = await self.session.execute(select(commands.c.status, func.count()).where(
            commands.c.batch_id == batch_id).group_by(commands.c.status))
        return {status: count for status, count in rows}

    # ---- attempts

    async def add_attempt(self, command_id: str, attempt: int, sent_at: datetime) -> None:
        await self.session.execute(insert(command_attempts).values(
            command_id=command_id, attempt=attempt, sent_at=sent_at).on_conflict_do_nothing())

    async def finish_attempt(self, command_id: str, attempt: int, outcome: str, detail: str, relay_state: int,
                             at: datetime) -> None:
        await self.session.execute(update(command_attempts).where(
            command_attempts.c.command_id == command_id, command_attempts.c.attempt == attempt)
            .values(outcome=outcome, detail=detail[:500], relay_state=relay_state, completed_at=at))

    async def attempts_of(self, command_ids: list[str]) -> dict[str, list[AttemptRow]]:
        found: dict[str, list[AttemptRow]] = {c: [] for c in command_ids}
        if command_ids:
            rows = await self.session.execute(select(*_ATTEMPT).where(
                command_attempts.c.command_id.in_(command_ids)).order_by(command_attempts.c.attempt))
            for row in rows:
                found[row.command_id].append(AttemptRow(*row))
        return found

    # ---- batches

    async def add_batch(self, values: dict) -> bool:
        result = await self.session.execute(insert(batches).values(**values).on_conflict_do_nothing()
                                            .returning(batches.c.batch_id))
        return result.first() is not None

    async def batch(self, batch_id: str, for_update: bool = False) -> BatchRow | None:
        stmt = select(*_BATCH).where(batches.c.batch_id == batch_id)
        row = (await self.session.execute(stmt.with_for_update() if for_update else stmt)).first()
        return BatchRow(*row) if row else None

    async def list_batches(self, limit: int) -> list[BatchRow]:
        rows = await self.session.execute(select(*_BATCH).order_by(batches.c.created_at.desc()).limit(limit))
        return [BatchRow(*r) for r in rows]

    async def due_batches(self, now: datetime, limit: int) -> list[str]:
        rows = await self.session.execute(select(batches.c.batch_id).where(
            batches.c.status == "scheduled", batches.c.run_at <= now).order_by(batches.c.run_at).limit(limit))
        return [r[0] for r in rows]

    async def finished_running_batches(self, limit: int) -> list[str]:
        """Running batches none of whose items is still queued or sent."""
        open_items = select(commands.c.command_id).where(and_(
            commands.c.batch_id == batches.c.batch_id, commands.c.status.in_(OPEN_STATUSES)))
        rows = await self.session.execute(select(batches.c.batch_id).where(
            batches.c.status == "running", ~exists(open_items)).limit(limit))
        return [r[0] for r in rows]

    async def update_batch(self, batch_id: str, **values: object) -> None:
        await self.session.execute(update(batches).where(batches.c.batch_id == batch_id).values(**values))

    # ---- protection windows

    async def window(self, project: str) -> WindowRow | None:
        row = (await self.session.execute(select(*_WINDOW).where(protection_windows.c.project == project))).first()
        return WindowRow(*row) if row else None

    async def windows(self) -> list[WindowRow]:
        rows = await self.session.execute(select(*_WINDOW).order_by(protection_windows.c.project))
        return [WindowRow(*r) for r in rows]

    async def upsert_window(self, values: dict, now: datetime) -> None:
        stmt = insert(protection_windows).values(**values, updated_at=now)
        await self.session.execute(stmt.on_conflict_do_update(
            index_elements=[protection_windows.c.project],
            set_={k: stmt.excluded[k] for k in (*values, "updated_at") if k != "project"}))
