"""The meters an operator's command or plan reaches (scoped), and the commands read model: the commands console
submitted (inserted once, ON CONFLICT DO NOTHING, so the projection of control.events.v1 that upserts the
final outcome is never overwritten), listed and fetched within the caller's scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.ltree import within
from services.console.models import commands, meters, nodes
from services.console.repository.live_scope import node_path
from services.kit.paging import Page, decode_cursor, page_of


@dataclass(frozen=True)
class MeterRef:
    """Where a meter is (what scope checks and batches need)."""

    meter_id: str
    room_id: str
    property_id: str
    path: str
    kind: str


@dataclass(frozen=True)
class CommandRow:
    command_id: str
    meter_id: str
    property_id: str
    path: str
    action: str
    status: str
    requested_by: str = ""
    reason: str = ""
    detail: str = ""
    batch_id: str = ""
    created_at: datetime | None = None
    completed_at: datetime | None = None


_METER_COLUMNS = (meters.c.meter_id, meters.c.room_id, meters.c.property_id, meters.c.path, meters.c.kind)


class CommandRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- meters in scope

    async def meters_within(self, meter_ids: Sequence[str], paths: Sequence[str]) -> dict[str, MeterRef]:
        """Those of the meters that lie within the paths."""
        stmt = select(*_METER_COLUMNS).where(meters.c.meter_id.in_(list(meter_ids)), within(meters.c.path, paths))
        return {r["meter_id"]: MeterRef(**r) for r in (await self.session.execute(stmt)).mappings().all()}

    async def node_within(self, node_id: str, paths: Sequence[str]) -> tuple[str, str | None] | None:
        """(path, property id) of a node within the paths; None when absent or out of scope."""
        row = (await self.session.execute(select(nodes.c.path, nodes.c.property_id).where(
            nodes.c.node_id == node_id, within(nodes.c.path, paths)))).first()
        return (row.path, row.property_id) if row else None

    async def meters_under(self, node_id: str, paths: Sequence[str], limit: int) -> list[MeterRef]:
        """Meters in the node's subtree and within the paths, by id, at most limit (+1 to tell it is more)."""
        stmt = (select(*_METER_COLUMNS)
                .where(meters.c.path.op("<@")(node_path(node_id)), within(meters.c.path, paths))
                .order_by(meters.c.meter_id).limit(limit + 1))
        return [MeterRef(**r) for r in (await self.session.execute(stmt)).mappings().all()]

    # ---- the commands read model

    async def record_command(self, command: CommandRow) -> bool:
        """Insert what console submitted; a row the projection (or a retry) wrote first is left as it is."""
        c = command
        values = {"command_id": c.command_id, "meter_id": c.meter_id, "property_id": c.property_id, "path": c.path,
                  "action": c.action, "status": c.status, "requested_by": c.requested_by[:100],
                  "reason": c.reason[:200], "detail": c.detail[:500], "batch_id": c.batch_id,
                  "completed_at": c.completed_at}
        if c.created_at is not None:
            values["created_at"] = c.created_at
        result = await self.session.execute(insert(commands).values(**values).on_conflict_do_nothing()
                                            .returning(commands.c.command_id))
        return result.first() is not None

    async def get_command(self, command_id: str, paths: Sequence[str]) -> CommandRow | None:
        row = (await self.session.execute(select(commands).where(
            commands.c.command_id == command_id, within(commands.c.path, paths)))).mappings().first()
        return CommandRow(**row) if row else None

    async def list_commands(self, paths: Sequence[str], meter_id: str, status: str, limit: int,
                            cursor: str = "") -> Page[CommandRow]:
        """Commands within the paths, newest first, optionally of one meter and in one status."""
        c = commands.c
        conditions = [within(c.path, paths)]
        if meter_id:
            conditions.append(c.meter_id == meter_id)
        if status:
            conditions.append(c.status == status)
        if cursor:
            at, command_id = decode_cursor(cursor, datetime, str)
            conditions.append(or_(c.created_at < at, and_(c.created_at == at, c.command_id < command_id)))
        stmt = (select(commands).where(*conditions).order_by(c.created_at.desc(), c.command_id.desc())
                .limit(limit + 1))
        rows = (await self.session.execute(stmt)).mappings().all()
        return page_of(rows, limit, lambda r: CommandRow(**r), lambda r: (r["created_at"], r["command_id"]))
