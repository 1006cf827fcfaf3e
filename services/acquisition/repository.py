"""Every query of the acquisition service. Rows come back as the domain's dataclasses, built by name;
every list query takes a limit and a keyset cursor (the last row's key of the page before)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime

from sqlalchemy import bindparam, func, literal_column, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.acquisition.domain.actions import ControlAction
from services.acquisition.domain.counters import CounterState
from services.acquisition.domain.events import FieldCommandCompleted, Measurement, MeterRead, ReadingSource
from services.acquisition.domain.polling import LockedGateway, MeterPollState
from services.acquisition.domain.registry import (
    BusPosition,
    Gateway,
    GatewayTransport,
    Meter,
    MeterKind,
    MeterPlacement,
    MeterProtocol,
)
from services.acquisition.domain.samples import RelayState
from services.acquisition.models import field_commands, gateways, meter_placements, meters, projects, readings
from services.kit import bulk
from services.kit.paging import Page, decode_cursor, page_of

BULK_CHUNK_ROWS = 2000
PARTITION_LOCK_KEY = 0x61637170  # advisory lock: one instance creates a month's partition at a time


@dataclass(frozen=True, slots=True)
class MeterView:
    """A meter with its poll state, as the registry lists it."""

    meter: Meter
    state: MeterPollState


@dataclass(frozen=True, slots=True)
class StoredReading(Measurement):
    """A row of the readings table."""

    meter_id: str
    read_at: datetime
    source: ReadingSource


@dataclass(frozen=True, slots=True)
class StoredCommand:
    """A field command this service executed, keyed by command id + attempt."""

    command_id: str
    attempt: int
    meter_id: str
    action: ControlAction
    received_at: datetime
    result: FieldCommandCompleted


_METER_COLUMNS = (meters.c.meter_id, meters.c.gateway_id, meters.c.device_id, meters.c.kind, meters.c.ct_ratio,
                  meters.c.protocol, meters.c.address, meters.c.bus)
_STATE_COLUMNS = (meters.c.meter_id, meters.c.online, meters.c.missed_polls, meters.c.relay_state,
                  meters.c.last_read_at, meters.c.last_total_wh, meters.c.last_volume_l, meters.c.last_power_w,
                  meters.c.counter_state)
_GATEWAY_COLUMNS = (gateways.c.gateway_id, gateways.c.host, gateways.c.port, gateways.c.poll_interval_s,
                    gateways.c.protocol, gateways.c.online, gateways.c.project_id, gateways.c.last_polled_at,
                    projects.c.poll_interval_s.label("project_interval_s"))
_POLL_ORDER = (meters.c.gateway_id, meters.c.bus, meters.c.device_id)

_INSERT_READINGS = insert(readings).on_conflict_do_nothing()
# Locks are FOR NO KEY UPDATE: writers of one gateway's poll state take turns, while meters may still be
# added under it (their foreign key check takes KEY SHARE). Gateway first, then meters by id (rows are
# locked in FROM order, after the sort), so two writers never wait for each other in a circle. Locking the
# meters' rows too makes PostgreSQL re-read them once the lock is granted: the state is the latest stored.
# Plain asyncpg (kit.bulk): this runs once per stored chunk of every gateway, the poll's hottest query.
_LOCK_GATEWAY = "SELECT online FROM gateways WHERE gateway_id = $1 FOR NO KEY UPDATE"
_LOCK_GATEWAY_AND_METERS = (
    "SELECT g.online AS gateway_online, m.meter_id, m.online, m.missed_polls, m.relay_state, m.last_read_at,"
    " m.last_total_wh, m.last_volume_l, m.last_power_w, m.counter_state::text AS counter_state"
    " FROM gateways AS g JOIN meters AS m ON m.meter_id = ANY($2::varchar[])"
    " WHERE g.gateway_id = $1 ORDER BY m.meter_id FOR NO KEY UPDATE")
_STATE_TYPES = {"meter_id": "varchar", "online": "boolean", "missed_polls": "integer", "relay_state": "smallint",
                "last_read_at": "timestamptz", "last_total_wh": "bigint", "last_volume_l": "bigint",
                "last_power_w": "integer", "counter_state": "text"}
_STATE_NAMES = tuple(_STATE_TYPES)
_UPDATE_STATES = text(
    "UPDATE meters AS m SET "
    + ", ".join(f"{c} = v.{c}" + ("::jsonb" if c == "counter_state" else "") for c in _STATE_NAMES[1:])
    + " FROM unnest(" + ", ".join(f"CAST(:{c} AS {t}[])" for c, t in _STATE_TYPES.items()) + ")"
    + " AS v(" + ", ".join(_STATE_NAMES) + ") WHERE m.meter_id = v.meter_id")


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

    async def upsert_gateway(self, gateway: Gateway) -> bool:
        """Add or update a gateway; True when it is new."""
        values = dict(gateway_id=gateway.gateway_id, host=gateway.host, port=gateway.port,
                      protocol=gateway.transport.value, poll_interval_s=gateway.poll_interval_s,
                      project_id=gateway.project_id)
        # A DTU is offline until it dials in; a gateway we dial counts as online until a poll fails.
        stmt = insert(gateways).values(**values, online=not gateway.dials_in)
        stmt = stmt.on_conflict_do_update(index_elements=[gateways.c.gateway_id], set_=values)
        result = await self.session.execute(stmt.returning(_inserted()))
        return bool(result.scalar_one())

    async def upsert_project(self, project_id: str, poll_interval_s: int | None) -> None:
        stmt = insert(projects).values(project_id=project_id, poll_interval_s=poll_interval_s)
        if poll_interval_s is None:
            stmt = stmt.on_conflict_do_nothing()
        else:
            stmt = stmt.on_conflict_do_update(index_elements=[projects.c.project_id],
                                              set_=dict(poll_interval_s=poll_interval_s))
        await self.session.execute(stmt)

    async def upsert_meters(self, rows: Sequence[Meter]) -> int:
        """Add or update meters (in chunks under PostgreSQL's 32767 parameters); returns how many were new."""
        created = 0
        for start in range(0, len(rows), BULK_CHUNK_ROWS):
            chunk = [_meter_values(meter) for meter in rows[start:start + BULK_CHUNK_ROWS]]
            stmt = insert(meters).values(chunk)
            stmt = stmt.on_conflict_do_update(index_elements=[meters.c.meter_id], set_={
                name: stmt.excluded[name] for name in chunk[0] if name != "meter_id"})
            result = await self.session.execute(stmt.returning(_inserted()))
            created += sum(1 for inserted in result.scalars() if inserted)
        return created

    async def gateways(self, limit: int, after: str | None = None,
                       gateway_ids: Sequence[str] | None = None) -> list[Gateway]:
        """Gateways in id order, the page after gateway id `after`."""
        stmt = (select(*_GATEWAY_COLUMNS).select_from(gateways.outerjoin(projects))
                .order_by(gateways.c.gateway_id).limit(limit))
        if after is not None:
            stmt = stmt.where(gateways.c.gateway_id > after)
        if gateway_ids is not None:
            stmt = stmt.where(gateways.c.gateway_id.in_(gateway_ids))
        return [_gateway(row._mapping) for row in await self.session.execute(stmt)]

    async def gateway(self, gateway_id: str) -> Gateway | None:
        found = await self.gateways(1, gateway_ids=[gateway_id])
        return found[0] if found else None

    async def meters(self, limit: int, after: BusPosition | None = None, gateway_id: str | None = None,
                     meter_ids: Sequence[str] | None = None) -> list[Meter]:
        """Meters in poll order (gateway, bus, device id), the page after the position `after`."""
        stmt = select(*_METER_COLUMNS).order_by(*_POLL_ORDER).limit(limit)
        if after is not None:
            stmt = stmt.where(tuple_(*_POLL_ORDER) > tuple_(after.gateway_id, after.bus, after.device_id))
        if gateway_id is not None:
            stmt = stmt.where(meters.c.gateway_id == gateway_id)
        if meter_ids is not None:
            stmt = stmt.where(meters.c.meter_id.in_(meter_ids))
        return [_meter(row._mapping) for row in await self.session.execute(stmt)]

    async def meter(self, meter_id: str) -> Meter | None:
        found = await self.meters(1, meter_ids=[meter_id])
        return found[0] if found else None

    async def meter_views(self, limit: int, cursor: str = "") -> Page[MeterView]:
        """A page of meters with their poll state in meter id order (the cursor carries the last meter id)."""
        stmt = select(*_METER_COLUMNS, *_STATE_COLUMNS[1:]).order_by(meters.c.meter_id).limit(limit + 1)
        if cursor:
            stmt = stmt.where(meters.c.meter_id > decode_cursor(cursor, str)[0])
        return page_of((await self.session.execute(stmt)).all(), limit,
                       lambda row: MeterView(_meter(row._mapping), _poll_state(row._mapping, row.counter_state)),
                       lambda row: (row.meter_id,))

    # ---- placements (the console's registry)

    async def keep_placement(self, placement: MeterPlacement) -> bool:
        """Keep a meter's placement unless the one kept is as new or newer; True when this one was kept."""
        values = dict(meter_id=placement.meter_id, room_id=placement.room_id, property_id=placement.property_id,
                      building_id=placement.building_id, area_m2=placement.area_m2, placed_at=placement.placed_at)
        stmt = insert(meter_placements).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[meter_placements.c.meter_id], set_={k: stmt.excluded[k] for k in values if k != "meter_id"},
            where=meter_placements.c.placed_at < stmt.excluded.placed_at)
        return (await self.session.execute(stmt.returning(meter_placements.c.meter_id))).first() is not None

    async def placement(self, meter_id: str) -> MeterPlacement | None:
        row = (await self.session.execute(
            select(meter_placements).where(meter_placements.c.meter_id == meter_id))).first()
        return MeterPlacement(**row._mapping) if row else None

    async def adopt_placed_projects(self, gateway_ids: Sequence[str]) -> int:
        """Gateways among these without a project take the property of their first placed meter (by meter
        id) as their project; returns how many did. A gateway's project is never overwritten here."""
        placed = await self.session.execute(
            select(meters.c.gateway_id, meter_placements.c.property_id).ext(distinct_on(meters.c.gateway_id))
            .select_from(meters.join(meter_placements, meter_placements.c.meter_id == meters.c.meter_id)
                         .join(gateways, gateways.c.gateway_id == meters.c.gateway_id))
            .where(meters.c.gateway_id.in_(list(gateway_ids)), gateways.c.project_id.is_(None),
                   meter_placements.c.property_id != "")
            .order_by(meters.c.gateway_id, meters.c.meter_id))
        adopted = [{"gid": row.gateway_id, "pid": row.property_id} for row in placed]
        if not adopted:
            return 0
        await self.session.execute(insert(projects).values(
            [{"project_id": p} for p in sorted({a["pid"] for a in adopted})]).on_conflict_do_nothing())
        await self.session.execute(
            update(gateways).where(gateways.c.gateway_id == bindparam("gid"), gateways.c.project_id.is_(None))
            .values(project_id=bindparam("pid")), adopted)
        return len(adopted)

    # ---- poll state: only through the locked gateway

    async def lock_gateway(self, gateway_id: str, meter_ids: Sequence[str]) -> LockedGateway | None:
        """Lock the gateway's row and the given meters' rows for this transaction, with their poll state as
        stored now. Everything that changes a gateway's or its meters' poll state goes through this lock."""
        if meter_ids:
            rows = await bulk.fetch(self.session, _LOCK_GATEWAY_AND_METERS, gateway_id, list(meter_ids))
            if rows:
                return LockedGateway(gateway_id, rows[0]["gateway_online"], {
                    row["meter_id"]: _poll_state(row, json.loads(row["counter_state"])) for row in rows})
        found = await bulk.fetch(self.session, _LOCK_GATEWAY, gateway_id)
        return LockedGateway(gateway_id, found[0]["online"], {}) if found else None

    async def save_poll_states(self, locked: LockedGateway, states: Sequence[MeterPollState]) -> None:
        """Many meters' poll state in one statement (UPDATE ... FROM unnest(arrays)): one round trip and
        one plan for a whole gateway, instead of one UPDATE per meter."""
        if not states:
            return
        strangers = {s.meter_id for s in states} - locked.meters.keys()
        if strangers:
            raise RuntimeError(f"poll state of meters not locked with gateway {locked.gateway_id}: {sorted(strangers)}")
        columns = {name: [getattr(state, name) for state in states] for name in _STATE_NAMES[:-1]}
        columns["counter_state"] = [json.dumps({"raw": s.counters.last_raw, "offsets": s.counters.offsets})
                                    for s in states]
        await self.session.execute(_UPDATE_STATES, columns)

    async def save_gateway_link(self, locked: LockedGateway, online: bool, polled_at: datetime | None = None) -> None:
        """The locked gateway's link state (and, after a cycle that reached it, when it was polled)."""
        values: dict[str, object] = {"online": online}
        if polled_at is not None:
            values["last_polled_at"] = polled_at
        await self.session.execute(update(gateways).where(gateways.c.gateway_id == locked.gateway_id).values(values))

    # ---- readings

    async def ensure_partitions(self, months: set[date]) -> None:
        """Create the monthly partitions of readings that are missing (idempotent, one instance at a time)."""
        await self.session.execute(select(func.pg_advisory_xact_lock(PARTITION_LOCK_KEY)))
        for month in sorted(months):
            start, end = month.isoformat(), next_month(month).isoformat()
            await self.session.execute(text(
                f"CREATE TABLE IF NOT EXISTS {partition_name(month)} PARTITION OF readings "
                f"FOR VALUES FROM ('{start} 00:00+00') TO ('{end} 00:00+00')"))

    async def partitions(self, limit: int, after: str | None = None) -> list[str]:
        """Names of the readings table's partitions in name order, the page after `after`."""
        rows = await self.session.execute(text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'readings' AND c.relname > :after "
            "ORDER BY c.relname LIMIT :limit"), {"after": after or "", "limit": limit})
        return list(rows.scalars())

    async def add_readings(self, rows: Sequence[MeterRead]) -> set[tuple[str, datetime]]:
        """Insert readings; returns the (meter, read_at) pairs that were new (the rest were stored before)."""
        if not rows:
            return set()
        # executemany form: one cached statement, batched by SQLAlchemy's insertmanyvalues (compiling a
        # fresh multi-row VALUES per gateway cost more CPU than the whole bus conversation).
        result = await self.session.execute(
            _INSERT_READINGS.returning(readings.c.meter_id, readings.c.read_at), [_reading_values(r) for r in rows])
        return {(meter_id, read_at) for meter_id, read_at in result}

    async def readings_of(self, meter_id: str, limit: int, after: datetime | None = None) -> list[StoredReading]:
        """One meter's readings in time order, the page after read_at `after`."""
        stmt = select(readings).where(readings.c.meter_id == meter_id).order_by(readings.c.read_at).limit(limit)
        if after is not None:
            stmt = stmt.where(readings.c.read_at > after)
        return [_stored_reading(row._mapping) for row in await self.session.execute(stmt)]

    # ---- field commands

    async def add_field_command(self, command: StoredCommand) -> bool:
        """Keep a command's outcome once; False when this command id + attempt was stored before."""
        result = command.result
        values = dict(command_id=command.command_id, attempt=command.attempt, meter_id=command.meter_id,
                      action=int(command.action), outcome=int(result.outcome), relay_state=int(result.relay_state),
                      detail=result.detail[:500], received_at=command.received_at,
                      completed_at=result.completed_at)
        inserted = await self.session.execute(
            insert(field_commands).values(values).on_conflict_do_nothing().returning(field_commands.c.command_id))
        return inserted.first() is not None

    async def field_command_seen(self, command_id: str, attempt: int) -> bool:
        return await self.session.scalar(
            select(field_commands.c.command_id).where(
                field_commands.c.command_id == command_id, field_commands.c.attempt == attempt)) is not None


