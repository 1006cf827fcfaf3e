"""Batches and protection windows."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.control.domain.batches import Batch, BatchStatus, Selection, selection_mode, selection_state
from services.control.domain.lifecycle import MAX_TEXT_CHARS
from services.control.domain.operations import Operation, Settings
from services.control.domain.windows import ProtectionWindow
from services.control.models import batches, commands, protection_windows
from services.control.repository.commands import OPEN_STATUSES
from services.kit.paging import Page, decode_cursor, page_of

SELECTION_TEXT_FIELDS = ("project", "building", "floor", "tenant")


def selection_json(selection: Selection) -> dict[str, Any]:
    """As stored (and compared when a batch id comes again): only the fields that filter."""
    values: dict[str, Any] = {name: getattr(selection, name) for name in SELECTION_TEXT_FIELDS}
    values["mode"] = selection.mode.value if selection.mode else ""
    values["state"] = selection.state.value if selection.state else ""
    values["meter_ids"] = list(selection.meter_ids)
    return {k: v for k, v in values.items() if v}


def selection_of(stored: dict[str, Any]) -> Selection:
    return Selection(meter_ids=tuple(stored.get("meter_ids") or ()),
                     **{name: stored.get(name, "") for name in SELECTION_TEXT_FIELDS},
                     mode=selection_mode(stored.get("mode", "")), state=selection_state(stored.get("state", "")))


def _batch(row) -> Batch:
    return Batch(
        batch_id=row.batch_id, operation=Operation(row.operation), status=BatchStatus(row.status),
        selection=selection_of(row.selection), settings=Settings(**row.settings) if row.settings else None,
        requested_by=row.requested_by, reason=row.reason, created_at=row.created_at, run_at=row.run_at,
        started_at=row.started_at, finished_at=row.finished_at, total=row.total)


class BatchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, batch: Batch) -> bool:
        """Record a batch; False when its id exists (a retried request)."""
        result = await self.session.execute(insert(batches).values(
            batch_id=batch.batch_id, operation=int(batch.operation), status=batch.status.value,
            selection=selection_json(batch.selection), settings=asdict(batch.settings) if batch.settings else None,
            requested_by=batch.requested_by[:MAX_TEXT_CHARS], reason=batch.reason[:MAX_TEXT_CHARS],
            created_at=batch.created_at, run_at=batch.run_at).on_conflict_do_nothing().returning(batches.c.batch_id))
        return result.first() is not None

    async def get(self, batch_id: str) -> Batch | None:
        row = (await self.session.execute(select(batches).where(batches.c.batch_id == batch_id))).first()
        return _batch(row) if row else None

    async def get_for_update(self, batch_id: str) -> Batch | None:
        """The batch, locked until this transaction ends: its status changes one request at a time."""
        row = (await self.session.execute(
            select(batches).where(batches.c.batch_id == batch_id).with_for_update())).first()
        return _batch(row) if row else None

    async def list(self, limit: int, cursor: str = "") -> Page[Batch]:
        """Newest first."""
        clauses = []
        if cursor:
            clauses.append(tuple_(batches.c.created_at, batches.c.batch_id) < decode_cursor(cursor, datetime, str))
        rows = (await self.session.execute(select(batches).where(*clauses).order_by(
            batches.c.created_at.desc(), batches.c.batch_id.desc()).limit(limit + 1))).all()
        return page_of(rows, limit, _batch, lambda r: (r.created_at, r.batch_id))

    async def due(self, now: datetime, limit: int) -> list[str]:
        """Scheduled batches whose time has come."""
        rows = await self.session.execute(select(batches.c.batch_id).where(
            batches.c.status == BatchStatus.SCHEDULED.value, batches.c.run_at <= now)
            .order_by(batches.c.run_at).limit(limit))
        return list(rows.scalars())

    async def finished_running(self, limit: int) -> list[str]:
        """Running batches none of whose items is still queued or sent."""
        open_items = select(commands.c.command_id).where(
            commands.c.batch_id == batches.c.batch_id, commands.c.status.in_(OPEN_STATUSES))
        rows = await self.session.execute(select(batches.c.batch_id).where(
            batches.c.status == BatchStatus.RUNNING.value, ~exists(open_items)).limit(limit))
        return list(rows.scalars())

    async def mark_started(self, batch_id: str, total: int, now: datetime) -> None:
        """The batch expanded into its items; one that selected no meter is done at once."""
        await self._update(batch_id, status=(BatchStatus.RUNNING if total else BatchStatus.DONE).value,
                           started_at=now, total=total, finished_at=None if total else now)

    async def mark_done(self, batch_id: str, now: datetime) -> None:
        await self._update(batch_id, status=BatchStatus.DONE.value, finished_at=now)

    async def mark_cancelled(self, batch_id: str, now: datetime) -> None:
        await self._update(batch_id, status=BatchStatus.CANCELLED.value, finished_at=now)

    async def reopen(self, batch_id: str) -> None:
        """Items were re-sent: the batch runs again until they are final."""
        await self._update(batch_id, status=BatchStatus.RUNNING.value, finished_at=None)

    async def _update(self, batch_id: str, **values: object) -> None:
        await self.session.execute(update(batches).where(batches.c.batch_id == batch_id).values(**values))


def _window(row) -> ProtectionWindow:
    return ProtectionWindow(project=row.project, night_start=row.night_start, night_end=row.night_end,
                            weekends=row.weekends, holidays=row.holidays, timezone=row.timezone)


class WindowRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, project: str) -> ProtectionWindow | None:
        row = (await self.session.execute(
            select(protection_windows).where(protection_windows.c.project == project))).first()
        return _window(row) if row else None

    async def list(self, limit: int, cursor: str = "") -> Page[ProtectionWindow]:
        """By project ("" first: the default)."""
        clauses = [protection_windows.c.project > decode_cursor(cursor, str)[0]] if cursor else []
        rows = (await self.session.execute(select(protection_windows).where(*clauses)
                                           .order_by(protection_windows.c.project).limit(limit + 1))).all()
        return page_of(rows, limit, _window, lambda r: (r.project,))

    async def put(self, window: ProtectionWindow, now: datetime) -> None:
        values = asdict(window)
        stmt = insert(protection_windows).values(**values, updated_at=now)
        await self.session.execute(stmt.on_conflict_do_update(
            index_elements=[protection_windows.c.project],
            set_={k: stmt.excluded[k] for k in (*values, "updated_at") if k != "project"}))
