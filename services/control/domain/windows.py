"""Protection windows (保护时段): when an automatic arrears cut must wait.

No cut at night, on weekends or on public holidays, each switched on per project.
The cut that waited happens when the window ends, if the account is still in
arrears. Which days are weekends or holidays comes from a calendar the caller
passes in (the official Chinese calendar, where a 调休 Saturday is a workday).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from services.control.domain.errors import InvalidWindow

DEFAULT_TIMEZONE = "Asia/Shanghai"
MAX_LOOKAHEAD_STEPS = 100  # a window ends within a few holiday weeks; the search is bounded anyway


class DayKind(StrEnum):
    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"


DayCalendar = Callable[[date], DayKind]


@dataclass(frozen=True)
class ProtectionWindow:
    project: str = ""
    night_start: time | None = None
    night_end: time | None = None
    weekends: bool = False
    holidays: bool = False
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        if (self.night_start is None) != (self.night_end is None):
            raise InvalidWindow("夜间时段需要开始和结束 a night window needs both a start and an end")
        if self.night_start is not None and self.night_start == self.night_end:
            raise InvalidWindow("夜间时段不能为空 a night window cannot start and end at the same time")
        try:
            ZoneInfo(self.timezone)
        except Exception:
            raise InvalidWindow(f"未知时区 unknown timezone {self.timezone!r}") from None

    @property
    def is_open(self) -> bool:
        """A window that never protects anything (the default)."""
        return self.night_start is None and not self.weekends and not self.holidays


NO_PROTECTION = ProtectionWindow()


def parse_time_of_day(text: str) -> time | None:
    if not text:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise InvalidWindow(f"时间格式错误 {text!r} is not HH:MM[:SS]") from None


def _in_night(window: ProtectionWindow, local: datetime) -> bool:
    start, end, now = window.night_start, window.night_end, local.time()
    if start is None or end is None:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end  # wraps midnight


def _protected_day(window: ProtectionWindow, day: date, calendar: DayCalendar) -> bool:
    kind = calendar(day)
    return (window.weekends and kind is DayKind.WEEKEND) or (window.holidays and kind is DayKind.HOLIDAY)


def cut_allowed(window: ProtectionWindow, at: datetime, calendar: DayCalendar) -> bool:
    """May an automatic cut happen at this instant?"""
    if window.is_open:
        return True
    local = at.astimezone(ZoneInfo(window.timezone))
    return not (_protected_day(window, local.date(), calendar) or _in_night(window, local))


def window_end(window: ProtectionWindow, at: datetime, calendar: DayCalendar) -> datetime:
    """The first instant at or after `at` when a cut is allowed (at itself when it already is)."""
    zone = ZoneInfo(window.timezone)
    local = at.astimezone(zone)
    for _ in range(MAX_LOOKAHEAD_STEPS):
        if _protected_day(window, local.date(), calendar):
            local = datetime.combine(local.date() + timedelta(days=1), time(0), zone)
        elif _in_night(window, local):
            local = _end_of_night(window, local, zone)
        else:
            return local.astimezone(at.tzinfo)
    raise InvalidWindow("保护时段没有结束 the protection window never ends within the look-ahead")


def _end_of_night(window: ProtectionWindow, local: datetime, zone: ZoneInfo) -> datetime:
    assert window.night_end is not None
    end_today = datetime.combine(local.date(), window.night_end, zone)
    return end_today if end_today > local else end_today + timedelta(days=1)
