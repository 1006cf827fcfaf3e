"""Commands and their attempts. Every change goes through the LockedMeter of the command's meter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import exists, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.control.domain.batches import BatchProgress
from services.control.domain.commands import CommandQuery
from services.control.domain.lifecycle import (
    MAX_DETAIL_CHARS,
    MAX_TEXT_CHARS,
    Attempt,
    AttemptEnd,
    AttemptOutcome,
    Command,
    CommandRequest,
    Origin,
    Status,
)
from services.control.domain.meter import LockedMeter
from services.control.domain.operations import Settings
from services.control.domain.policy import SUPPLY_ACTIONS, Action, Supply
from services.control.models import command_attempts, commands
from services.control.repository.meters import LockNotHeld, MeterRepository
from services.kit.paging import Page, decode_cursor, page_of

OPEN_STATUSES = (Status.QUEUED.value, Status.SENT.value)


def _command(row) -> Command:
    return Command(
        command_id=row.command_id, meter_id=row.meter_id, action=Action(row.action), status=Status(row.status),
        origin=Origin(row.origin), attempt=row.attempt, attempt_limit=row.attempt_limit,
        requested_by=row.requested_by, reason=row.reason, detail=row.detail, relay_state=Supply(row.relay_state),
        batch_id=row.batch_id, settings=Settings(**row.settings) if row.settings else None,
        created_at=row.created_at, sent_at=row.sent_at, completed_at=row.completed_at,
        next_attempt_at=row.next_attempt_at, result_deadline=row.result_deadline, seq=row.seq)


def _attempt(row) -> Attempt:
    return Attempt(command_id=row.command_id, attempt=row.attempt, sent_at=row.sent_at,
                   completed_at=row.completed_at, outcome=AttemptOutcome(row.outcome), detail=row.detail,
                   relay_state=Supply(row.relay_state))


class CommandRepository:
    def __init__(self, session: AsyncSession, meters: MeterRepository) -> None:
        self.session = session
        self._meters = meters

    # ---- reads

    async def get(self, command_id: str) -> Command | None:
        """A look at a command, without a lock: enough to learn whose meter to lock."""
        row = (await self.session.execute(select(commands).where(commands.c.command_id == command_id))).first()
        return _command(row) if row else None

    async def get_locked(self, meter: LockedMeter, command_id: str) -> Command | None:
        """The meter's command, read again under the meter's lock (and its own)."""
        meter_id = self._meters.check_locked(meter)
        row = (await self.session.execute(select(commands).where(
            commands.c.command_id == command_id, commands.c.meter_id == meter_id).with_for_update())).first()
        return _command(row) if row else None

    async def supply_pending(self, meter: LockedMeter) -> bool:
        """Is a supply command for the meter queued or in flight?"""
        return await self.session.scalar(select(exists().where(
            commands.c.meter_id == self._meters.check_locked(meter), commands.c.status.in_(OPEN_STATUSES),
            commands.c.action.in_([int(a) for a in SUPPLY_ACTIONS])))) or False

    async def in_flight(self, meter: LockedMeter) -> bool:
        return await self.session.scalar(select(exists().where(
            commands.c.meter_id == self._meters.check_locked(meter), commands.c.status == Status.SENT.value))) or False

    async def next_queued(self, meter: LockedMeter) -> Command | None:
        """The meter's oldest queued command (commands leave in order, one at a time)."""
        row = (await self.session.execute(select(commands).where(
            commands.c.meter_id == self._meters.check_locked(meter), commands.c.status == Status.QUEUED.value)
            .order_by(commands.c.seq).limit(1))).first()
        return _command(row) if row else None

    async def last_confirmed_at(self, meter: LockedMeter) -> datetime | None:
        """When the meter's latest confirmed command was recorded."""
        return await self.session.scalar(select(func.max(commands.c.completed_at)).where(
            commands.c.meter_id == self._meters.check_locked(meter), commands.c.status == Status.CONFIRMED.value))

    async def list(self, query: CommandQuery, limit: int, cursor: str = "") -> Page[Command]:
        """Newest first (by the order they were queued in)."""
        clauses = [c for c in (
            commands.c.meter_id == query.meter_id if query.meter_id else None,
            commands.c.batch_id == query.batch_id if query.batch_id else None,
            commands.c.status == query.status.value if query.status else None,
            commands.c.seq < decode_cursor(cursor, int)[0] if cursor else None) if c is not None]
        rows = (await self.session.execute(select(commands).where(*clauses)
                                           .order_by(commands.c.seq.desc()).limit(limit + 1))).all()
        return page_of(rows, limit, _command, lambda r: (r.seq,))

    async def of_batch(self, batch_id: str, statuses: Sequence[Status], limit: int,
                       cursor: str = "") -> Page[Command]:
        """A batch's items (all, or those in the given statuses), by meter."""
        clauses = [commands.c.batch_id == batch_id]
        if statuses:
            clauses.append(commands.c.status.in_([s.value for s in statuses]))
        if cursor:
            clauses.append(tuple_(commands.c.meter_id, commands.c.command_id) > decode_cursor(cursor, str, str))
        rows = (await self.session.execute(select(commands).where(*clauses).order_by(
            commands.c.meter_id, commands.c.command_id).limit(limit + 1))).all()
        return page_of(rows, limit, _command, lambda r: (r.meter_id, r.command_id))

    async def progress(self, batch_id: str) -> BatchProgress:
        rows = await self.session.execute(select(commands.c.status, func.count()).where(
            commands.c.batch_id == batch_id).group_by(commands.c.status))
        return BatchProgress.of({Status(status): count for status, count in rows})

    async def attempts_of(self, command_ids: list[str]) -> dict[str, list[Attempt]]:
        found: dict[str, list[Attempt]] = {c: [] for c in command_ids}
        if command_ids:
            rows = await self.session.execute(select(command_attempts).where(
                command_attempts.c.command_id.in_(command_ids)).order_by(command_attempts.c.attempt))
            for row in rows:
                found[row.command_id].append(_attempt(row))
        return found

    # ---- the sweep's queues

    async def timed_out(self, now: datetime, limit: int) -> list[str]:
        rows = await self.session.execute(select(commands.c.command_id).where(
            commands.c.status == Status.SENT.value, commands.c.result_deadline < now)
            .order_by(commands.c.result_deadline).limit(limit))
        return list(rows.scalars())

    async def meters_with_due_queue(self, now: datetime, limit: int) -> list[str]:
        """Meters whose next command may leave now: something queued and due, nothing in flight."""
        in_flight = select(commands.c.meter_id).where(commands.c.status == Status.SENT.value)
        rows = await self.session.execute(select(commands.c.meter_id).where(
            commands.c.status == Status.QUEUED.value,
            or_(commands.c.next_attempt_at.is_(None), commands.c.next_attempt_at <= now),
            commands.c.meter_id.not_in(in_flight)).group_by(commands.c.meter_id)
            .order_by(func.min(commands.c.seq)).limit(limit))
        return list(rows.scalars())

    # ---- changes: each under the meter's lock

    async def add(self, meter: LockedMeter, command_id: str, request: CommandRequest, attempt_limit: int,
                  now: datetime) -> bool:
        """Queue a command; False when its id exists (a retried request)."""
        settings = request.settings
        result = await self.session.execute(insert(commands).values(
            command_id=command_id, meter_id=self._meters.check_locked(meter), action=int(request.action),
            status=Status.QUEUED.value, attempt=0, attempt_limit=attempt_limit, origin=request.origin.value,
            batch_id=request.batch_id, requested_by=request.requested_by[:MAX_TEXT_CHARS],
            reason=request.reason[:MAX_TEXT_CHARS], created_at=now,
            settings=asdict(settings) if settings and not settings.is_empty() else None)
            .on_conflict_do_nothing().returning(commands.c.command_id))
        return result.first() is not None

    async def mark_sent(self, meter: LockedMeter, command: Command, attempt: int, now: datetime,
                        result_deadline: datetime) -> None:
        """Attempt n leaves: the command is in flight until its result or its deadline."""
        await self._update(meter, command, status=Status.SENT.value, attempt=attempt, sent_at=now,
                           next_attempt_at=None, result_deadline=result_deadline)
        await self.session.execute(insert(command_attempts).values(
            command_id=command.command_id, attempt=attempt, sent_at=now).on_conflict_do_nothing())

    async def finish_attempt(self, meter: LockedMeter, command: Command, end: AttemptEnd, now: datetime) -> None:
        self._meters.check_locked(meter)
        await self.session.execute(update(command_attempts).where(
            command_attempts.c.command_id == command.command_id, command_attempts.c.attempt == command.attempt)
            .values(outcome=end.outcome.value, detail=end.detail[:MAX_DETAIL_CHARS],
                    relay_state=int(end.relay_state), completed_at=now))

    async def requeue(self, meter: LockedMeter, command: Command, end: AttemptEnd, next_attempt_at: datetime) -> None:
        """A failed attempt with attempts left: the command waits for its backoff."""
        await self._update(meter, command, status=Status.QUEUED.value, detail=end.detail[:MAX_DETAIL_CHARS],
                           relay_state=int(end.relay_state), next_attempt_at=next_attempt_at)

    async def finish(self, meter: LockedMeter, command: Command, status: Status, detail: str,
                     relay_state: Supply, now: datetime) -> None:
        await self._update(meter, command, status=status.value, detail=detail[:MAX_DETAIL_CHARS],
                           relay_state=int(relay_state), completed_at=now, next_attempt_at=None)

    async def resend(self, meter: LockedMeter, command: Command, attempt_limit: int, detail: str) -> None:
        """A given-up command back in the queue with fresh attempts (its history stays)."""
        await self._update(meter, command, status=Status.QUEUED.value, completed_at=None, next_attempt_at=None,
                           attempt_limit=attempt_limit, detail=detail[:MAX_DETAIL_CHARS])

    async def _update(self, meter: LockedMeter, command: Command, **values: object) -> None:
        if self._meters.check_locked(meter) != command.meter_id:
            raise LockNotHeld(f"command {command.command_id!r} is not meter {meter.meter_id!r}'s")
        await self.session.execute(update(commands).where(commands.c.command_id == command.command_id)
                                   .values(**values))
