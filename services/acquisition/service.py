"""Use cases of the acquisition service: registry, gateway poll cycles, statuses, field commands."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from services.acquisition import devices
from services.acquisition.domain import commands, counters, status
from services.acquisition.domain.samples import COUNTER_MODULUS, COUNTERS, Sample
from services.acquisition.domain.sheet import Commissioning
from services.acquisition.fieldbus import FieldBus, FieldError
from services.acquisition.repository import AcquisitionRepository, GatewayRow, MeterRow, month_of, next_month
from services.contracts.meterpay.v1 import common_pb2, control_pb2, device_pb2, readings_pb2
from services.kit import messaging
from services.kit.db import UnitOfWork
from services.kit.messaging import timestamp

GATEWAY_TRANSPORTS = (devices.TRANSPORT_MODBUS, devices.TRANSPORT_TRANSPARENT, devices.TRANSPORT_DTU)
METER_PROTOCOLS = {devices.TRANSPORT_MODBUS: ("modbus",), devices.TRANSPORT_TRANSPARENT: ("dlt645", "cjt188"),
                   devices.TRANSPORT_DTU: ("dlt645", "cjt188")}
ADDRESS_DIGITS = {"dlt645": 12, "cjt188": 14}
ENERGY_COUNTERS = tuple(name for name in COUNTERS if name.endswith("_wh"))


class AcquisitionUnitOfWork(UnitOfWork):
    repo: AcquisitionRepository

    def attach_repositories(self, session) -> None:
        self.repo = AcquisitionRepository(session)


NewUow = Callable[[], AcquisitionUnitOfWork]


class UnknownGateway(ValueError):
    pass


def relay_state_of(sample: Sample) -> int:
    return common_pb2.RELAY_STATE_OPEN if sample.supply_cut else common_pb2.RELAY_STATE_CLOSED


# --------------------------------------------------------------------------- registry


async def register_gateway(uow: AcquisitionUnitOfWork, gateway_id: str, host: str, port: int,
                           protocol: str, poll_interval_s: int | None, project_id: str | None = None) -> bool:
    """Add or update a gateway in the registry; True when it is new. A DTU needs no host or port."""
    transport = protocol or devices.TRANSPORT_MODBUS
    if transport not in GATEWAY_TRANSPORTS:
        raise ValueError(f"gateway transport {transport!r} is not one of {', '.join(GATEWAY_TRANSPORTS)}")
    if not gateway_id or (transport != devices.TRANSPORT_DTU and (not host or not 0 < port < 65536)):
        raise ValueError("a gateway needs an id, a host and a port in 1..65535 (a DTU only an id)")
    async with uow:
        if project_id:
            await uow.repo.upsert_project(project_id, None)
        created = await uow.repo.upsert_gateway(gateway_id, host, port, transport, poll_interval_s, project_id)
        await uow.commit()
    return created


async def set_project_interval(uow: AcquisitionUnitOfWork, project_id: str, poll_interval_s: int) -> None:
    """F-01: a project's own reading interval (default 30 minutes)."""
    if not project_id or not 60 <= poll_interval_s <= 86_400:
        raise ValueError("a project interval is 60..86400 seconds")
    async with uow:
        await uow.repo.upsert_project(project_id, poll_interval_s)
        await uow.commit()


@dataclass(frozen=True)
class MeterRegistration:
    meter_id: str
    gateway_id: str
    device_id: int
    kind: int = common_pb2.METER_KIND_ELECTRICITY
    ct_ratio: int = 1
    protocol: str = "modbus"
    address: str = ""
    bus: int = 1


def check_meter(meter: MeterRegistration, transport: str) -> None:
    if not meter.meter_id or not 1 <= meter.device_id <= 247:
        raise ValueError("a meter needs an id and a device id in 1..247")
    if meter.protocol not in METER_PROTOCOLS[transport]:
        raise ValueError(f"a {meter.protocol} meter cannot sit behind a {transport} gateway")
    digits = ADDRESS_DIGITS.get(meter.protocol)
    if digits and (len(meter.address) != digits or not meter.address.isdigit()):
        raise ValueError(f"a {meter.protocol} address is {digits} digits, got {meter.address!r}")


