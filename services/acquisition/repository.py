"""Every query of the acquisition service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.acquisition.models import field_commands, gateways, meters, readings


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


@dataclass(frozen=True)
class GatewayRow:
    gateway_id: str
    host: str
    port: int
    poll_interval_s: int | None


class AcquisitionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert_gateway(self, gateway_id: str, host: str, port: int, protocol: str,
                             poll_interval_s: int | None) -> bool:
        values = dict(gateway_id=gateway_id, host=host, port=port, protocol=protocol,
                      poll_interval_s=poll_interval_s)
        stmt = insert(gateways).values(**values)
        stmt = stmt.on_conflict_do_update(index_elements=[gateways.c.gateway_id], set_=values)
        result = await self.session.execute(stmt.returning(gateways.c.gateway_id, _inserted()))
        return bool(result.one()[1])

    async def gateway_exists(self, gateway_id: str) -> bool:
        found = await self.session.scalar(select(gateways.c.gateway_id).where(gateways.c.gateway_id == gateway_id))
        return found is not None

    async def upsert_meter(self, meter_id: str, gateway_id: str, device_id: int, kind: int, ct_ratio: int) -> bool:
        values = dict(meter_id=meter_id, gateway_id=gateway_id, device_id=device_id, kind=kind, ct_ratio=ct_ratio)
        stmt = insert(meters).values(**values)
        stmt = stmt.on_conflict_do_update(index_elements=[meters.c.meter_id], set_=values)
        result = await self.session.execute(stmt.returning(meters.c.meter_id, _inserted()))
        return bool(result.one()[1])

    async def gateways(self) -> list[GatewayRow]:
        rows = await self.session.execute(
            select(gateways.c.gateway_id, gateways.c.host, gateways.c.port, gateways.c.poll_interval_s)
            .order_by(gateways.c.gateway_id))
        return [GatewayRow(*r) for r in rows]

    async def meters(self, gateway_id: str | None = None, meter_ids: list[str] | None = None) -> list[MeterRow]:
        stmt = select(*_METER_COLUMNS).order_by(meters.c.meter_id)
        if gateway_id is not None:
            stmt = stmt.where(meters.c.gateway_id == gateway_id)
        if meter_ids is not None:
            stmt = stmt.where(meters.c.meter_id.in_(meter_ids))
        return [MeterRow(*r) for r in await self.session.execute(stmt)]

    async def meter(self, meter_id: str) -> MeterRow | None:
        row = (await self.session.execute(select(*_METER_COLUMNS).where(meters.c.meter_id == meter_id))).first()
        return MeterRow(*row) if row else None

    async def gateway(self, gateway_id: str) -> GatewayRow | None:
        row = (await self.session.execute(
            select(gateways.c.gateway_id, gateways.c.host, gateways.c.port, gateways.c.poll_interval_s)
            .where(gateways.c.gateway_id == gateway_id))).first()
        return GatewayRow(*row) if row else None

    async def add_reading(self, values: dict) -> bool:
        """Insert a reading; False when (meter, read_at) is already stored."""
        result = await self.session.execute(
            insert(readings).values(**values).on_conflict_do_nothing().returning(readings.c.meter_id))
        return result.first() is not None

    async def update_meter(self, meter_id: str, **values: object) -> None:
        await self.session.execute(update(meters).where(meters.c.meter_id == meter_id).values(**values))

    async def add_field_command(self, values: dict) -> bool:
        result = await self.session.execute(
            insert(field_commands).values(**values).on_conflict_do_nothing().returning(field_commands.c.command_id))
        return result.first() is not None

    async def field_command_seen(self, command_id: str, attempt: int) -> bool:
        return await self.session.scalar(
            select(field_commands.c.command_id).where(
                field_commands.c.command_id == command_id, field_commands.c.attempt == attempt)) is not None


_METER_COLUMNS = (meters.c.meter_id, meters.c.gateway_id, meters.c.device_id, meters.c.kind, meters.c.online,
                  meters.c.missed_polls, meters.c.relay_state, meters.c.last_total_wh, meters.c.last_read_at,
                  meters.c.last_power_w)


def _inserted():
    # xmax = 0 on the returned row means INSERT happened rather than the ON CONFLICT update.
    from sqlalchemy import literal_column

    return literal_column("(xmax = 0)").label("inserted")
