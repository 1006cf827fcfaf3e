"""The meter as control sees it: a snapshot to read, and a locked aggregate to change.

A meter's commands leave one at a time and in order, whichever consumer or sweep gets
there first; so every change to a meter, and every command queued, sent or finished for
it, happens under the lock of its control row. The only way to a LockedMeter is
`uow.meters.get_for_update(meter_id)`, and everything that changes a meter or its
commands takes one: forgetting the lock is an error, not a comment.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from services.control.domain.operations import Operation, Plan, Settings
from services.control.domain.policy import Kind, MeterState, Mode, Supply, overloaded


@dataclass(frozen=True)
class MeterTags:
    """Where a meter is, until the console owns the org tree; the project selects the protection window."""

    project: str = ""
    building: str = ""
    floor: str = ""
    tenant: str = ""


@dataclass(frozen=True)
class MeterControl:
    """What control knows of one meter at one moment (read-only; change it through a LockedMeter)."""

    meter_id: str
    mode: Mode
    in_arrears: bool
    known_state: Supply
    kind: Kind
    tags: MeterTags
    overload_threshold_w: int
    overload_tripped: bool
    online: bool
    last_power_w: int
    cut_check_at: datetime | None    # an arrears cut held back by a protection window is looked at again then
    updated_at: datetime
    placed_at: datetime | None = None  # when the console placed it where it is (the registry event's time)

    @property
    def state(self) -> MeterState:
        return MeterState(self.mode, self.in_arrears, self.overload_tripped, self.known_state, self.kind)


@dataclass(frozen=True)
class WatchedMeter:
    """What the reading stream needs of a meter: its kind and its overload threshold."""

    meter_id: str
    kind: Kind
    overload_threshold_w: int


class LockedMeter:
    """A meter whose control row this transaction holds locked: the only meter that may change.

    Changes are kept here and written by the unit of work before it commits.
    """

    __slots__ = ("_changed", "_current")

    def __init__(self, current: MeterControl) -> None:
        self._current = current
        self._changed = False

    @property
    def meter_id(self) -> str:
        return self._current.meter_id

    @property
    def current(self) -> MeterControl:
        return self._current

    @property
    def state(self) -> MeterState:
        return self._current.state

    @property
    def changed(self) -> bool:
        return self._changed

    def written(self) -> None:
        """The unit of work stored the changes."""
        self._changed = False

    def _change(self, now: datetime, **fields: object) -> None:
        self._current = replace(self._current, updated_at=now, **fields)
        self._changed = True

    # ---- facts from other services

    def record_wallet_state(self, in_arrears: bool, now: datetime) -> None:
        self._change(now, in_arrears=in_arrears)

    def observe_field(self, online: bool, relay_state: Supply, now: datetime) -> bool:
        """Presence and relay state as polled; True when the meter needs settling (back online, switched)."""
        came_back = online and not self._current.online
        switched = relay_state is not Supply.UNKNOWN and relay_state != self._current.known_state
        if relay_state is Supply.UNKNOWN:
            self._change(now, online=online)
        else:
            self._change(now, online=online, known_state=relay_state)
        return came_back or switched

    def record_relay(self, relay_state: Supply, now: datetime) -> None:
        """What a command's read-back showed (nothing when the device did not say)."""
        if relay_state is not Supply.UNKNOWN:
            self._change(now, known_state=relay_state)

    def place(self, project: str, placed_at: datetime, now: datetime) -> bool:
        """The console placed the meter in a project; True when this placement is newer than the last.

        An older (or the same) placement changes nothing; one naming no project keeps the project.
        """
        last = self._current.placed_at
        if last is not None and placed_at <= last:
            return False
        tags = replace(self._current.tags, project=project) if project else self._current.tags
        self._change(now, tags=tags, placed_at=placed_at)
        return True

    def learn_kind(self, kind: Kind, now: datetime) -> None:
        """A reading says what the meter is: supply commands follow (trip or valve)."""
        self._change(now, kind=kind)

    # ---- overload (过载)

    def overload_trip_due(self, power_w: int) -> bool:
        """Over its threshold and not tripped for it already."""
        return not self._current.overload_tripped and overloaded(power_w, self._current.overload_threshold_w)

    def trip_for_overload(self, power_w: int, now: datetime) -> None:
        self._change(now, overload_tripped=True, last_power_w=power_w)

    # ---- protection windows

    def book_cut_check(self, check_at: datetime | None, now: datetime) -> bool:
        """When a held-back arrears cut is looked at again (None: nothing held back); True if it moved."""
        if check_at == self._current.cut_check_at:
            return False
        self._change(now, cut_check_at=check_at)
        return True

    def clear_cut_check(self, now: datetime) -> None:
        self._change(now, cut_check_at=None)

    # ---- operators

    def apply_plan(self, operation: Operation, plan: Plan, settings: Settings, now: datetime) -> None:
        """An operation's mode change (and what it clears) is recorded before its commands are queued."""
        changes: dict[str, object] = {}
        if plan.new_mode is not None:
            changes["mode"] = plan.new_mode
        if plan.clears_overload:
            changes["overload_tripped"] = False
        if operation is Operation.THRESHOLD_PUSH and settings.overload_w:
            changes["overload_threshold_w"] = settings.overload_w
        if changes:
            self._change(now, **changes)

    def set_tags(self, tags: MeterTags, kind: Kind, overload_threshold_w: int, now: datetime) -> None:
        """Tags as an operator set them; a kind left unspecified means electricity."""
        self._change(now, tags=tags, kind=Kind.ELECTRICITY if kind is Kind.UNKNOWN else kind,
                     overload_threshold_w=overload_threshold_w)

