"""Every query of the acquisition service."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, literal_column, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.acquisition.domain.counters import CounterState
from services.acquisition.models import field_commands, gateways, meters, projects, readings

BULK_CHUNK_ROWS = 2000
PARTITION_LOCK_KEY = 0x61637170  # advisory lock: one instance creates a month's partition at a time


@dataclass(frozen=True)
class MeterRow:
    meter_id: str
    gateway_id: str
    device_id: int
    kind: int
    online: bool
    missed_polls: int
    relay_state: int
    last_total_wh: int | None
    last_read_at: datetime | None
    last_power_w: int | None
    protocol: str = "modbus"
    address: str = ""
    bus: int = 1
    counter_state: dict | None = None
    ct_ratio: int = 1
    last_volume_l: int | None = None

    def counters(self) -> CounterState:
        state = self.counter_state or {}
        return CounterState(dict(state.get("raw", {})), dict(state.get("offsets", {})))


@dataclass(frozen=True)
class GatewayRow:
    gateway_id: str
    host: str
    port: int
    poll_interval_s: int | None
    protocol: str = "modbus-tcp"
    online: bool = True
    project_id: str | None = None
    last_polled_at: datetime | None = None
    project_interval_s: int | None = None

    def interval_s(self, default_s: float) -> float:
        return float(self.poll_interval_s or self.project_interval_s or default_s)


_METER_COLUMNS = (meters.c.meter_id, meters.c.gateway_id, meters.c.device_id, meters.c.kind, meters.c.online,
                  meters.c.missed_polls, meters.c.relay_state, meters.c.last_total_wh, meters.c.last_read_at,
                  meters.c.last_power_w, meters.c.protocol, meters.c.address, meters.c.bus, meters.c.counter_state,
                  meters.c.ct_ratio, meters.c.last_volume_l)
_GATEWAY_COLUMNS = (gateways.c.gateway_id, gateways.c.host, gateways.c.port, gateways.c.poll_interval_s,
                    gateways.c.protocol, gateways.c.online, gateways.c.project_id, gateways.c.last_polled_at,
                    projects.c.poll_interval_s)


_INSERT_READINGS = insert(readings).on_conflict_do_nothing()
_STATE_TYPES = {"meter_id": "varchar", "online": "boolean", "missed_polls": "integer", "relay_state": "smallint",
                "last_read_at": "timestamptz", "last_total_wh": "bigint", "last_volume_l": "bigint",
                "last_power_w": "integer", "counter_state": "text"}
_STATE_COLUMNS = tuple(_STATE_TYPES)
_UPDATE_STATES = text(
    "UPDATE meters AS m SET "
    + ", ".join(f"{c} = v.{c}" + ("::jsonb" if c == "counter_state" else "") for c in _STATE_COLUMNS[1:])
    + " FROM unnest(" + ", ".join(f"CAST(:{c} AS {t}[])" for c, t in _STATE_TYPES.items()) + ")"
    + " AS v(" + ", ".join(_STATE_COLUMNS) + ") WHERE m.meter_id = v.meter_id")


def partition_name(month: date) -> str:
    return f"readings_y{month.year:04d}m{month.month:02d}"


def month_of(at: datetime) -> date:
    at = at.astimezone(UTC)
    return date(at.year, at.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


class AcquisitionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- registry

    async def upsert_gateway(self, gateway_id: str, host: str, port: int, protocol: str,
                             poll_interval_s: int | None, project_id: str | None = None) -> bool:
        values = dict(gateway_id=gateway_id, host=host, port=port, protocol=protocol,
                      poll_interval_s=poll_interval_s, project_id=project_id)
        # A DTU is offline until it dials in; a gateway we dial counts as online until a poll fails.
        stmt = insert(gateways).values(**values, online=protocol != "dtu")
        stmt = stmt.on_conflict_do_update(index_elements=[gateways.c.gateway_id], set_=values)
        result = await self.session.execute(stmt.returning(gateways.c.gateway_id, _inserted()))
        return bool(result.one()[1])

    async def upsert_project(self, project_id: str, poll_interval_s: int | None) -> None:
        stmt = insert(projects).values(project_id=project_id, poll_interval_s=poll_interval_s)
        if poll_interval_s is None:
            stmt = stmt.on_conflict_do_nothing()
        else:
            stmt = stmt.on_conflict_do_update(index_elements=[projects.c.project_id],
                                              set_=dict(poll_interval_s=poll_interval_s))
        await self.session.execute(stmt)

    async def gateway_exists(self, gateway_id: str) -> bool:
        found = await self.session.scalar(select(gateways.c.gateway_id).where(gateways.c.gateway_id == gateway_id))
        return found is not None

    async def upsert_meter(self, meter_id: str, gateway_id: str, device_id: int, kind: int, ct_ratio: int,
                           protocol: str = "modbus", address: str = "", bus: int = 1) -> bool:
        values = dict(meter_id=meter_id, gateway_id=gateway_id, device_id=device_id, kind=kind, ct_ratio=ct_ratio,
                      protocol=protocol, address=address, bus=bus)
        stmt = insert(meters).values(**values)
        stmt = stmt.on_conflict_do_update(index_elements=[meters.c.meter_id], set_=values)
        result = await self.session.execute(stmt.returning(meters.c.meter_id, _inserted()))
        return bool(result.one()[1])

    async def upsert_meters(self, rows: list[dict]) -> int:
        """Bulk add or update meters (in chunks under PostgreSQL's 32767 parameters); returns how many were new."""
        created = 0
        for start in range(0, len(rows), BULK_CHUNK_ROWS):
            chunk = rows[start:start + BULK_CHUNK_ROWS]
            stmt = insert(meters).values(chunk)
            stmt = stmt.on_conflict_do_update(index_elements=[meters.c.meter_id], set_={
                name: stmt.excluded[name] for name in chunk[0] if name != "meter_id"})
            result = await self.session.execute(stmt.returning(_inserted()))
            created += sum(1 for (inserted,) in result if inserted)
        return created

    async def gateways(self, gateway_ids: list[str] | None = None) -> list[GatewayRow]:
        stmt = (select(*_GATEWAY_COLUMNS).select_from(gateways.outerjoin(projects))
                .order_by(gateways.c.gateway_id))
        if gateway_ids is not None:
            stmt = stmt.where(gateways.c.gateway_id.in_(gateway_ids))
        return [GatewayRow(*r) for r in await self.session.execute(stmt)]

    async def gateway(self, gateway_id: str) -> GatewayRow | None:
        found = await self.gateways([gateway_id])
        return found[0] if found else None

    async def meters(self, gateway_id: str | None = None, meter_ids: list[str] | None = None) -> list[MeterRow]:
        stmt = select(*_METER_COLUMNS).order_by(meters.c.gateway_id, meters.c.bus, meters.c.device_id)
        if gateway_id is not None:
            stmt = stmt.where(meters.c.gateway_id == gateway_id)
        if meter_ids is not None:
            stmt = stmt.where(meters.c.meter_id.in_(meter_ids))
        return [MeterRow(*r) for r in await self.session.execute(stmt)]

    async def meter(self, meter_id: str) -> MeterRow | None:
        row = (await self.session.execute(select(*_METER_COLUMNS).where(meters.c.meter_id == meter_id))).first()
        return MeterRow(*row) if row else None

    # ---- readings and state

    async def ensure_partitions(self, months: set[date]) -> None:
        """Create the monthly partitions of readings that are missing (idempotent, one instance at a time)."""
        await self.session.execute(select(func.pg_advisory_xact_lock(PARTITION_LOCK_KEY)))
        for month in sorted(months):
            start, end = month.isoformat(), next_month(month).isoformat()
            await self.session.execute(text(
                f"CREATE TABLE IF NOT EXISTS {partition_name(month)} PARTITION OF readings "
                f"FOR VALUES FROM ('{start} 00:00+00') TO ('{end} 00:00+00')"))

    async def existing_partitions(self) -> set[str]:
        rows = await self.session.execute(text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'readings'"))
        return {name for (name,) in rows}

    async def add_readings(self, rows: list[dict]) -> set[tuple[str, datetime]]:
        """Insert readings; returns the (meter, read_at) pairs that were new (the rest were stored before)."""
        if not rows:
            return set()
        # executemany form: one cached statement, batched by SQLAlchemy's insertmanyvalues (compiling a
        # fresh multi-row VALUES per gateway cost more CPU than the whole bus conversation).
        result = await self.session.execute(
            _INSERT_READINGS.returning(readings.c.meter_id, readings.c.read_at), rows)
        return {(meter_id, read_at) for meter_id, read_at in result}

    async def readings_of(self, meter_id: str) -> list[dict]:
        rows = await self.session.execute(
            select(readings).where(readings.c.meter_id == meter_id).order_by(readings.c.read_at))
        return [dict(r._mapping) for r in rows]

    async def update_meter_states(self, rows: list[dict]) -> None:
        """Many meters' poll state in one statement (UPDATE ... FROM unnest(arrays)): one round trip and
        one plan for a whole gateway, instead of one UPDATE per meter."""
        if not rows:
            return
        columns = {name: [row[name] for row in rows] for name in _STATE_COLUMNS}
        columns["counter_state"] = [json.dumps(state) for state in columns["counter_state"]]
        await self.session.execute(_UPDATE_STATES, columns)

    async def update_meter(self, meter_id: str, **values: object) -> None:
        await self.session.execute(update(meters).where(meters.c.meter_id == meter_id).values(**values))

    async def update_gateway(self, gateway_id: str, **values: object) -> None:
        await self.session.execute(update(gateways).where(gateways.c.gateway_id == gateway_id).values(**values))

    # ---- field commands

    async def add_field_command(self, values: dict) -> bool:
        result = await self.session.execute(
            insert(field_commands).values(**values).on_conflict_do_nothing().returning(field_commands.c.command_id))
        return result.first() is not None

    async def field_command_seen(self, command_id: str, attempt: int) -> bool:
        return await self.session.scalar(
            select(field_commands.c.command_id).where(
                field_commands.c.command_id == command_id, field_commands.c.attempt == attempt)) is not None


def _inserted():
    # xmax = 0 on the returned row means INSERT happened rather than the ON CONFLICT update.
    return literal_column("(xmax = 0)").label("inserted")
