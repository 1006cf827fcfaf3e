"""Reports (报表) over the caller's REPORTS scope, from the read models: the overview and daily energy."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from services.console.domain.reports import EnergyRow, Overview, check_range
from services.console.domain.scope import Caller
from services.console.service.rooms import PAGE, today
from services.kit.paging import Page

if TYPE_CHECKING:
    from services.console.entrypoints.http.deps import AppDeps

TOP_CONSUMERS = 10
MONTHS = 12


async def overview(deps: AppDeps, caller: Caller, property_id: str = "") -> Overview:
    """运营概览: properties, tenants, meters on/offline, today's and this month's energy and money, the last
    12 months, the top 10 rooms this month, accounts in alarm and in arrears, gateways offline."""
    day = today(deps)
    scope = caller.scope
    async with deps.new_uow() as uow:
        counts = await uow.live.overview_counts(scope, property_id)
        today_figure, month_figure = await uow.live.day_and_month(scope, day, property_id)
        months = await uow.live.months(scope, day, MONTHS, property_id)
        top = await uow.live.top_consumers(scope, day, TOP_CONSUMERS, property_id)
    return Overview(day, counts, today_figure, month_figure, tuple(months), tuple(top))


async def energy(deps: AppDeps, caller: Caller, start: date, end: date, property_id: str = "", limit: int = 0,
                 cursor: str = "") -> Page[EnergyRow]:
    """Daily energy (Wh) and money (fen) per property, China-time days from start to end (both included)."""
    check_range(start, end)
    async with deps.new_uow() as uow:
        return await uow.live.energy_page(caller.scope, start, end, PAGE.of(limit), cursor, property_id)
