"""Report queries over a scope: the overview's counts and figures, daily energy and money per property."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Integer, cast, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.domain.reports import (
    Counts,
    EnergyRow,
    Figure,
    MonthFigure,
    TopConsumer,
    month_start,
    months_back,
)
from services.console.domain.scope import Permission, Scope
from services.console.models import accounts, gateways, meter_days, meters, nodes, tenants
from services.console.repository.live_scope import accounts_scope, meters_scope, operators_only
from services.kit.paging import InvalidPage, Page, decode_cursor, page_of


def _count(table, *where: ColumnElement[bool]):
    return select(func.count()).select_from(table).where(*where).scalar_subquery()


class ReportQueries:
    session: AsyncSession

    def _days_scope(self, scope: Scope, property_id: str) -> list[ColumnElement[bool]]:
        where = [meters_scope(scope, Permission.REPORTS, meter_days.c.meter_id, meter_days.c.path)]
        if property_id:
            where.append(meter_days.c.property_id == property_id)
        return where

    async def overview_counts(self, scope: Scope, property_id: str = "") -> Counts:
        perm = Permission.REPORTS

        def of(table) -> list[ColumnElement[bool]]:
            return [table.c.property_id == property_id] if property_id else []

        in_meters = [meters_scope(scope, perm), *of(meters)]
        in_accounts = [accounts_scope(scope, perm), accounts.c.status == "open", *of(accounts)]
        stmt = select(
            _count(nodes, nodes.c.kind == "property", operators_only(scope, perm, nodes.c.path), *of(nodes))
            .label("properties"),
            _count(tenants, operators_only(scope, perm, tenants.c.path), *of(tenants)).label("tenants"),
            _count(meters, *in_meters, meters.c.online.is_(True)).label("online"),
            _count(meters, *in_meters, meters.c.online.is_(False)).label("offline"),
            _count(meters, *in_meters, meters.c.online.is_(None)).label("unknown"),
            _count(accounts, *in_accounts, accounts.c.alarm_level > 0, accounts.c.in_arrears.is_(False))
            .label("alarm"),
            _count(accounts, *in_accounts, accounts.c.in_arrears.is_(True)).label("arrears"),
            _count(gateways, operators_only(scope, perm, gateways.c.path), gateways.c.online.is_(False), *of(gateways))
            .label("gateways_offline"))
        r = (await self.session.execute(stmt)).one()
        return Counts(r.properties, r.tenants, r.online, r.offline, r.unknown, r.alarm, r.arrears, r.gateways_offline)

    async def day_and_month(self, scope: Scope, today: date, property_id: str = "") -> tuple[Figure, Figure]:
        is_today = meter_days.c.day == today
        stmt = (select(func.coalesce(func.sum(meter_days.c.energy_wh).filter(is_today), 0).label("today_wh"),
                       func.coalesce(func.sum(meter_days.c.amount_fen).filter(is_today), 0).label("today_fen"),
                       func.coalesce(func.sum(meter_days.c.energy_wh), 0).label("month_wh"),
                       func.coalesce(func.sum(meter_days.c.amount_fen), 0).label("month_fen"))
                .where(meter_days.c.day >= month_start(today), meter_days.c.day <= today,
                       *self._days_scope(scope, property_id)))
        r = (await self.session.execute(stmt)).one()
        return Figure(int(r.today_wh), int(r.today_fen)), Figure(int(r.month_wh), int(r.month_fen))

    async def months(self, scope: Scope, today: date, count: int = 12, property_id: str = "") -> list[MonthFigure]:
        firsts = months_back(today, count)
        month = func.date_trunc("month", meter_days.c.day)
        stmt = (select(cast(func.extract("year", month), Integer).label("y"),
                       cast(func.extract("month", month), Integer).label("m"),
                       func.sum(meter_days.c.energy_wh).label("wh"), func.sum(meter_days.c.amount_fen).label("fen"))
                .where(meter_days.c.day >= firsts[0], meter_days.c.day <= today, *self._days_scope(scope, property_id))
                .group_by(month))
        held = {(r.y, r.m): r for r in (await self.session.execute(stmt)).all()}
        figures = []
        for first in firsts:
            r = held.get((first.year, first.month))
            figures.append(MonthFigure(f"{first:%Y-%m}", int(r.wh) if r else 0, int(r.fen) if r else 0))
        return figures

    async def top_consumers(self, scope: Scope, today: date, limit: int = 10,
                            property_id: str = "") -> list[TopConsumer]:
        """The rooms that used the most energy this month."""
        used = (select(meters.c.room_id, func.sum(meter_days.c.energy_wh).label("wh"),
                       func.sum(meter_days.c.amount_fen).label("fen"))
                .select_from(meter_days.join(meters, meters.c.meter_id == meter_days.c.meter_id))
                .where(meter_days.c.day >= month_start(today), meter_days.c.day <= today,
                       *self._days_scope(scope, property_id))
                .group_by(meters.c.room_id).order_by(func.sum(meter_days.c.energy_wh).desc(), meters.c.room_id)
                .limit(limit).subquery("used"))
        stmt = (select(used.c.room_id, nodes.c.name, nodes.c.property_id, used.c.wh, used.c.fen)
                .join_from(used, nodes, nodes.c.node_id == used.c.room_id)
                .order_by(used.c.wh.desc(), used.c.room_id))
        return [TopConsumer(r.room_id, r.name, r.property_id or "", int(r.wh), int(r.fen))
                for r in (await self.session.execute(stmt)).all()]

    async def energy_page(self, scope: Scope, start: date, end: date, limit: int, cursor: str,
                          property_id: str = "") -> Page[EnergyRow]:
        """Energy and money per China-time day and property, by day then property.

        The sums are made first (a materialized CTE): asked for in (day, property) order with a LIMIT, the
        planner would rather walk the day index over every meter of every property than use the scope's
        GiST index and sort the few hundred sums."""
        where = [meter_days.c.day >= start, meter_days.c.day <= end, *self._days_scope(scope, property_id)]
        if cursor:
            day_text, after = decode_cursor(cursor, str, str)
            where.append(tuple_(meter_days.c.day, meter_days.c.property_id) > tuple_(_parse_day(day_text), after))
        sums = (select(meter_days.c.day, meter_days.c.property_id, func.sum(meter_days.c.energy_wh).label("wh"),
                       func.sum(meter_days.c.amount_fen).label("fen"))
                .where(*where).group_by(meter_days.c.day, meter_days.c.property_id)
                .cte("sums").prefix_with("MATERIALIZED"))
        stmt = select(sums).order_by(sums.c.day, sums.c.property_id).limit(limit + 1)
        rows = (await self.session.execute(stmt)).all()
        return page_of(rows, limit, lambda r: EnergyRow(r.day, r.property_id, int(r.wh), int(r.fen)),
                       lambda r: (r.day.isoformat(), r.property_id))


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidPage(f"无效的分页游标 invalid page cursor {text[:40]!r}") from None

