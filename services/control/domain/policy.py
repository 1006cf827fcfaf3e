"""The desired supply state of a meter, from its control mode, its wallet state and its protections.

Glossary: 预付费 = prepaid automatic; 保电 = power guarantee (supply forced on
whatever the balance); 拉闸 = forced off (trip); 合闸 = close; 关阀/开阀 = close/open
a water valve; 恢复预付费 = restore prepaid; 电价下发 = price push; 阈值下发 =
threshold push; 立即抄表 = read now; 保护时段 = protection window; 过载 = overload.
A cut is never sent to a meter in power guarantee; a restored balance restores
supply without an operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Mode(StrEnum):
    PREPAID = "prepaid"
    POWER_GUARANTEE = "guarantee"
    FORCED_OFF = "forced_off"


class Supply(IntEnum):
    """Numerically equal to meterpay.v1.RelayState."""

    UNKNOWN = 0
    ON = 1    # relay closed / valve open
    OFF = 2   # relay open / valve closed


class Kind(IntEnum):
    """Numerically equal to meterpay.v1.MeterKind."""

    UNKNOWN = 0
    ELECTRICITY = 1
    WATER = 2


class Action(IntEnum):
    """Numerically equal to meterpay.v1.ControlAction: what goes to the field."""

    TRIP = 1
    CLOSE = 2
    POWER_GUARANTEE_ON = 3
    POWER_GUARANTEE_OFF = 4
    VALVE_CLOSE = 5
    VALVE_OPEN = 6
    PRICE_PUSH = 7
    THRESHOLD_PUSH = 8
    READ_NOW = 9


CUT_ACTIONS = frozenset({Action.TRIP, Action.VALVE_CLOSE})
SUPPLY_ACTIONS = frozenset({Action.TRIP, Action.CLOSE, Action.VALVE_CLOSE, Action.VALVE_OPEN})


@dataclass(frozen=True)
class MeterState:
    """What control knows of one meter when it decides."""

    mode: Mode
    in_arrears: bool
    overload_tripped: bool
    known: Supply
    kind: Kind = Kind.ELECTRICITY


def desired_supply(meter: MeterState, cut_allowed: bool = True) -> Supply:
    """Power guarantee wins over everything; forced off and overload cut; arrears cut when allowed.

    cut_allowed is False inside a protection window: an automatic arrears cut waits,
    but a meter already off stays off (the window protects supply, it does not restore it).
    """
    if meter.mode is Mode.POWER_GUARANTEE:
        return Supply.ON
    if meter.mode is Mode.FORCED_OFF or meter.overload_tripped:
        return Supply.OFF
    if not meter.in_arrears:
        return Supply.ON
    if cut_allowed or meter.known is Supply.OFF:
        return Supply.OFF
    return Supply.ON


def supply_action(desired: Supply, kind: Kind) -> Action:
    if kind is Kind.WATER:
        return Action.VALVE_CLOSE if desired is Supply.OFF else Action.VALVE_OPEN
    return Action.TRIP if desired is Supply.OFF else Action.CLOSE


def next_action(meter: MeterState, cut_allowed: bool, supply_command_pending: bool) -> Action | None:
    """One supply command at a time per meter; none when the meter is known to be as desired."""
    if supply_command_pending:
        return None
    desired = desired_supply(meter, cut_allowed)
    if not _needs_command(desired, meter.known):
        return None
    return supply_action(desired, meter.kind)


def _needs_command(desired: Supply, known: Supply) -> bool:
    """A meter never heard of is assumed on: only a cut is worth sending before its first reading."""
    return desired != known and not (known is Supply.UNKNOWN and desired is Supply.ON)


def cut_deferred(meter: MeterState, cut_allowed: bool) -> bool:
    """True when only a protection window stands between the meter and an arrears cut."""
    return desired_supply(meter, True) is Supply.OFF and desired_supply(meter, cut_allowed) is not Supply.OFF


def still_wanted(action: Action, meter: MeterState, cut_allowed: bool) -> bool:
    """Is an automatic supply command that waited in the queue still what the meter needs?"""
    desired = desired_supply(meter, cut_allowed)
    return _needs_command(desired, meter.known) and supply_action(desired, meter.kind) == action


def refused_by_guarantee(action: Action, mode: Mode) -> bool:
    """The one rule checked before anything leaves: no cut to a meter in power guarantee."""
    return mode is Mode.POWER_GUARANTEE and action in CUT_ACTIONS


def overloaded(power_w: int, threshold_w: int) -> bool:
    return threshold_w > 0 and abs(power_w) > threshold_w
