"""One meter's registers at one instant, whatever protocol brought them, in integer units.

Electricity in Wh (bands: 尖 sharp, 峰 peak, 平 flat, 谷 valley, 深谷 deep valley), water in
litres; `supply_cut` is the relay open (拉闸) or the valve closed (关阀).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum

from services.acquisition.domain import cjt188, dlt645
from services.acquisition.domain.registers import RegisterSnapshot
from services.acquisition.domain.registry import MeterProtocol

ENERGY_COUNTERS = ("total_wh", "sharp_wh", "peak_wh", "flat_wh", "valley_wh", "deep_valley_wh", "reverse_wh")
COUNTERS = (*ENERGY_COUNTERS, "volume_l")

# Where each protocol's cumulative counters roll over, in the sample's units (Wh or litres).
COUNTER_MODULUS = {
    MeterProtocol.MODBUS: 2**32,
    MeterProtocol.DLT645: dlt645.ENERGY_MODULUS_CENTI_KWH * dlt645.WH_PER_CENTI_KWH,
    MeterProtocol.CJT188: cjt188.VOLUME_MODULUS * 10,
}


class RelayState(IntEnum):
    """A meter's supply switch (relay or valve); mirrors meterpay.v1.RelayState."""

    UNSPECIFIED = 0   # never read yet
    CLOSED = 1        # supply on
    OPEN = 2          # supply cut (tripped / valve closed)


@dataclass(frozen=True)
class Sample:
    total_wh: int = 0
    sharp_wh: int = 0
    peak_wh: int = 0
    flat_wh: int = 0
    valley_wh: int = 0
    deep_valley_wh: int = 0
    reverse_wh: int = 0
    volume_l: int = 0
    voltage_dv: int = 0
    current_ca: int = 0
    power_w: int = 0
    power_factor_milli: int = 0
    supply_cut: bool = False
    power_guarantee: bool = False
    has_band_registers: bool = False
    status_flags: int = 0

    @property
    def relay_state(self) -> RelayState:
        return RelayState.OPEN if self.supply_cut else RelayState.CLOSED

    def counters(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTERS}

    def with_counters(self, values: dict[str, int]) -> Sample:
        return replace(self, **values)


def from_modbus(snapshot: RegisterSnapshot) -> Sample:
    return Sample(
        total_wh=snapshot.total_wh, sharp_wh=snapshot.sharp_wh, peak_wh=snapshot.peak_wh,
        flat_wh=snapshot.flat_wh, valley_wh=snapshot.valley_wh, deep_valley_wh=snapshot.deep_valley_wh,
        reverse_wh=snapshot.reverse_wh, voltage_dv=snapshot.voltage_dv, current_ca=snapshot.current_ca,
        power_w=snapshot.power_w, power_factor_milli=snapshot.power_factor_milli,
        supply_cut=snapshot.relay_open, power_guarantee=snapshot.power_guarantee, has_band_registers=True)


def from_dlt645(energy: dlt645.EnergyBlock, power_deciw: int, status_word_3: int) -> Sample:
    """Combined-active block, total active power (0.1 W) and status word 3 of one poll."""
    return Sample(
        total_wh=energy.total_wh, sharp_wh=energy.sharp_wh, peak_wh=energy.peak_wh, flat_wh=energy.flat_wh,
        valley_wh=energy.valley_wh, deep_valley_wh=energy.deep_valley_wh, power_w=round(power_deciw / 10),
        supply_cut=bool(status_word_3 & dlt645.STATUS3_RELAY_OPEN),
        power_guarantee=bool(status_word_3 & dlt645.STATUS3_GUARANTEE),
        has_band_registers=True, status_flags=status_word_3)


def from_cjt188(reading: cjt188.WaterReading) -> Sample:
    return Sample(volume_l=reading.volume_l, supply_cut=reading.valve_closed, status_flags=reading.status)
