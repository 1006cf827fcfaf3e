"""What the use cases need besides the unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from services.control.domain.lifecycle import RetryPolicy
from services.control.domain.windows import DayCalendar


@dataclass(frozen=True)
class ControlConfig:
    """Retry bounds, the day calendar of the protection windows, and how much one sweep takes on."""

    retry: RetryPolicy
    calendar: DayCalendar
    sweep_limit: int = 500

