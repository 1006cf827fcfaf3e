"""Report figures over a scope: the overview (运营概览) and daily energy and money per property."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from services.console.domain.errors import InvalidRequest

MAX_REPORT_DAYS = 366


@dataclass(frozen=True)
class Counts:
    properties: int
    tenants: int
    meters_online: int
    meters_offline: int
    meters_unknown: int
    accounts_in_alarm: int
    accounts_in_arrears: int
    gateways_offline: int


@dataclass(frozen=True)
class Figure:
    energy_wh: int
    amount_fen: int


@dataclass(frozen=True)
class MonthFigure:
    month: str              # "2026-11"
    energy_wh: int
    amount_fen: int


@dataclass(frozen=True)
class TopConsumer:
    room_id: str
    room_name: str
    property_id: str
    energy_wh: int
    amount_fen: int


@dataclass(frozen=True)
class Overview:
    day: date
    counts: Counts
    today: Figure
    month: Figure
    months: tuple[MonthFigure, ...]      # the last 12 months, oldest first, this month last
    top_consumers: tuple[TopConsumer, ...]


@dataclass(frozen=True)
class EnergyRow:
    day: date
    property_id: str
    energy_wh: int
    amount_fen: int


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_back(day: date, count: int) -> list[date]:
    """The first days of the `count` months ending with day's month, oldest first."""
    firsts = [month_start(day)]
    while len(firsts) < count:
        firsts.append(month_start(firsts[-1] - timedelta(days=1)))
    return firsts[::-1]


def check_range(start: date, end: date) -> None:
    if end < start:
        raise InvalidRequest("结束日期早于开始日期", "'to' is before 'from'")
    if (end - start).days >= MAX_REPORT_DAYS:
        raise InvalidRequest(f"报表最多{MAX_REPORT_DAYS}天", f"a report covers at most {MAX_REPORT_DAYS} days")
