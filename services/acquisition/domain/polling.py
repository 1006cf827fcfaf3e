"""One gateway's poll cycle turned into readings, meter poll states and status events; no I/O.

The poll state of a gateway and its meters (online, missed polls, relay, counter offsets)
changes only through a LockedGateway: the repository hands one out with the gateway's row
locked for the transaction and the meters' state as stored at that moment, so a poll
chunk, a command's read-back and a DTU dialling in never compute from a stale copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from services.acquisition.domain import counters, status
from services.acquisition.domain.events import DeviceStatusChanged, DeviceType, MeterRead, ReadingSource
from services.acquisition.domain.registry import Gateway, Meter
from services.acquisition.domain.samples import COUNTER_MODULUS, ENERGY_COUNTERS, RelayState, Sample


@dataclass(frozen=True, slots=True)
class MeterPollState:
    """What acquisition keeps of a meter between polls."""

    meter_id: str
    online: bool
    missed_polls: int
    relay_state: RelayState
    last_read_at: datetime | None
    last_total_wh: int | None
    last_volume_l: int | None
    last_power_w: int | None
    counters: counters.CounterState


@dataclass(frozen=True, slots=True)
class LockedGateway:
    """A gateway whose row this transaction holds, with the stored poll state of the meters asked for."""

    gateway_id: str
    online: bool
    meters: Mapping[str, MeterPollState]


@dataclass(frozen=True, slots=True)
class Taken:
    """A sample of one meter at one time: polled now, or replayed from a gateway's buffer."""

    meter: Meter
    sample: Sample
    read_at: datetime
    source: ReadingSource


@dataclass
class GatewayCycle:
    """What one pass over a gateway's bus (or part of it) brought back."""

    gateway: Gateway
    link_up: bool
    link_detail: str = ""
    taken: list[Taken] = field(default_factory=list)
    missed: list[tuple[Meter, str]] = field(default_factory=list)

    def meter_ids(self) -> list[str]:
        return list({t.meter.meter_id: None for t in self.taken} | {m.meter_id: None for m, _ in self.missed})


@dataclass(frozen=True)
class CycleRecord:
    """What to store and publish for a cycle."""

    gateway_online: bool
    readings: list[MeterRead]
    meter_states: list[MeterPollState]
    status_events: list[DeviceStatusChanged]


def record_cycle(locked: LockedGateway, cycle: GatewayCycle, at: datetime, offline_after: int) -> CycleRecord:
    """The readings, new meter states and status transitions of a cycle, from the state as locked."""
    builder = _CycleBuilder(locked, at, offline_after)
    builder.build(cycle)
    return CycleRecord(cycle.link_up, builder.readings, builder.states, builder.events)


def gateway_status(gateway_id: str, link_up: bool, at: datetime, detail: str) -> DeviceStatusChanged:
    return DeviceStatusChanged(gateway_id, DeviceType.GATEWAY, link_up, RelayState.UNSPECIFIED, at, detail)


class _CycleBuilder:
    """Accumulates a cycle's rows and events; one meter's samples are taken oldest first."""

    def __init__(self, locked: LockedGateway, at: datetime, offline_after: int) -> None:
        self.locked, self.at, self.offline_after = locked, at, offline_after
        self.readings: list[MeterRead] = []
        self.states: list[MeterPollState] = []
        self.events: list[DeviceStatusChanged] = []

    def build(self, cycle: GatewayCycle) -> None:
        if status.gateway_transition(self.locked.online, cycle.link_up):
            detail = cycle.link_detail or ("链路恢复 link restored" if cycle.link_up else "链路断开")
            self.events.append(gateway_status(self.locked.gateway_id, cycle.link_up, self.at, detail))
        by_meter: dict[str, list[Taken]] = {}
        for taken in cycle.taken:
            by_meter.setdefault(taken.meter.meter_id, []).append(taken)
        for samples in by_meter.values():
            self._meter_samples(sorted(samples, key=lambda t: t.read_at))
        for meter, detail in cycle.missed:
            self._missed(self.locked.meters[meter.meter_id], detail)

    def _meter_samples(self, samples: list[Taken]) -> None:
        meter = samples[0].meter
        before = self.locked.meters[meter.meter_id]
        state, last_at, latest, latest_values = before.counters, before.last_read_at, None, {}
        for taken in samples:
            raw = taken.sample.counters()
            if last_at is not None and taken.read_at <= last_at:
                values = _scaled(counters.normalise_earlier(raw, state), meter.ct_ratio)
            else:
                result = counters.normalise(raw, state, COUNTER_MODULUS[meter.protocol])
                values = latest_values = _scaled(result.values, meter.ct_ratio)
                state, last_at, latest = result.state, taken.read_at, taken
                for name, what in result.events:
                    if what == counters.RESET:
                        self._meter_status(meter.meter_id, True, taken.sample.relay_state, f"{name}: {what}")
            self._reading(taken, values)
        if latest is not None:
            self._answered(before, latest, state, latest_values)

    def _reading(self, taken: Taken, values: dict[str, int]) -> None:
        meter, sample = taken.meter, taken.sample
        self.readings.append(MeterRead(
            meter_id=meter.meter_id, gateway_id=meter.gateway_id, kind=meter.kind, read_at=taken.read_at,
            source=taken.source, **values, voltage_dv=sample.voltage_dv, current_ca=sample.current_ca,
            power_w=sample.power_w * (meter.ct_ratio or 1), power_factor_milli=sample.power_factor_milli,
            relay_state=sample.relay_state, power_guarantee=sample.power_guarantee,
            has_band_registers=sample.has_band_registers))

    def _answered(self, before: MeterPollState, latest: Taken, state: counters.CounterState,
                  values: dict[str, int]) -> None:
        verdict = status.after_answer(status.PollState(before.online, before.missed_polls))
        relay_state = latest.sample.relay_state
        if verdict.changed or before.relay_state != relay_state:
            self._meter_status(before.meter_id, True, relay_state,
                               "恢复在线 back online" if verdict.changed else "relay state changed")
        self.states.append(MeterPollState(
            meter_id=before.meter_id, online=True, missed_polls=0, relay_state=relay_state,
            last_read_at=latest.read_at, last_total_wh=values["total_wh"], last_volume_l=values["volume_l"],
            last_power_w=latest.sample.power_w * (latest.meter.ct_ratio or 1), counters=state))

    def _missed(self, before: MeterPollState, detail: str) -> None:
        verdict = status.after_missed_poll(status.PollState(before.online, before.missed_polls), self.offline_after)
        if verdict.changed:
            self._meter_status(before.meter_id, False, before.relay_state,
                               f"失联 offline after {verdict.state.missed_polls} missed polls: {detail}")
        self.states.append(MeterPollState(
            meter_id=before.meter_id, online=verdict.state.online, missed_polls=verdict.state.missed_polls,
            relay_state=before.relay_state, last_read_at=before.last_read_at, last_total_wh=before.last_total_wh,
            last_volume_l=before.last_volume_l, last_power_w=before.last_power_w, counters=before.counters))

    def _meter_status(self, meter_id: str, online: bool, relay_state: RelayState, detail: str) -> None:
        self.events.append(DeviceStatusChanged(meter_id, DeviceType.METER, online, relay_state, self.at, detail))


def _scaled(values: dict[str, int], ct_ratio: int) -> dict[str, int]:
    """A CT-connected meter counts secondary energy: primary = secondary x ratio (water is never scaled)."""
    ratio = ct_ratio or 1
    return {name: value * ratio if name in ENERGY_COUNTERS else value for name, value in values.items()}
