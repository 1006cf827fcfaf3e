"""What acquisition publishes, as domain events; entrypoints/events.py puts each on its topic.

MeterRead is also what the readings table stores (one row per meter and read_at), so a
cycle makes one object per reading, not one for the table and one for the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from services.acquisition.domain.actions import ControlOutcome
from services.acquisition.domain.registry import MeterKind
from services.acquisition.domain.samples import RelayState

DETAIL_MAX_CHARS = 500  # the detail columns and what consumers display


class ReadingSource(IntEnum):
    """Mirrors meterpay.v1.ReadingSource."""

    POLL = 1       # scheduled poll
    BACKFILL = 2   # store-and-forward replay after an outage
    READ_NOW = 3   # asked for (ReadNow, or the read-back of a field command)
    PUSH = 4       # DTU / MQTT push (not produced yet)
    MANUAL = 5     # typed in by hand (not produced yet)


class DeviceType(IntEnum):
    """Mirrors meterpay.v1.DeviceType."""

    METER = 1
    GATEWAY = 2


@dataclass(frozen=True, slots=True)
class Measurement:
    """What a reading of a meter holds: normalised cumulative counters (Wh, litres; CT ratio applied)
    and instant values, as the readings table stores them."""

    total_wh: int
    sharp_wh: int
    peak_wh: int
    flat_wh: int
    valley_wh: int
    deep_valley_wh: int
    reverse_wh: int
    volume_l: int
    voltage_dv: int
    current_ca: int
    power_w: int
    power_factor_milli: int
    relay_state: RelayState


@dataclass(frozen=True, slots=True)
class MeterRead(Measurement):
    """A meter was read (published on meter.readings.v1 and stored once per meter and read_at)."""

    meter_id: str
    gateway_id: str
    kind: MeterKind
    read_at: datetime
    source: ReadingSource
    power_guarantee: bool
    has_band_registers: bool


@dataclass(frozen=True, slots=True)
class DeviceStatusChanged:
    """A meter or gateway went online or offline, or a meter's relay changed (published once per change)."""

    device_id: str
    device_type: DeviceType
    online: bool
    relay_state: RelayState
    changed_at: datetime
    detail: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "detail", self.detail[:DETAIL_MAX_CHARS])


@dataclass(frozen=True, slots=True)
class FieldCommandCompleted:
    """A field command ran (or could not): what the device answered, reported once per command attempt."""

    command_id: str
    meter_id: str
    attempt: int
    outcome: ControlOutcome
    relay_state: RelayState
    detail: str
    completed_at: datetime
