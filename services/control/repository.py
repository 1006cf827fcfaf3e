"""Every query of the control service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.control.models import commands, meter_controls


@dataclass(frozen=True)
class MeterControlRow:
    meter_id: str
    mode: str
    in_arrears: bool
    known_state: int


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


_CONTROL_COLUMNS = (meter_controls.c.meter_id, meter_controls.c.mode, meter_controls.c.in_arrears,
                    meter_controls.c.known_state)
_COMMAND_COLUMNS = (commands.c.command_id, commands.c.meter_id, commands.c.action, commands.c.status,
                    commands.c.attempt, commands.c.requested_by, commands.c.reason, commands.c.detail,
                    commands.c.created_at, commands.c.completed_at)


class ControlRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def meter_for_update(self, meter_id: str) -> MeterControlRow:
        """The meter's control row, created in prepaid mode on first sight, locked for this transaction."""
        await self.session.execute(insert(meter_controls).values(meter_id=meter_id).on_conflict_do_nothing())
        row = (await self.session.execute(
            select(*_CONTROL_COLUMNS).where(meter_controls.c.meter_id == meter_id).with_for_update())).one()
        return MeterControlRow(*row)

    async def update_meter(self, meter_id: str, now: datetime, **values: object) -> None:
        await self.session.execute(update(meter_controls).where(meter_controls.c.meter_id == meter_id)
                                   .values(updated_at=now, **values))

    async def command_in_flight(self, meter_id: str) -> bool:
        return await self.session.scalar(select(commands.c.command_id).where(
            commands.c.meter_id == meter_id, commands.c.status == "sent").limit(1)) is not None

    async def add_command(self, values: dict) -> None:
        await self.session.execute(insert(commands).values(**values))

    async def command(self, command_id: str) -> CommandRow | None:
        row = (await self.session.execute(select(*_COMMAND_COLUMNS).where(commands.c.command_id == command_id))).first()
        return CommandRow(*row) if row else None

    async def complete_command(self, command_id: str, status: str, detail: str, at: datetime) -> None:
        await self.session.execute(update(commands).where(commands.c.command_id == command_id)
                                   .values(status=status, detail=detail[:500], completed_at=at))

    async def commands(self, meter_id: str | None, limit: int) -> list[CommandRow]:
        stmt = select(*_COMMAND_COLUMNS).order_by(commands.c.created_at.desc()).limit(limit)
        if meter_id:
            stmt = stmt.where(commands.c.meter_id == meter_id)
        return [CommandRow(*r) for r in await self.session.execute(stmt)]

    async def meters(self) -> list[MeterControlRow]:
        rows = await self.session.execute(select(*_CONTROL_COLUMNS).order_by(meter_controls.c.meter_id))
        return [MeterControlRow(*r) for r in rows]
