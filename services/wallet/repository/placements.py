"""The console's registry as the wallet last heard it: account and meter placements, newest kept."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.wallet.domain.placements import AccountPlacement, MeterPlacement
from services.wallet.models import account_placements, meter_placements


class PlacementRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def keep_account(self, placement: AccountPlacement) -> bool:
        """Keep the account's placement unless the one kept is as new or newer; True when this one was kept."""
        return await self._keep(account_placements, "account_id", dict(
            account_id=placement.account_id, tenant_id=placement.tenant_id, property_id=placement.property_id,
            placed_at=placement.placed_at))

    async def keep_meter(self, placement: MeterPlacement) -> bool:
        """Keep the meter's placement unless the one kept is as new or newer; True when this one was kept."""
        return await self._keep(meter_placements, "meter_id", dict(
            meter_id=placement.meter_id, property_id=placement.property_id, placed_at=placement.placed_at))

    async def _keep(self, table: Table, key: str, values: dict[str, Any]) -> bool:
        stmt = insert(table).values(**values)
        stmt = stmt.on_conflict_do_update(index_elements=[table.c[key]],
                                          set_={k: stmt.excluded[k] for k in values if k != key},
                                          where=table.c.placed_at < stmt.excluded.placed_at)
        return (await self.session.execute(stmt.returning(table.c[key]))).first() is not None

    async def account(self, account_id: str) -> AccountPlacement | None:
        row = (await self.session.execute(
            select(account_placements).where(account_placements.c.account_id == account_id))).first()
        return AccountPlacement(**row._mapping) if row else None

    async def meters(self, meter_ids: Iterable[str]) -> list[MeterPlacement]:
        """The placements kept of these meters, by meter id."""
        rows = await self.session.execute(select(meter_placements).where(
            meter_placements.c.meter_id.in_(sorted(set(meter_ids)))).order_by(meter_placements.c.meter_id))
        return [MeterPlacement(**row._mapping) for row in rows]
