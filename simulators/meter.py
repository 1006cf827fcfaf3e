"""A prepaid meter as physics and registers, with no I/O (unit-testable on a fake clock).

The meter keeps exact fractional Wh per time-of-use band and integrates power lazily: nothing
ticks; every read or command first brings the accumulators up to "now" on an injectable
monotonic clock. Simulated time runs `time_scale` times faster than the clock, and the
meter's own wall clock (which picks the TOU band and the daily load curve) runs at the
same pace, so the energy in each band is what a day of that load would put there.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

Clock = Callable[[], float]

SECONDS_PER_DAY = 86_400
MINUTES_PER_DAY = 1_440
REGISTER_WRAP = 2**32  # 32-bit counters roll over like the real ones
US_PER_S = 1_000_000
US_PER_MINUTE = 60 * US_PER_S
US_PER_HOUR = 3600 * US_PER_S
MW_US_PER_WH = 1000 * US_PER_HOUR  # milliwatt-microseconds in one watt-hour
NOMINAL_VOLTAGE_V = 220.0


class Band(enum.IntEnum):
    """Time-of-use bands, valued by the holding register that accumulates each one."""

    SHARP = 0x0002
    PEAK = 0x0004
    FLAT = 0x0006
    VALLEY = 0x0008
    DEEP_VALLEY = 0x000A


class Reg(enum.IntEnum):
    """Holding register addresses (protocol addresses, 0-based)."""

    TOTAL_WH = 0x0000
    REVERSE_WH = 0x000C
    VOLTAGE_DV = 0x000E
    CURRENT_CA = 0x000F
    ACTIVE_POWER_W = 0x0010
    POWER_FACTOR_MILLI = 0x0012
    RELAY_OPEN = 0x0013
    GUARANTEE = 0x0014
    CONTROL = 0x0020


MEASUREMENT_REGISTER_COUNT = 0x0015  # 0x0000..0x0014


class ControlCode(enum.IntEnum):
    """Values written to the control register 0x0020."""

    TRIP = 0x0001
    CLOSE = 0x0002
    GUARANTEE_ON = 0x0003
    GUARANTEE_OFF = 0x0004


class UnknownControlCode(ValueError):
    """A value written to the control register that the meter does not know."""


# --------------------------------------------------------------------------- TOU schedule


@dataclass(frozen=True)
class TouSchedule:
    """Band of every minute of the day; minutes not named by any period are flat."""

    minute_bands: tuple[Band, ...]

    @classmethod
    def from_periods(cls, periods: dict[Band, list[tuple[int, int]]]) -> TouSchedule:
        """Build from {band: [(start_minute, end_minute), ...]}; a period may wrap midnight."""
        table: list[Band | None] = [None] * MINUTES_PER_DAY
        for band, spans in periods.items():
            for start_min, end_min in spans:
                for minute in _minutes_of_span(start_min, end_min):
                    if table[minute] not in (None, band):
                        raise ValueError(
                            f"TOU periods overlap at {minute // 60:02d}:{minute % 60:02d} "
                            f"({table[minute].name.lower()} and {band.name.lower()})"
                        )
                    table[minute] = band
        return cls(tuple(Band.FLAT if band is None else band for band in table))

    @classmethod
    def default(cls) -> TouSchedule:
        """Sharp 19-21h, peak 8-11h and 17-19h, valley 23-07h, no deep valley, flat the rest."""
        return cls.from_periods(
            {
                Band.SHARP: [(19 * 60, 21 * 60)],
                Band.PEAK: [(8 * 60, 11 * 60), (17 * 60, 19 * 60)],
                Band.VALLEY: [(23 * 60, 7 * 60)],
            }
        )

    def band_at(self, second_of_day: float) -> Band:
        return self.minute_bands[int(second_of_day // 60) % MINUTES_PER_DAY]

    def minutes_to_next_change(self, minute_of_day: int) -> int:
        """Whole minutes from the start of `minute_of_day` to the next minute with another band."""
        return self._minutes_to_next_change[minute_of_day % MINUTES_PER_DAY]

    @cached_property
    def _minutes_to_next_change(self) -> tuple[int, ...]:
        """For every minute, how many minutes until the band differs (one day when it never does)."""
        ahead = [MINUTES_PER_DAY] * MINUTES_PER_DAY
        if len(set(self.minute_bands)) == 1:
            return tuple(ahead)
        # Walk the day backwards twice so that runs crossing midnight are counted too.
        distance = MINUTES_PER_DAY
        for step in range(2 * MINUTES_PER_DAY - 1, -1, -1):
            minute = step % MINUTES_PER_DAY
            following = (minute + 1) % MINUTES_PER_DAY
            distance = 1 if self.minute_bands[following] != self.minute_bands[minute] else distance + 1
            ahead[minute] = min(distance, MINUTES_PER_DAY)
        return tuple(ahead)


def _minutes_of_span(start_min: int, end_min: int) -> range | list[int]:
    if not (0 <= start_min < MINUTES_PER_DAY and 0 <= end_min <= MINUTES_PER_DAY):
        raise ValueError(f"TOU period minutes out of range: {start_min}-{end_min}")
    if start_min == end_min:
        raise ValueError(f"TOU period {start_min}-{end_min} is empty")
    if start_min < end_min:
        return range(start_min, end_min)
    return [*range(start_min, MINUTES_PER_DAY), *range(0, end_min)]


# --------------------------------------------------------------------------- load profile

# Hourly multipliers of base power, index = hour of the meter's local day.
KIND_CURVES: dict[str, tuple[float, ...]] = {
    "constant": (1.0,) * 24,
    "shop": (0.1,) * 9 + (0.6, 0.8, 0.9, 0.9, 0.8, 0.8, 0.8, 0.9, 1.0, 1.0, 1.0, 1.0, 0.6) + (0.1,) * 2,
    "office": (0.05,) * 7 + (0.3, 0.9, 1.0, 1.0, 1.0, 0.6, 0.9, 1.0, 1.0, 0.9, 0.6, 0.3) + (0.05,) * 5,
    "apartment": (0.2,) * 6 + (0.5, 0.8, 0.5) + (0.3,) * 8 + (0.7, 0.9, 1.0, 1.0, 0.9, 0.6, 0.3),
    "restaurant": (0.05,) * 6 + (0.1,) * 3 + (0.4, 0.7, 1.0, 1.0, 0.7, 0.4, 0.4, 0.7, 1.0, 1.0, 1.0, 0.8)
    + (0.4, 0.1, 0.05),
}
# Typical power factor per kind of load (motors and kitchens lag more than lighting).
KIND_POWER_FACTOR: dict[str, float] = {
    "constant": 0.9,
    "shop": 0.92,
    "office": 0.9,
    "apartment": 0.95,
    "restaurant": 0.85,
}


@dataclass(frozen=True)
class LoadProfile:
    """Active power drawn as a function of the hour of the meter's local day."""

    base_power_w: float
    hourly_multipliers: tuple[float, ...]
    power_factor: float = 0.9

    def __post_init__(self) -> None:
        if len(self.hourly_multipliers) != 24 or min(self.hourly_multipliers) < 0:
            raise ValueError("a load profile needs 24 non-negative hourly multipliers")
        if self.base_power_w < 0:
            raise ValueError("base_power_w must not be negative")

    @classmethod
    def of_kind(cls, kind: str, base_power_w: float, curve: tuple[float, ...] | None = None) -> LoadProfile:
        if kind not in KIND_CURVES:
            raise ValueError(f"unknown load kind {kind!r}; known: {', '.join(sorted(KIND_CURVES))}")
        return cls(base_power_w, curve or KIND_CURVES[kind], KIND_POWER_FACTOR[kind])

    def power_w_at(self, second_of_day: float) -> float:
        return self.power_w_in_hour(int(second_of_day // 3600))

    def power_w_in_hour(self, hour: int) -> float:
        return self.base_power_w * self.hourly_multipliers[hour % 24]


# --------------------------------------------------------------------------- the meter


class SimulatedMeter:
    """One prepaid meter: cumulative band registers, relay, power guarantee, electrical values.

    `reversed_wiring` models a meter connected backwards: it measures negative power, the
    reverse register grows, and (anti-tamper) the total still grows by |energy|.
    """

    def __init__(
        self,
        device_id: int,
        meter_id: str,
        profile: LoadProfile,
        *,
        tou: TouSchedule | None = None,
        time_scale: float = 1.0,
        initial_total_wh: int = 0,
        reversed_wiring: bool = False,
        clock: Clock = time.monotonic,
        start_local: datetime | None = None,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.device_id = device_id
        self.meter_id = meter_id
        self.profile = profile
        self.tou = tou or TouSchedule.default()
        self.time_scale = time_scale
        self._clock = clock
        self._clock_origin = clock()
        start = start_local or datetime.now()
        self._start_us = (start.hour * 3600 + start.minute * 60 + start.second) * US_PER_S + start.microsecond
        self._integrated_to_us = 0  # simulated microseconds since start, energy is accounted up to here
        # Energy is kept exactly, as integer milliwatt-microseconds (a Wh is 3.6e12 of them).
        # The opening reading has no band history; it is booked as flat so bands still sum to the total.
        self._band_mw_us: dict[Band, int] = dict.fromkeys(Band, 0)
        self._band_mw_us[Band.FLAT] = initial_total_wh * MW_US_PER_WH
        self._reverse_mw_us = 0
        self._relay_open = False
        self._guarantee = False
        self._reversed_wiring = reversed_wiring

    # ---- time and integration

    def simulated_elapsed_s(self) -> float:
        return max(0.0, (self._clock() - self._clock_origin) * self.time_scale)

    def local_second_of_day(self) -> float:
        return (self._start_us / US_PER_S + self.simulated_elapsed_s()) % SECONDS_PER_DAY

    def advance(self) -> None:
        """Account energy up to now; a clock that went backwards changes nothing."""
        now_us = int(self.simulated_elapsed_s() * US_PER_S)
        if now_us <= self._integrated_to_us:
            return
        if not self._relay_open:
            self._integrate(self._integrated_to_us, now_us)
        self._integrated_to_us = now_us

    def _integrate(self, from_us: int, to_us: int) -> None:
        """Add the energy of [from_us, to_us] to the band registers, segment by segment.

        Segments end on the meter's minute grid (where bands and the hourly load change), so
        the split points do not depend on when the meter happens to be read, and integer
        arithmetic makes any sequence of reads add up to the same energy as a single one
        (integers rather than fractions: a park of 15,000 meters is read thousands of times a second).
        """
        day_us, end_us = self._start_us + from_us, self._start_us + to_us
        while day_us < end_us:
            minute = day_us // US_PER_MINUTE
            boundary_us = min((minute + self.tou.minutes_to_next_change(minute)) * US_PER_MINUTE,
                              (day_us // US_PER_HOUR + 1) * US_PER_HOUR)
            segment_end_us = min(end_us, boundary_us)
            power_mw = round(self.profile.power_w_in_hour(minute // 60) * 1000)
            energy_mw_us = power_mw * (segment_end_us - day_us)
            self._band_mw_us[self.tou.band_at(minute * 60)] += energy_mw_us
            if self._reversed_wiring:
                self._reverse_mw_us += energy_mw_us
            day_us = segment_end_us

    # ---- state that commands and tests change

    @property
    def relay_open(self) -> bool:
        return self._relay_open

    @relay_open.setter
    def relay_open(self, value: bool) -> None:
        """Force the relay (tests); bypasses power guarantee, unlike `trip()`."""
        self.advance()
        self._relay_open = bool(value)

    @property
    def guarantee(self) -> bool:
        return self._guarantee

    @guarantee.setter
    def guarantee(self, value: bool) -> None:
        self.advance()
        self._guarantee = bool(value)

    @property
    def reversed_wiring(self) -> bool:
        return self._reversed_wiring

    @reversed_wiring.setter
    def reversed_wiring(self, value: bool) -> None:
        self.advance()
        self._reversed_wiring = bool(value)

    def trip(self) -> bool:
        """Open the relay unless the meter is in power guarantee; True when the relay is open after."""
        if not self._guarantee:
            self.relay_open = True
        return self._relay_open

    def close_relay(self) -> None:
        self.relay_open = False

    def set_guarantee(self, on: bool) -> None:
        """Power guarantee forces supply on, so turning it on also closes an open relay."""
        self.guarantee = on
        if on:
            self.close_relay()

    def apply_control(self, code: int) -> None:
        """Execute a value written to the control register."""
        if code == ControlCode.TRIP:
            self.trip()
        elif code == ControlCode.CLOSE:
            self.close_relay()
        elif code == ControlCode.GUARANTEE_ON:
            self.set_guarantee(True)
        elif code == ControlCode.GUARANTEE_OFF:
            self.set_guarantee(False)
        else:
            known = ", ".join(f"{c:#06x}" for c in ControlCode)
            raise UnknownControlCode(f"control code {code:#06x} is not one of {known}")

    # ---- what the registers show (each public reading advances once, then reads one instant)

    def band_wh(self, band: Band) -> int:
        self.advance()
        return self._band_register(band)

    @property
    def total_wh(self) -> int:
        self.advance()
        return self._total_register()

    @property
    def exact_total_wh(self) -> float:
        """Unwrapped, unrounded energy (for tests)."""
        self.advance()
        return sum(self._band_mw_us.values()) / MW_US_PER_WH

    def unwrapped_band_wh(self, band: Band) -> int:
        """Whole Wh of a band without the 32-bit wrap (protocols with other counter widths use this)."""
        self.advance()
        return self._band_mw_us[band] // MW_US_PER_WH

    def unwrapped_reverse_wh(self) -> int:
        self.advance()
        return self._reverse_mw_us // MW_US_PER_WH

    @property
    def reverse_wh(self) -> int:
        self.advance()
        return self._reverse_mw_us // MW_US_PER_WH % REGISTER_WRAP

    @property
    def power_w(self) -> float:
        """Measured active power: 0 when tripped, negative when wired backwards."""
        if self._relay_open:
            return 0.0
        power_w = self.profile.power_w_at(self.local_second_of_day())
        return -power_w if self._reversed_wiring else power_w

    @property
    def voltage_v(self) -> float:
        # A slow deterministic wobble (phase by device) is enough to look like a live network.
        return NOMINAL_VOLTAGE_V + 3.0 * math.sin(self.simulated_elapsed_s() / 900.0 + self.device_id)

    def holding_registers(self) -> list[int]:
        """Registers 0x0000..0x0014 as the meter would answer them now."""
        self.advance()
        power_w, voltage_v = self.power_w, self.voltage_v
        power_factor = 1.0 if power_w == 0 else self.profile.power_factor
        current_a = abs(power_w) / (voltage_v * power_factor)  # P = U * I * PF
        registers = [0] * MEASUREMENT_REGISTER_COUNT
        _put_u32(registers, Reg.TOTAL_WH, self._total_register())
        for band in Band:
            _put_u32(registers, band, self._band_register(band))
        _put_u32(registers, Reg.REVERSE_WH, self._reverse_mw_us // MW_US_PER_WH % REGISTER_WRAP)
        registers[Reg.VOLTAGE_DV] = _u16(round(voltage_v * 10))
        registers[Reg.CURRENT_CA] = _u16(round(current_a * 100))
        _put_u32(registers, Reg.ACTIVE_POWER_W, round(power_w) % REGISTER_WRAP)  # int32 as two's complement
        registers[Reg.POWER_FACTOR_MILLI] = _u16(round(power_factor * 1000))
        registers[Reg.RELAY_OPEN] = int(self._relay_open)
        registers[Reg.GUARANTEE] = int(self._guarantee)
        return registers

    def status(self) -> dict[str, object]:
        """The JSON-friendly state other processes watch (status file, SIGUSR1 dump)."""
        return {
            "total_wh": self.total_wh,
            "relay_open": self._relay_open,
            "power_w": round(self.power_w),
            "guarantee": self._guarantee,
        }

    def _band_register(self, band: Band) -> int:
        return self._band_mw_us[band] // MW_US_PER_WH % REGISTER_WRAP

    def _total_register(self) -> int:
        """Sum of the band registers, so that bands always add up to the total exactly."""
        return sum(self._band_register(band) for band in Band) % REGISTER_WRAP


def _put_u32(registers: list[int], address: int, value: int) -> None:
    registers[address] = (value >> 16) & 0xFFFF  # high word first
    registers[address + 1] = value & 0xFFFF


def _u16(value: int) -> int:
    return max(0, min(0xFFFF, value))


def decode_u32(registers: list[int], address: int) -> int:
    """Read a 32-bit register pair (high word first) out of a block starting at address 0."""
    return (registers[address] << 16) | registers[address + 1]


def decode_i32(registers: list[int], address: int) -> int:
    value = decode_u32(registers, address)
    return value - REGISTER_WRAP if value >= 2**31 else value
