"""The desired supply state of a meter, from its control mode and its wallet state.

Glossary: 预付费 = prepaid automatic; 保电 = power guarantee (supply forced on
whatever the balance); 拉闸 = forced off. A cut is never sent to a meter in
power guarantee; a restored balance restores supply without an operator.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Mode(StrEnum):
    PREPAID = "prepaid"
    POWER_GUARANTEE = "guarantee"
    FORCED_OFF = "forced_off"


class Supply(IntEnum):
    """Numerically equal to meterpay.v1.RelayState."""

    UNKNOWN = 0
    ON = 1    # relay closed
    OFF = 2   # relay open


class Action(IntEnum):
    """Numerically equal to meterpay.v1.ControlAction."""

    TRIP = 1
    CLOSE = 2


def desired_supply(mode: Mode, in_arrears: bool) -> Supply:
    if mode is Mode.POWER_GUARANTEE:
        return Supply.ON
    if mode is Mode.FORCED_OFF:
        return Supply.OFF
    return Supply.OFF if in_arrears else Supply.ON


def next_action(desired: Supply, known: Supply, command_in_flight: bool) -> Action | None:
    """One command at a time per meter; none when the meter is known to be as desired."""
    if command_in_flight or desired == known:
        return None
    return Action.TRIP if desired is Supply.OFF else Action.CLOSE