def _gateway(row: Mapping) -> Gateway:
    return Gateway(gateway_id=row["gateway_id"], transport=GatewayTransport(row["protocol"]), host=row["host"],
                   port=row["port"], poll_interval_s=row["poll_interval_s"], project_id=row["project_id"],
                   online=row["online"], last_polled_at=row["last_polled_at"],
                   project_interval_s=row["project_interval_s"])


def _meter(row: Mapping) -> Meter:
    return Meter(meter_id=row["meter_id"], gateway_id=row["gateway_id"], device_id=row["device_id"],
                 kind=MeterKind(row["kind"]), ct_ratio=row["ct_ratio"], protocol=MeterProtocol(row["protocol"]),
                 address=row["address"], bus=row["bus"])


def _meter_values(meter: Meter) -> dict:
    return dict(meter_id=meter.meter_id, gateway_id=meter.gateway_id, device_id=meter.device_id,
                kind=int(meter.kind), ct_ratio=meter.ct_ratio, protocol=meter.protocol.value,
                address=meter.address, bus=meter.bus)


def _poll_state(row: Mapping, counter_state: dict | None) -> MeterPollState:
    stored = counter_state or {}
    return MeterPollState(
        meter_id=row["meter_id"], online=row["online"], missed_polls=row["missed_polls"],
        relay_state=RelayState(row["relay_state"]), last_read_at=row["last_read_at"],
        last_total_wh=row["last_total_wh"], last_volume_l=row["last_volume_l"], last_power_w=row["last_power_w"],
        counters=CounterState(dict(stored.get("raw", {})), dict(stored.get("offsets", {}))))


def _reading_values(r: MeterRead) -> dict:
    return {"meter_id": r.meter_id, "read_at": r.read_at, "total_wh": r.total_wh, "sharp_wh": r.sharp_wh,
            "peak_wh": r.peak_wh, "flat_wh": r.flat_wh, "valley_wh": r.valley_wh,
            "deep_valley_wh": r.deep_valley_wh, "reverse_wh": r.reverse_wh, "volume_l": r.volume_l,
            "voltage_dv": r.voltage_dv, "current_ca": r.current_ca, "power_w": r.power_w,
            "power_factor_milli": r.power_factor_milli, "relay_state": int(r.relay_state), "source": int(r.source)}


_READING_NAMES = tuple(f.name for f in fields(StoredReading))


def _stored_reading(row: Mapping) -> StoredReading:
    values = {name: row[name] for name in _READING_NAMES}
    values["relay_state"], values["source"] = RelayState(values["relay_state"]), ReadingSource(values["source"])
    return StoredReading(**values)


def _inserted():
    # xmax = 0 on the returned row means INSERT happened rather than the ON CONFLICT update.
    return literal_column("(xmax = 0)").label("inserted")
