"""What the console learns from the other services' topics, as plain facts, and how a batch of them folds
into the few rows its read models change.

Every topic is at least once and may redeliver a whole batch; every fold here is order-safe and
idempotent: the newest fact per meter / account / command wins, duplicates collapse, and the
repository compares with what it holds (an older fact than the stored one changes nothing).
Days are China-time calendar days (Asia/Shanghai), as the bills are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
RELAY_STATES = ("unknown", "closed", "open")   # index = meterpay.v1.RelayState
CONTROL_MODES = ("prepaid", "guarantee", "forced_off")


def china_day(at: datetime) -> date:
    """The China-time calendar day an instant falls on."""
    return at.astimezone(CHINA).date()


@dataclass(frozen=True)
class MeterStatusSeen:
    """device.status.v1 of a meter: online or not, and its relay as last seen ("unknown": not said)."""

    meter_id: str
    online: bool
    relay_state: str
    changed_at: datetime


@dataclass(frozen=True)
class GatewayStatusSeen:
    gateway_id: str
    online: bool
    changed_at: datetime


@dataclass(frozen=True)
class ReadingSeen:
    """meter.readings.v1: the registers and the instantaneous values of one read."""

    meter_id: str
    read_at: datetime
    water: bool
    total_wh: int
    volume_l: int
    bands_wh: tuple[int, ...] | None
    voltage_dv: int
    current_ca: int
    power_w: int
    power_factor_milli: int
    relay_state: str


@dataclass(frozen=True)
class ChargeSeen:
    """usage.charges.v1: one priced interval; it counts on the China day of its end."""

    charge_id: str
    meter_id: str
    to_time: datetime
    energy_wh: int
    amount_fen: int


@dataclass(frozen=True)
class WalletEventSeen:
    """wallet.events.v1. in_arrears: None unless the event is an arrears change; alarm_level: None when the
    event does not state the level the account is at (a recharge carries the level before its review)."""

    event_id: str
    account_id: str
    balance_fen: int
    alarm_level: int | None
    in_arrears: bool | None
    occurred_at: datetime


@dataclass(frozen=True)
class CommandOutcomeSeen:
    """control.events.v1: a command's final outcome."""

    command_id: str
    meter_id: str
    action: str
    status: str                 # confirmed / failed / cancelled
    relay_state: str            # as the device answered ("unknown": not said)
    detail: str
    reason: str
    requested_by: str
    completed_at: datetime


# ---- folds: a batch -> one row per key -------------------------------------------------------------------

@dataclass(frozen=True)
class MeterDayReadings:
    """The lowest and highest register a batch saw for one meter on one China day."""

    meter_id: str
    day: date
    min_wh: int
    max_wh: int


@dataclass(frozen=True)
class MeterDayCharges:
    meter_id: str
    day: date
    charges: tuple[ChargeSeen, ...]   # distinct charge ids, oldest first


@dataclass(frozen=True)
class AccountStateChange:
    """One account's newest state in a batch, each part with the time it was stated at."""

    account_id: str
    occurred_at: datetime
    balance_fen: int
    alarm_level: int | None
    alarm_at: datetime | None
    in_arrears: bool | None
    arrears_at: datetime | None


def latest_per_meter_status(seen: list[MeterStatusSeen]) -> list[MeterStatusSeen]:
    return list(_latest(seen, lambda s: s.meter_id, lambda s: s.changed_at).values())


def latest_per_gateway(seen: list[GatewayStatusSeen]) -> list[GatewayStatusSeen]:
    return list(_latest(seen, lambda s: s.gateway_id, lambda s: s.changed_at).values())


def latest_readings(seen: list[ReadingSeen]) -> list[ReadingSeen]:
    return list(_latest(seen, lambda r: r.meter_id, lambda r: r.read_at).values())


def latest_outcomes(seen: list[CommandOutcomeSeen]) -> list[CommandOutcomeSeen]:
    return list(_latest(seen, lambda c: c.command_id, lambda c: c.completed_at).values())


def day_readings(seen: list[ReadingSeen]) -> list[MeterDayReadings]:
    """Electricity registers per meter-day: the day's energy is its highest register minus its lowest
    (cumulative registers only grow, so this is the same whatever order the readings came in)."""
    spans: dict[tuple[str, date], tuple[int, int]] = {}
    for r in seen:
        if r.water:
            continue
        key = (r.meter_id, china_day(r.read_at))
        low, high = spans.get(key, (r.total_wh, r.total_wh))
        spans[key] = (min(low, r.total_wh), max(high, r.total_wh))
    return [MeterDayReadings(m, d, low, high) for (m, d), (low, high) in spans.items()]


def day_charges(seen: list[ChargeSeen]) -> list[MeterDayCharges]:
    """Charges per meter-day, duplicates (same charge id) once, oldest first."""
    unique = {c.charge_id: c for c in seen}
    grouped: dict[tuple[str, date], list[ChargeSeen]] = {}
    for c in sorted(unique.values(), key=lambda c: c.to_time):
        grouped.setdefault((c.meter_id, china_day(c.to_time)), []).append(c)
    return [MeterDayCharges(m, d, tuple(cs)) for (m, d), cs in grouped.items()]


def account_changes(seen: list[WalletEventSeen]) -> list[AccountStateChange]:
    """Per account, the newest balance, the newest stated alarm level and the newest arrears change.

    Events of one transfer share their time: they are taken in the order they came (the wallet
    publishes a recharge, then the alarm level it leads to, then the recovery).
    """
    changes: dict[str, AccountStateChange] = {}
    for e in sorted(seen, key=lambda e: e.occurred_at):   # stable: same time keeps arrival order
        before = changes.get(e.account_id)
        alarm = (e.alarm_level, e.occurred_at) if e.alarm_level is not None else (
            (before.alarm_level, before.alarm_at) if before else (None, None))
        arrears = (e.in_arrears, e.occurred_at) if e.in_arrears is not None else (
            (before.in_arrears, before.arrears_at) if before else (None, None))
        changes[e.account_id] = AccountStateChange(e.account_id, e.occurred_at, e.balance_fen, alarm[0], alarm[1],
                                                   arrears[0], arrears[1])
    return list(changes.values())


def _latest(items, key, at):
    newest: dict = {}
    for item in items:   # the later of two equal times wins: it came later on an ordered partition
        k = key(item)
        if k not in newest or at(item) >= at(newest[k]):
            newest[k] = item
    return newest


@dataclass(frozen=True)
class Projected:
    """What a projection batch did: rows changed, and facts about objects console does not know (yet)."""

    applied: int
    unknown: int
    stale: int = 0
