"""The official Chinese calendar (chinesecalendar package) as the protection windows' day calendar.

A statutory holiday is a holiday; a Saturday or Sunday the State Council made a
workday (调休) is a workday. Outside the years the package knows, weekends are
Saturday and Sunday and no day is a holiday (logged once per year, so an operator
knows to update the package).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import chinese_calendar

from services.control.domain.windows import DayKind
from services.kit.logging import get_logger

log = get_logger(__name__)


@lru_cache(maxsize=4096)
def official_day_kind(day: date) -> DayKind:
    try:
        off, holiday_name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        _warn_unknown_year(day.year)
        return DayKind.WEEKEND if day.weekday() >= 5 else DayKind.WORKDAY
    if not off:
        return DayKind.WORKDAY
    return DayKind.HOLIDAY if holiday_name else DayKind.WEEKEND


@lru_cache(maxsize=64)
def _warn_unknown_year(year: int) -> None:
    log.warning("holiday calendar has no data for this year; only weekends are known", year=year,
                package_version=getattr(chinese_calendar, "__version__", "?"))
