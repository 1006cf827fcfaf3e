"""Batches (批量): one operation over a selection of meters, now or at a set time (定时)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from services.control.domain.errors import InvalidSelection
from services.control.domain.lifecycle import Status
from services.control.domain.operations import Operation, Settings
from services.control.domain.policy import Mode

E = TypeVar("E", bound=StrEnum)


class BatchStatus(StrEnum):
    SCHEDULED = "scheduled"    # waiting for run_at
    RUNNING = "running"        # items queued; some not final yet
    DONE = "done"              # every item final
    CANCELLED = "cancelled"


class SelectionState(StrEnum):
    ARREARS = "arrears"
    ON = "on"
    OFF = "off"
    OFFLINE = "offline"
    OVERLOAD = "overload"


@dataclass(frozen=True)
class Selection:
    """Which meters a batch, a list or an export covers: ids, tags, mode, state, all ANDed; empty = no filter."""

    meter_ids: tuple[str, ...] = ()
    project: str = ""
    building: str = ""
    floor: str = ""
    tenant: str = ""
    mode: Mode | None = None
    state: SelectionState | None = None

    def is_empty(self) -> bool:
        return self == Selection()


def selection_state(text: str) -> SelectionState | None:
    return _member(SelectionState, text, "未知状态 unknown state")


def selection_mode(text: str) -> Mode | None:
    return _member(Mode, text, "未知控制模式 unknown mode")


def status_filter(text: str) -> Status | None:
    return _member(Status, text, "未知指令状态 unknown command status")


def _member(kind: type[E], text: str, label: str) -> E | None:
    """A filter value as the caller wrote it: empty means no filter, anything unknown is refused."""
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise InvalidSelection(f"{label} {text!r}; known: {', '.join(m.value for m in kind)}") from None


@dataclass(frozen=True)
class Batch:
    batch_id: str
    operation: Operation
    status: BatchStatus
    selection: Selection
    settings: Settings | None
    requested_by: str
    reason: str
    created_at: datetime
    run_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    total: int


@dataclass(frozen=True)
class BatchProgress:
    """How many of a batch's items are where in their life."""

    queued: int = 0
    sent: int = 0
    confirmed: int = 0
    failed: int = 0
    cancelled: int = 0

    @classmethod
    def of(cls, counts: dict[Status, int]) -> BatchProgress:
        return cls(**{status.value: count for status, count in counts.items()})