async def register_meter(uow: AcquisitionUnitOfWork, meter: MeterRegistration) -> bool:
    """Add or update a meter behind a gateway; True when it is new."""
    async with uow:
        gateway = await uow.repo.gateway(meter.gateway_id)
        if gateway is None:
            raise UnknownGateway(f"unknown gateway {meter.gateway_id!r}")
        check_meter(meter, gateway.protocol)
        created = await uow.repo.upsert_meter(
            meter.meter_id, meter.gateway_id, meter.device_id, meter.kind or common_pb2.METER_KIND_ELECTRICITY,
            meter.ct_ratio or 1, meter.protocol, meter.address, meter.bus or 1)
        await uow.commit()
    return created


@dataclass(frozen=True)
class ImportSummary:
    gateways: int
    meters_created: int
    meters_updated: int


async def import_commissioning(uow: AcquisitionUnitOfWork, sheet: Commissioning) -> ImportSummary:
    """Write a checked sheet in one transaction: all of it or (on any error) none of it."""
    async with uow:
        for project_id in {g.project_id for g in sheet.gateways if g.project_id}:
            await uow.repo.upsert_project(project_id, None)
        for g in sheet.gateways:
            await uow.repo.upsert_gateway(g.gateway_id, g.host, g.port, g.transport, None, g.project_id)
        created = await uow.repo.upsert_meters([
            dict(meter_id=m.meter_id, gateway_id=m.gateway_id, device_id=m.device_id, kind=m.kind,
                 ct_ratio=m.ct_ratio, protocol=m.protocol, address=m.address, bus=m.bus) for m in sheet.meters])
        await uow.commit()
    return ImportSummary(len(sheet.gateways), created, len(sheet.meters) - created)


# --------------------------------------------------------------------------- one gateway's poll cycle


@dataclass(frozen=True)
class Taken:
    """A sample of one meter at one time: polled now, or replayed from a gateway's buffer."""

    meter: MeterRow
    sample: Sample
    read_at: datetime
    source: int


@dataclass
class GatewayCycle:
    gateway: GatewayRow
    link_up: bool
    link_detail: str = ""
    taken: list[Taken] = field(default_factory=list)
    missed: list[tuple[MeterRow, str]] = field(default_factory=list)

    @property
    def skipped(self) -> bool:
        return not self.link_up


@dataclass
class CycleOutcome:
    stored: int = 0
    duplicates: int = 0
    events: int = 0


async def record_gateway_cycle(uow: AcquisitionUnitOfWork, cycle: GatewayCycle, at: datetime,
                               offline_after: int, known_partitions: set[date]) -> CycleOutcome:
    """Store one gateway's cycle in one transaction: readings, meter states, status transitions, events."""
    builder = _CycleBuilder(cycle, at, offline_after)
    builder.build()
    async with uow:
        months = {month_of(row["read_at"]) for row in builder.reading_rows} - known_partitions
        if months:
            await uow.repo.ensure_partitions(months)
        inserted = await uow.repo.add_readings(builder.reading_rows)
        events = [(messaging.METER_READINGS, key[0], message)
                  for key, message in builder.reading_messages if key in inserted] + builder.status_events
        await uow.repo.update_meter_states(builder.meter_updates)
        await uow.repo.update_gateway(cycle.gateway.gateway_id, online=cycle.link_up,
                                      **({"last_polled_at": at} if cycle.link_up else {}))
        await uow.emit_many(events)
        await uow.commit()
    known_partitions.update(months)
    return CycleOutcome(len(inserted), len(builder.reading_rows) - len(inserted), len(events))


