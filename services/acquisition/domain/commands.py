"""Which register write carries a field command, and how the read-back confirms it."""

from __future__ import annotations

from services.acquisition.domain.registers import ControlCode, RegisterSnapshot

# Mirrors meterpay.v1.ControlAction; kept numeric here so the domain imports no generated code.
ACTION_TRIP, ACTION_CLOSE, ACTION_GUARANTEE_ON, ACTION_GUARANTEE_OFF = 1, 2, 3, 4

CONTROL_CODES = {
    ACTION_TRIP: ControlCode.TRIP,
    ACTION_CLOSE: ControlCode.CLOSE,
    ACTION_GUARANTEE_ON: ControlCode.POWER_GUARANTEE_ON,
    ACTION_GUARANTEE_OFF: ControlCode.POWER_GUARANTEE_OFF,
}


class UnsupportedAction(ValueError):
    pass


def control_code(action: int) -> ControlCode:
    try:
        return CONTROL_CODES[action]
    except KeyError:
        raise UnsupportedAction(f"no field command for action {action}") from None


def confirm(action: int, after: RegisterSnapshot) -> tuple[bool, str]:
    """Did the state read back after the write do what was asked? Returns (confirmed, detail)."""
    if action == ACTION_TRIP:
        if after.relay_open:
            return True, "relay open"
        if after.power_guarantee:
            return False, "meter in power guarantee refused the trip"
        return False, "relay still closed"
    if action == ACTION_CLOSE:
        return (not after.relay_open, "relay closed" if not after.relay_open else "relay still open")
    if action == ACTION_GUARANTEE_ON:
        return after.power_guarantee, "power guarantee on" if after.power_guarantee else "guarantee flag not set"
    if action == ACTION_GUARANTEE_OFF:
        return (not after.power_guarantee, "power guarantee off" if not after.power_guarantee else "flag still set")
    raise UnsupportedAction(f"no field command for action {action}")
