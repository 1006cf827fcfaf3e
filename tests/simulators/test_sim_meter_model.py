"""The meter model on a fake clock: energy, bands, relay, guarantee, anti-tamper, rollover."""

from __future__ import annotations

from datetime import datetime

import pytest
from sim_helpers import EVENING_START, FakeClock

from simulators.meter import (
    REGISTER_WRAP,
    Band,
    ControlCode,
    LoadProfile,
    Reg,
    SimulatedMeter,
    TouSchedule,
    UnknownControlCode,
    decode_i32,
    decode_u32,
)

HOUR_S = 3600.0


def make_meter(clock: FakeClock, base_power_w: float = 1000.0, start: datetime = EVENING_START, **options):
    profile = LoadProfile.of_kind("constant", base_power_w)
    return SimulatedMeter(1, "M-0001", profile, clock=clock, start_local=start, **options)


def band_registers(meter: SimulatedMeter) -> dict[Band, int]:
    return {band: meter.band_wh(band) for band in Band}


class TestTouSchedule:
    def test_default_day_has_the_documented_bands(self):
        schedule = TouSchedule.default()
        hours = {band: 0 for band in Band}
        for minute in range(0, 1440, 60):
            hours[schedule.band_at(minute * 60)] += 1
        assert hours == {Band.SHARP: 2, Band.PEAK: 5, Band.FLAT: 9, Band.VALLEY: 8, Band.DEEP_VALLEY: 0}

    def test_overlapping_periods_are_rejected(self):
        with pytest.raises(ValueError, match="overlap"):
            TouSchedule.from_periods({Band.PEAK: [(600, 700)], Band.SHARP: [(650, 720)]})

    def test_next_change_counts_across_midnight(self):
        schedule = TouSchedule.default()
        assert schedule.minutes_to_next_change(23 * 60) == 8 * 60  # valley 23:00 -> 07:00


class TestEnergy:
    def test_energy_integrates_power_over_scaled_time(self):
        clock = FakeClock()
        meter = make_meter(clock, time_scale=60.0, initial_total_wh=500)
        clock.advance(30.0)  # 30 real seconds x 60 = half an hour at 1 kW
        assert meter.total_wh == 1000

    def test_a_day_splits_into_bands_that_sum_to_the_total(self):
        clock = FakeClock()
        meter = make_meter(clock, start=datetime(2024, 6, 3, 0, 0))
        clock.advance(24 * HOUR_S)
        bands = band_registers(meter)
        assert bands == {Band.SHARP: 2000, Band.PEAK: 5000, Band.FLAT: 9000, Band.VALLEY: 8000,
                         Band.DEEP_VALLEY: 0}
        assert sum(bands.values()) == meter.total_wh == 24000

    def test_a_read_spanning_a_band_change_splits_the_energy(self):
        clock = FakeClock()
        meter = make_meter(clock)  # 18:30: half an hour of peak, then sharp
        clock.advance(HOUR_S)
        assert band_registers(meter)[Band.PEAK] == 500
        assert band_registers(meter)[Band.SHARP] == 500

    def test_many_small_reads_lose_nothing_to_rounding(self):
        clock, reference_clock = FakeClock(), FakeClock()
        polled = make_meter(clock, base_power_w=997.0)
        unpolled = make_meter(reference_clock, base_power_w=997.0)
        for _ in range(3600):
            clock.advance(0.7)
            polled.holding_registers()  # each read advances by ~0.19 Wh
        reference_clock.advance(3600 * 0.7)
        assert polled.total_wh == unpolled.total_wh == 697  # floor(997 W x 0.7 h)
        assert polled.exact_total_wh == pytest.approx(997 * 0.7)

    def test_load_curve_follows_the_hour_of_day(self):
        office = LoadProfile.of_kind("office", 2000)
        assert office.power_w_in_hour(3) < office.power_w_in_hour(10) == 2000

    def test_energy_never_runs_backwards_when_the_clock_does(self):
        clock = FakeClock()
        meter = make_meter(clock)
        clock.advance(HOUR_S)
        before = meter.total_wh
        clock.advance(-HOUR_S / 2)
        assert meter.total_wh == before

    def test_counters_roll_over_at_32_bits(self):
        clock = FakeClock()
        meter = make_meter(clock, initial_total_wh=REGISTER_WRAP - 100)
        clock.advance(HOUR_S)
        assert meter.total_wh == 900
        assert decode_u32(meter.holding_registers(), Reg.TOTAL_WH) == 900


class TestRelayAndGuarantee:
    def test_trip_stops_power_and_energy(self):
        clock = FakeClock()
        meter = make_meter(clock)
        clock.advance(HOUR_S)
        meter.apply_control(ControlCode.TRIP)
        clock.advance(HOUR_S)
        assert meter.relay_open
        assert meter.total_wh == 1000
        assert meter.power_w == 0

    def test_close_resumes_energy(self):
        clock = FakeClock()
        meter = make_meter(clock)
        meter.apply_control(ControlCode.TRIP)
        clock.advance(HOUR_S)
        meter.apply_control(ControlCode.CLOSE)
        clock.advance(HOUR_S)
        assert not meter.relay_open
        assert meter.total_wh == 1000

    def test_guarantee_ignores_trip(self):
        meter = make_meter(FakeClock())
        meter.apply_control(ControlCode.GUARANTEE_ON)
        meter.apply_control(ControlCode.TRIP)
        assert not meter.relay_open
        meter.apply_control(ControlCode.GUARANTEE_OFF)
        meter.apply_control(ControlCode.TRIP)
        assert meter.relay_open

    def test_guarantee_on_closes_a_tripped_relay(self):
        meter = make_meter(FakeClock())
        meter.apply_control(ControlCode.TRIP)
        meter.apply_control(ControlCode.GUARANTEE_ON)
        assert not meter.relay_open and meter.guarantee

    def test_unknown_control_code_is_refused(self):
        with pytest.raises(UnknownControlCode):
            make_meter(FakeClock()).apply_control(0x0099)


class TestRegisters:
    def test_reversed_wiring_counts_as_consumption(self):
        clock = FakeClock()
        meter = make_meter(clock, reversed_wiring=True)
        clock.advance(HOUR_S)
        registers = meter.holding_registers()
        assert decode_u32(registers, Reg.TOTAL_WH) == 1000
        assert decode_u32(registers, Reg.REVERSE_WH) == 1000
        assert decode_i32(registers, Reg.ACTIVE_POWER_W) == -1000

    def test_electrical_values_are_plausible(self):
        registers = make_meter(FakeClock()).holding_registers()
        voltage_v = registers[Reg.VOLTAGE_DV] / 10
        power_factor = registers[Reg.POWER_FACTOR_MILLI] / 1000
        current_a = registers[Reg.CURRENT_CA] / 100
        assert 215 <= voltage_v <= 225
        assert power_factor == 0.9
        assert current_a == pytest.approx(1000 / (voltage_v * power_factor), abs=0.01)