class _CycleBuilder:
    """Turns a cycle into rows and events (no I/O); one meter's samples are taken oldest first."""

    def __init__(self, cycle: GatewayCycle, at: datetime, offline_after: int) -> None:
        self.cycle, self.at, self.offline_after = cycle, at, offline_after
        self.reading_rows: list[dict] = []
        self.reading_messages: list[tuple[tuple[str, datetime], readings_pb2.MeterReading]] = []
        self.meter_updates: list[dict] = []
        self.status_events: list[tuple[str, str, device_pb2.DeviceStatus]] = []

    def build(self) -> None:
        gateway = self.cycle.gateway
        if status.gateway_transition(gateway.online, self.cycle.link_up):
            self._status(gateway.gateway_id, device_pb2.DEVICE_TYPE_GATEWAY, self.cycle.link_up, 0,
                         self.cycle.link_detail or ("链路恢复 link restored" if self.cycle.link_up else "链路断开"))
        by_meter: dict[str, list[Taken]] = {}
        for taken in self.cycle.taken:
            by_meter.setdefault(taken.meter.meter_id, []).append(taken)
        for samples in by_meter.values():
            self._meter_samples(sorted(samples, key=lambda t: t.read_at))
        for meter, detail in self.cycle.missed:
            self._missed(meter, detail)

    def _meter_samples(self, samples: list[Taken]) -> None:
        meter = samples[0].meter
        state, last_at, latest, latest_values = meter.counters(), meter.last_read_at, None, {}
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
                        self._status(meter.meter_id, device_pb2.DEVICE_TYPE_METER, True,
                                     relay_state_of(taken.sample), f"{name}: {what}")
            self._reading(taken, values)
        if latest is not None:
            self._answered(meter, latest, state, latest_values)

    def _reading(self, taken: Taken, values: dict[str, int]) -> None:
        meter, sample = taken.meter, taken.sample
        relay_state = relay_state_of(sample)
        power_w = sample.power_w * (meter.ct_ratio or 1)
        self.reading_rows.append(dict(
            meter_id=meter.meter_id, read_at=taken.read_at, **values, voltage_dv=sample.voltage_dv,
            current_ca=sample.current_ca, power_w=power_w, power_factor_milli=sample.power_factor_milli,
            relay_state=relay_state, source=taken.source))
        self.reading_messages.append(((meter.meter_id, taken.read_at), readings_pb2.MeterReading(
            meter_id=meter.meter_id, read_at=timestamp(taken.read_at), kind=meter.kind, **values,
            has_band_registers=sample.has_band_registers, voltage_dv=sample.voltage_dv,
            current_ca=sample.current_ca, power_w=power_w, power_factor_milli=sample.power_factor_milli,
            relay_state=relay_state, source=taken.source, gateway_id=meter.gateway_id,
            power_guarantee=sample.power_guarantee)))

    def _answered(self, meter: MeterRow, latest: Taken, state: counters.CounterState,
                  values: dict[str, int]) -> None:
        verdict = status.after_answer(status.PollState(meter.online, meter.missed_polls))
        relay_state = relay_state_of(latest.sample)
        if verdict.changed or meter.relay_state != relay_state:
            self._status(meter.meter_id, device_pb2.DEVICE_TYPE_METER, True, relay_state,
                         "恢复在线 back online" if verdict.changed else "relay state changed")
        self._update(meter, online=True, missed_polls=0, relay_state=relay_state, last_read_at=latest.read_at,
                     last_total_wh=values["total_wh"], last_volume_l=values["volume_l"],
                     last_power_w=latest.sample.power_w * (meter.ct_ratio or 1),
                     counter_state={"raw": state.last_raw, "offsets": state.offsets})

    def _missed(self, meter: MeterRow, detail: str) -> None:
        verdict = status.after_missed_poll(status.PollState(meter.online, meter.missed_polls), self.offline_after)
        if verdict.changed:
            self._status(meter.meter_id, device_pb2.DEVICE_TYPE_METER, False, meter.relay_state,
                         f"失联 offline after {verdict.state.missed_polls} missed polls: {detail}")
        self._update(meter, online=verdict.state.online, missed_polls=verdict.state.missed_polls,
                     relay_state=meter.relay_state, last_read_at=meter.last_read_at,
                     last_total_wh=meter.last_total_wh, last_volume_l=meter.last_volume_l,
                     last_power_w=meter.last_power_w, counter_state=_state_json(meter.counters()))

    def _update(self, meter: MeterRow, **values: object) -> None:
        self.meter_updates.append(dict(meter_id=meter.meter_id, **values))

    def _status(self, device_id: str, device_type: int, online: bool, relay_state: int, detail: str) -> None:
        self.status_events.append((messaging.DEVICE_STATUS, device_id, device_pb2.DeviceStatus(
            device_id=device_id, device_type=device_type, online=online, relay_state=relay_state,
            changed_at=timestamp(self.at), detail=detail[:500])))


def _scaled(values: dict[str, int], ct_ratio: int) -> dict[str, int]:
    """A CT-connected meter counts secondary energy: primary = secondary x ratio (water is never scaled)."""
    ratio = ct_ratio or 1
    return {name: value * ratio if name in ENERGY_COUNTERS else value for name, value in values.items()}


def _state_json(state: counters.CounterState) -> dict:
    return {"raw": state.last_raw, "offsets": state.offsets}


# --------------------------------------------------------------------------- field commands


