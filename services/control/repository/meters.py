"""Meters: the control row per meter, handed out locked when it may change."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.control.domain.batches import Selection, SelectionState
from services.control.domain.meter import LockedMeter, MeterControl, MeterTags, WatchedMeter
from services.control.domain.policy import Kind, Mode, Supply
from services.control.models import meter_controls
from services.kit.paging import Page, decode_cursor, page_of

TAG_COLUMNS = ("project", "building", "floor", "tenant")
STATE_FILTERS = {
    SelectionState.ARREARS: meter_controls.c.in_arrears.is_(True),
    SelectionState.ON: meter_controls.c.known_state == int(Supply.ON),
    SelectionState.OFF: meter_controls.c.known_state == int(Supply.OFF),
    SelectionState.OFFLINE: meter_controls.c.online.is_(False),
    SelectionState.OVERLOAD: meter_controls.c.overload_tripped.is_(True),
}


class LockNotHeld(RuntimeError):
    """A bug: a meter or its commands changed without the lock of this transaction."""


def _meter(row) -> MeterControl:
    return MeterControl(
        meter_id=row.meter_id, mode=Mode(row.mode), in_arrears=row.in_arrears, known_state=Supply(row.known_state),
        kind=Kind(row.kind), tags=MeterTags(**{name: getattr(row, name) for name in TAG_COLUMNS}),
        overload_threshold_w=row.overload_threshold_w, overload_tripped=row.overload_tripped, online=row.online,
        last_power_w=row.last_power_w, cut_check_at=row.cut_check_at, updated_at=row.updated_at,
        placed_at=row.placed_at)


def _meter_values(m: MeterControl) -> dict[str, Any]:
    return dict(mode=m.mode.value, in_arrears=m.in_arrears, known_state=int(m.known_state), kind=int(m.kind),
                **asdict(m.tags), overload_threshold_w=m.overload_threshold_w, overload_tripped=m.overload_tripped,
                online=m.online, last_power_w=m.last_power_w, cut_check_at=m.cut_check_at, updated_at=m.updated_at,
                placed_at=m.placed_at)


def selection_filters(selection: Selection) -> list:
    """The WHERE clauses of a meter selection: explicit ids, tags, mode, state (all ANDed)."""
    clauses = []
    if selection.meter_ids:
        clauses.append(meter_controls.c.meter_id.in_(selection.meter_ids))
    for name in TAG_COLUMNS:
        if getattr(selection, name):
            clauses.append(meter_controls.c[name] == getattr(selection, name))
    if selection.mode is not None:
        clauses.append(meter_controls.c.mode == selection.mode.value)
    if selection.state is not None:
        clauses.append(STATE_FILTERS[selection.state])
    return clauses


class MeterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._locked: dict[str, LockedMeter] = {}

    async def get_for_update(self, meter_id: str) -> LockedMeter:
        """The meter, created in prepaid mode on first sight, locked until this transaction ends.

        The one way to a meter that may change; asked twice in one transaction, it is the same object.
        """
        if meter_id in self._locked:
            return self._locked[meter_id]
        await self.session.execute(insert(meter_controls).values(meter_id=meter_id).on_conflict_do_nothing())
        row = (await self.session.execute(
            select(meter_controls).where(meter_controls.c.meter_id == meter_id).with_for_update())).one()
        self._locked[meter_id] = LockedMeter(_meter(row))
        return self._locked[meter_id]

    def check_locked(self, meter: LockedMeter) -> str:
        """The meter's id, once it is sure this transaction holds the meter's lock."""
        if self._locked.get(meter.meter_id) is not meter:
            raise LockNotHeld(f"meter {meter.meter_id!r} is not locked by this transaction")
        return meter.meter_id

    async def write_changes(self) -> None:
        """Store what the locked meters changed (the unit of work calls this before it commits)."""
        for meter in self._locked.values():
            if meter.changed:
                await self.session.execute(update(meter_controls).where(
                    meter_controls.c.meter_id == meter.meter_id).values(**_meter_values(meter.current)))
                meter.written()

    def release(self) -> None:
        """The transaction ended: its locks are gone, so are the meters it held."""
        self._locked.clear()

    async def get(self, meter_id: str) -> MeterControl | None:
        row = (await self.session.execute(select(meter_controls).where(meter_controls.c.meter_id == meter_id))).first()
        return _meter(row) if row else None

    async def ensure(self, meter_ids: list[str]) -> None:
        """Meters named explicitly exist from now on (in prepaid mode), so a selection by id finds them."""
        if meter_ids:
            await self.session.execute(insert(meter_controls).values([{"meter_id": m} for m in meter_ids])
                                       .on_conflict_do_nothing())

    async def select(self, selection: Selection, limit: int, cursor: str = "") -> Page[MeterControl]:
        """The meters of a selection, by meter id."""
        clauses = selection_filters(selection)
        if cursor:
            clauses.append(meter_controls.c.meter_id > decode_cursor(cursor, str)[0])
        rows = (await self.session.execute(select(meter_controls).where(*clauses)
                                           .order_by(meter_controls.c.meter_id).limit(limit + 1))).all()
        return page_of(rows, limit, _meter, lambda r: (r.meter_id,))

    async def due_cut_check(self, now: datetime, limit: int) -> list[str]:
        rows = await self.session.execute(select(meter_controls.c.meter_id).where(
            meter_controls.c.cut_check_at <= now).order_by(meter_controls.c.cut_check_at).limit(limit))
        return list(rows.scalars())

    async def recheck_arrears(self, project: str | None, now: datetime) -> None:
        """Have the sweep settle every meter in arrears (of one project, or all) again."""
        clauses = [meter_controls.c.in_arrears.is_(True)]
        if project is not None:
            clauses.append(meter_controls.c.project == project)
        await self.session.execute(update(meter_controls).where(*clauses).values(cut_check_at=now))

    async def watched(self, limit: int, cursor: str = "") -> Page[WatchedMeter]:
        """The meters the reading stream must know of: water meters and meters with an overload threshold."""
        clauses = [or_(meter_controls.c.overload_threshold_w > 0, meter_controls.c.kind == int(Kind.WATER))]
        if cursor:
            clauses.append(meter_controls.c.meter_id > decode_cursor(cursor, str)[0])
        rows = (await self.session.execute(
            select(meter_controls.c.meter_id, meter_controls.c.kind, meter_controls.c.overload_threshold_w)
            .where(*clauses).order_by(meter_controls.c.meter_id).limit(limit + 1))).all()
        return page_of(rows, limit, lambda r: WatchedMeter(r.meter_id, Kind(r.kind), r.overload_threshold_w),
                     lambda r: (r.meter_id,))
