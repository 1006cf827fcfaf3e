"""Meters that speak DL/T 645-2007 and CJ/T 188 on a simulated RS-485 line, as bytes in, bytes out.

The wire format is written here again, independently of services/acquisition/domain/
(dlt645.py, cjt188.py). The duplication is deliberate: the simulator is the device side
of the conversation, and the acquisition codecs are only proven right when they talk to
an implementation they do not share code with.

Every device answers `answer(frame) -> bytes | None` (None: not addressed to me, or I
am dead). Faults on demand: `dead` (never answers), `garbage` (answers noise).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from fractions import Fraction

from simulators.meter import Band, Clock, LoadProfile, SimulatedMeter

# --------------------------------------------------------------------------- shared line helpers

FE, START, END = 0xFE, 0x68, 0x16


def to_bcd(value: int, size: int) -> bytes:
    """Little-endian BCD (least significant byte first), wrapping at 100**size like a counter."""
    value %= 100**size
    out = bytearray()
    for _ in range(size):
        value, pair = divmod(value, 100)
        out.append((pair // 10) << 4 | pair % 10)
    return bytes(out)


def signed_bcd(value: int, size: int) -> bytes:
    raw = bytearray(to_bcd(min(abs(value), 10 ** (2 * size - 1) - 1), size))
    if value < 0:
        raw[-1] |= 0x80
    return bytes(raw)


def from_bcd(raw: bytes) -> int | None:
    value = 0
    for byte in reversed(raw):
        if byte >> 4 > 9 or byte & 0x0F > 9:
            return None
        value = value * 100 + (byte >> 4) * 10 + (byte & 0x0F)
    return value


def line_sum(raw: bytes) -> int:
    return sum(raw) % 256


class FaultyDevice:
    """Fault switches every simulated serial device has."""

    dead: bool = False
    garbage: bool = False

    def noise(self, like: bytes) -> bytes:
        """What a meter with a failing transceiver sends: the right length, wrong bytes."""
        rng = random.Random(len(like))
        return bytes(rng.randrange(256) for _ in like)


# --------------------------------------------------------------------------- DL/T 645-2007

DLT_READ, DLT_RELAY = 0x11, 0x1C
DLT_STATUS3_RELAY_OPEN, DLT_STATUS3_GUARANTEE = 1 << 4, 1 << 12
DLT_ERR_OTHER, DLT_ERR_NO_DATA = 0x01, 0x02


class Dlt645Meter(FaultyDevice):
    """A DL/T 645-2007 electricity meter around the same physics as the Modbus one.

    Energy in 0.01 kWh (8 BCD digits, rolls over at 999999.99 kWh); combined active
    energy = |forward| + |reverse| as the meter's combination word is set by the utility.
    """

    def __init__(self, address: str, meter: SimulatedMeter) -> None:
        if len(address) != 12 or not address.isdigit():
            raise ValueError(f"DL/T 645 address must be 12 digits, got {address!r}")
        self.address = address
        self.meter = meter
        self.commands: list[int] = []

    @property
    def meter_id(self) -> str:
        return self.meter.meter_id

    def answer(self, frame: bytes) -> bytes | None:
        parsed = parse_dlt645(frame)
        if parsed is None or self.dead:
            return None
        address, control, data = parsed
        if address not in (self.address, "999999999999"):
            return None
        reply = self._reply(control, data)
        return self.noise(reply) if self.garbage else reply

    def _reply(self, control: int, data: bytes) -> bytes:
        if control == DLT_READ and len(data) == 4:
            value = self._value_of(int.from_bytes(data, "little"))
            if value is None:
                return dlt645_frame(self.address, 0xD1, bytes([DLT_ERR_NO_DATA]))
            return dlt645_frame(self.address, 0x91, data + value)
        if control == DLT_RELAY and len(data) >= 10:
            return self._relay(data[8])
        return dlt645_frame(self.address, 0xC0 | (control & 0x1F), bytes([DLT_ERR_OTHER]))

    def _relay(self, command: int) -> bytes:
        actions = {0x1A: self.meter.trip, 0x1B: self.meter.close_relay, 0x1C: self.meter.close_relay,
                   0x3A: lambda: self.meter.set_guarantee(True), 0x3B: lambda: self.meter.set_guarantee(False)}
        if command not in actions:
            return dlt645_frame(self.address, 0xDC, bytes([DLT_ERR_OTHER]))
        actions[command]()
        self.commands.append(command)
        return dlt645_frame(self.address, 0x9C, b"")

    def _value_of(self, data_id: int) -> bytes | None:
        m = self.meter
        if data_id == 0x0000FF00:  # combined active: total then rates 1..5
            bands = [Band.SHARP, Band.PEAK, Band.FLAT, Band.VALLEY, Band.DEEP_VALLEY]
            centi = [m.unwrapped_band_wh(b) // 10 for b in bands]
            return b"".join(to_bcd(v, 4) for v in [sum(centi), *centi])
        if data_id == 0x00020000:
            return to_bcd(m.unwrapped_reverse_wh() // 10, 4)
        if data_id == 0x02010100:
            return to_bcd(round(m.voltage_v * 10), 2)
        power_w = m.power_w
        if data_id == 0x02030000:
            return signed_bcd(round(power_w * 10), 3)  # XX.XXXX kW = 0.1 W
        if data_id == 0x02020100:
            pf = m.profile.power_factor if power_w else 1.0
            return signed_bcd(round(abs(power_w) / (m.voltage_v * pf) * 1000), 3)
        if data_id == 0x02060000:
            return signed_bcd(round((m.profile.power_factor if power_w else 1.0) * 1000), 2)
        if data_id == 0x04000503:
            word = (DLT_STATUS3_RELAY_OPEN if m.relay_open else 0) | (DLT_STATUS3_GUARANTEE if m.guarantee else 0)
            return word.to_bytes(2, "little")
        return None


def dlt645_frame(address: str, control: int, data: bytes) -> bytes:
    body = bytes([START]) + to_bcd(int(address), 6) + bytes([START, control, len(data)])
    body += bytes((b + 0x33) % 256 for b in data)
    return b"\xfe\xfe\xfe\xfe" + body + bytes([line_sum(body), END])


def parse_dlt645(frame: bytes) -> tuple[str, int, bytes] | None:
    """(address, control, data) of a well-formed frame, else None (a meter ignores noise)."""
    body = frame.lstrip(b"\xfe")
    if len(body) < 12 or body[0] != START or body[7] != START or len(body) != 12 + body[9]:
        return None
    if body[-1] != END or line_sum(body[:-2]) != body[-2]:
        return None
    address = from_bcd(body[1:7])
    if address is None:
        return None
    return f"{address:012d}", body[8], bytes((b - 0x33) % 256 for b in body[10:-2])


# --------------------------------------------------------------------------- CJ/T 188


class WaterMeter:
    """Cumulative volume from an hourly flow curve (litres per hour at multiplier 1); valve stops flow."""

    def __init__(self, meter_id: str, profile: LoadProfile, *, time_scale: float = 1.0,
                 initial_l: int = 0, clock: Clock = time.monotonic, start_second_of_day: float = 0.0) -> None:
        self.meter_id = meter_id
        self.profile = profile
        self.time_scale = time_scale
        self.valve_closed = False
        self._clock = clock
        self._origin = clock()
        self._start_s = start_second_of_day
        self._done_s = 0.0
        self._volume_l = Fraction(initial_l)

    def advance(self) -> None:
        now_s = max(0.0, (self._clock() - self._origin) * self.time_scale)
        if now_s > self._done_s and not self.valve_closed:
            self._volume_l += self._flow_between(self._done_s, now_s)
        self._done_s = max(self._done_s, now_s)

    def _flow_between(self, from_s: float, to_s: float) -> Fraction:
        litres, at = Fraction(0), from_s
        while at < to_s:
            hour_end = (math.floor((self._start_s + at) / 3600) + 1) * 3600 - self._start_s
            step_end = min(to_s, hour_end)
            rate = self.profile.power_w_in_hour(int((self._start_s + at) // 3600))
            litres += Fraction(round(rate * 1000), 3_600_000) * (Fraction(step_end) - Fraction(at))
            at = step_end
        return litres

    @property
    def volume_l(self) -> int:
        self.advance()
        return math.floor(self._volume_l)

    def set_valve(self, closed: bool) -> None:
        self.advance()
        self.valve_closed = closed


CJT_READ, CJT_WRITE = 0x01, 0x04
CJT_DI_READ, CJT_DI_VALVE = b"\x90\x1f", b"\xa0\x17"
CJT_UNIT_CENTI_M3 = 0x2C


class Cjt188WaterMeter(FaultyDevice):
    """A CJ/T 188 cold-water meter with a motorised valve (type 0x10, 14-digit address)."""

    meter_type = 0x10

    def __init__(self, address: str, meter: WaterMeter, clock_text: str = "20261121000000") -> None:
        if len(address) != 14 or not address.isdigit():
            raise ValueError(f"CJ/T 188 address must be 14 digits, got {address!r}")
        self.address = address
        self.meter = meter
        self.clock_text = clock_text
        self.battery_low = False

    @property
    def meter_id(self) -> str:
        return self.meter.meter_id

    def answer(self, frame: bytes) -> bytes | None:
        parsed = parse_cjt188(frame)
        if parsed is None or self.dead:
            return None
        meter_type, address, control, data = parsed
        if address not in (self.address, "99999999999999") or meter_type not in (self.meter_type, 0xAA):
            return None
        reply = self._reply(control, data)
        return self.noise(reply) if self.garbage else reply

    def _reply(self, control: int, data: bytes) -> bytes:
        if control == CJT_READ and data[:2] == CJT_DI_READ and len(data) == 3:
            centi_m3 = self.meter.volume_l // 10
            volume = to_bcd(centi_m3, 4) + bytes([CJT_UNIT_CENTI_M3])
            clock = to_bcd(int(self.clock_text), 7)
            return self._frame(0x81, data[:3] + volume + volume + clock + self.status())
        if control == CJT_WRITE and data[:2] == CJT_DI_VALVE and len(data) == 4 and data[3] in (0x55, 0x99):
            self.meter.set_valve(closed=data[3] == 0x99)
            return self._frame(0x84, data[:3] + self.status())
        return self._frame(0xC0 | control, data[2:3] + self.status())

    def status(self) -> bytes:
        return bytes([(0x01 if self.meter.valve_closed else 0x00) | (0x04 if self.battery_low else 0), 0])

    def _frame(self, control: int, data: bytes) -> bytes:
        return cjt188_frame(self.meter_type, self.address, control, data)


def cjt188_frame(meter_type: int, address: str, control: int, data: bytes) -> bytes:
    body = bytes([START, meter_type]) + to_bcd(int(address), 7) + bytes([control, len(data)]) + data
    return b"\xfe\xfe" + body + bytes([line_sum(body), END])


def parse_cjt188(frame: bytes) -> tuple[int, str, int, bytes] | None:
    body = frame.lstrip(b"\xfe")
    if len(body) < 13 or body[0] != START or len(body) != 13 + body[10]:
        return None
    if body[-1] != END or line_sum(body[:-2]) != body[-2]:
        return None
    address = from_bcd(body[2:9])
    if address is None:
        return None
    return body[1], f"{address:014d}", body[9], bytes(body[11:-2])


# --------------------------------------------------------------------------- the line


@dataclass(frozen=True)
class LineTiming:
    """RS-485 timing of a serial bus (DL/T 645 meters default to 2400 baud, 8E1 = 11 bits)."""

    baud: int = 2400
    bits_per_byte: int = 11
    turnaround_s: float = 0.02
    enabled: bool = True

    def bytes_s(self, count: int) -> float:
        return count * self.bits_per_byte / self.baud


def take_frame(buffer: bytes) -> tuple[bytes | None, bytes]:
    """Cut one whole DL/T 645 or CJ/T 188 frame off the front of what arrived; drop noise before it."""
    start = buffer.find(bytes([START]))
    if start < 0:
        return None, b""
    body = buffer[start:]
    for header, length_at in ((12, 9), (13, 10)):  # DL/T 645: 68 A*6 68 C L; CJ/T 188: 68 T A*7 C L
        if len(body) > length_at:
            size = header + body[length_at]
            candidate = body[:size]
            if len(candidate) == size and candidate[-1] == END and line_sum(candidate[:-2]) == candidate[-2]:
                return candidate, body[size:]
    if len(body) >= 13 + 255:  # no length can still complete: skip this 0x68
        return None, body[1:]
    return None, buffer[start:]