async def execute_field_command(new_uow: NewUow, bus: FieldBus, now: Callable[[], datetime],
                                command: control_pb2.ControlCommand, offline_after: int = 3,
                                known_partitions: set[date] | None = None) -> bool:
    """Write the command to the meter over its link, read the state back, report the outcome once."""
    received_at = now()
    async with new_uow() as uow:
        if await uow.repo.field_command_seen(command.command_id, command.attempt):
            return False
        meter = await uow.repo.meter(command.meter_id)
        gateway = await uow.repo.gateway(meter.gateway_id) if meter else None
    outcome, relay_state, detail, sample = control_pb2.CONTROL_OUTCOME_FAILED, 0, "", None
    if meter is None or gateway is None:
        detail = f"未知表计 unknown meter {command.meter_id!r}"
    else:
        try:
            sample, write_detail = await devices.execute_command(
                devices.link_for(bus, gateway), meter, command.action, _settings_of(command))
            confirmed, detail = commands.confirm(command.action, sample)
            detail = f"{write_detail}; {detail}"
            relay_state = relay_state_of(sample)
            outcome = control_pb2.CONTROL_OUTCOME_CONFIRMED if confirmed else outcome
        except (FieldError, ValueError) as exc:
            detail = str(exc)
    completed_at = now()
    if sample is not None:
        cycle = GatewayCycle(gateway, True, taken=[Taken(meter, sample, completed_at,
                                                         readings_pb2.READING_SOURCE_READ_NOW)])
        await record_gateway_cycle(new_uow(), cycle, completed_at, offline_after,
                                   known_partitions if known_partitions is not None else set())
    result = control_pb2.ControlResult(
        command_id=command.command_id, meter_id=command.meter_id, outcome=outcome, relay_state=relay_state,
        detail=detail, completed_at=timestamp(completed_at), attempt=command.attempt)
    return await record_command_result(new_uow(), command, result, received_at)


def _settings_of(command: control_pb2.ControlCommand) -> commands.SettingValues | None:
    if command.action == commands.ACTION_PRICE_PUSH:
        return commands.price_setting(command.settings.price_yuan)
    if command.action == commands.ACTION_THRESHOLD_PUSH:
        s = command.settings
        return commands.threshold_setting(s.alarm1_fen, s.alarm2_fen, s.overload_w)
    return None


async def record_command_result(uow: AcquisitionUnitOfWork, command: control_pb2.ControlCommand,
                                result: control_pb2.ControlResult, received_at: datetime) -> bool:
    """Keep what the device answered to a command and report it; a redelivered command is a no-op."""
    async with uow:
        stored = await uow.repo.add_field_command(dict(
            command_id=command.command_id, attempt=command.attempt, meter_id=command.meter_id,
            action=command.action, outcome=result.outcome, relay_state=result.relay_state,
            detail=result.detail[:500], received_at=received_at,
            completed_at=result.completed_at.ToDatetime().replace(tzinfo=received_at.tzinfo)))
        if not stored:
            return False
        await uow.emit(messaging.CONTROL_RESULTS, command.meter_id, result)
        await uow.commit()
    return True


async def record_link_change(uow: AcquisitionUnitOfWork, gateway_id: str, link_up: bool, at: datetime,
                             detail: str) -> bool:
    """A DTU dialled in or dropped: publish the gateway's transition (once)."""
    async with uow:
        gateway = await uow.repo.gateway(gateway_id)
        if gateway is None or gateway.online == link_up:
            return False
        await uow.repo.update_gateway(gateway_id, online=link_up)
        await uow.emit(messaging.DEVICE_STATUS, gateway_id, device_pb2.DeviceStatus(
            device_id=gateway_id, device_type=device_pb2.DEVICE_TYPE_GATEWAY, online=link_up,
            changed_at=timestamp(at), detail=detail[:500]))
        await uow.commit()
    return True


PARTITIONS_AHEAD_MONTHS = 3


async def ensure_partitions_ahead(uow: AcquisitionUnitOfWork, at: datetime, known: set[date]) -> set[date]:
    """Create this month's reading partition and the next ones, before any reading needs them."""
    months, month = set(), month_of(at)
    for _ in range(PARTITIONS_AHEAD_MONTHS):
        months.add(month)
        month = next_month(month)
    async with uow:
        await uow.repo.ensure_partitions(months - known)
        await uow.commit()
    known.update(months)
    return months


async def keep_partitions_ahead(new_uow: NewUow, now: Callable[[], datetime], known: set[date],
                                every_s: float = 6 * 3600) -> None:
    """Background task: partitions ahead at start, then every few hours."""
    while True:
        await ensure_partitions_ahead(new_uow(), now(), known)
        await asyncio.sleep(every_s)
