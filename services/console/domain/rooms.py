"""A room as the operator's list shows it: its meters' live state, its account, and one derived state.

The state says what an operator must look at first, in this order: a room without an open account
is not opened (未开户); a meter that does not answer hides everything else (离线); a meter under power
guarantee has supply whatever the balance (保电); an account in arrears is cut (欠费断电); then the
low-balance alarm levels (报警2, 报警1); otherwise supply is on (正常供电).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from services.console.domain.errors import InvalidRequest


class RoomState(StrEnum):
    NOT_OPENED = "not_opened"
    OFFLINE = "offline"
    POWER_GUARANTEE = "power_guarantee"
    ARREARS_CUT = "arrears_cut"
    ALARM_2 = "alarm_2"
    ALARM_1 = "alarm_1"
    SUPPLY_ON = "supply_on"


STATE_ZH = {RoomState.NOT_OPENED: "未开户", RoomState.OFFLINE: "离线", RoomState.POWER_GUARANTEE: "保电",
            RoomState.ARREARS_CUT: "欠费断电", RoomState.ALARM_2: "二级报警", RoomState.ALARM_1: "一级报警",
            RoomState.SUPPLY_ON: "正常供电"}


@dataclass(frozen=True)
class MeterLive:
    """A meter's place and what console last heard of it (None: never heard)."""

    meter_id: str
    room_id: str
    property_id: str
    kind: str
    gateway_id: str
    online: bool | None
    relay_state: str
    control_mode: str
    last_read_at: datetime | None
    total_wh: int | None
    volume_l: int | None
    bands_wh: tuple[int, ...] | None
    voltage_dv: int | None
    current_ca: int | None
    power_w: int | None
    power_factor_milli: int | None
    status_changed_at: datetime | None
    account_id: str | None
    today_energy_wh: int
    today_amount_fen: int
    room_name: str = ""


@dataclass(frozen=True)
class AccountLive:
    account_id: str
    property_id: str
    tenant_id: str | None
    tenant_name: str
    status: str
    balance_fen: int
    balance_at: datetime | None
    cutoff_fen: int
    alarm_level: int
    in_arrears: bool


@dataclass(frozen=True)
class RoomRow:
    """A room node with where it lies."""

    room_id: str
    name: str
    property_id: str
    building_id: str | None
    floor_id: str | None
    area_m2: Decimal | None
    room_use: str | None
    path: str


@dataclass(frozen=True)
class RoomView:
    room: RoomRow
    meters: tuple[MeterLive, ...]
    accounts: tuple[AccountLive, ...]       # open ones first, by account id
    state: RoomState

    @property
    def account(self) -> AccountLive | None:
        return self.accounts[0] if self.accounts else None


@dataclass(frozen=True)
class CommandRow:
    command_id: str
    meter_id: str
    property_id: str
    action: str
    status: str
    requested_by: str
    reason: str
    detail: str
    batch_id: str
    created_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class RoomDetail:
    view: RoomView
    commands: tuple[CommandRow, ...]        # the newest of the room's meters
    day: date


@dataclass(frozen=True)
class RoomFilter:
    property_id: str = ""
    building_id: str = ""
    floor_id: str = ""
    state: RoomState | None = None
    q: str = ""


@dataclass(frozen=True)
class MeterFilter:
    property_id: str = ""
    room_id: str = ""
    online: str = ""          # online / offline / unknown
    kind: str = ""            # electricity / water
    q: str = ""


@dataclass(frozen=True)
class MeterDetail:
    meter: MeterLive
    account: AccountLive | None
    path: str
    month_energy_wh: int
    month_amount_fen: int


def room_state(meters: Sequence[MeterLive], accounts: Sequence[AccountLive]) -> RoomState:
    """The one state of a room (see the module's order). Mirrored in SQL by repository/live_rooms.py for
    the state filter; tests/console/test_console_rooms.py checks they agree."""
    opened = [a for a in accounts if a.status == "open"]
    if not opened:
        return RoomState.NOT_OPENED
    if any(m.online is False for m in meters):
        return RoomState.OFFLINE
    if any(m.control_mode == "guarantee" for m in meters):
        return RoomState.POWER_GUARANTEE
    if any(a.in_arrears for a in opened):
        return RoomState.ARREARS_CUT
    level = max(a.alarm_level for a in opened)
    if level >= 2:
        return RoomState.ALARM_2
    if level == 1:
        return RoomState.ALARM_1
    return RoomState.SUPPLY_ON


def room_view(room: RoomRow, meters: Sequence[MeterLive], accounts: Sequence[AccountLive]) -> RoomView:
    ordered = tuple(sorted(accounts, key=lambda a: (a.status != "open", a.account_id)))
    return RoomView(room, tuple(meters), ordered, room_state(meters, ordered))


def parse_room_state(text: str) -> RoomState | None:
    if not text:
        return None
    try:
        return RoomState(text)
    except ValueError:
        names = ", ".join(s.value for s in RoomState)
        raise InvalidRequest(f"未知房间状态: {text!r}(可选 {names})",
                             f"unknown room state {text!r}; one of {names}") from None
