"""Use cases of the acquisition service: registry, gateway poll cycles, statuses, field commands.

They take and return domain dataclasses and publish domain events (entrypoints/events.py
puts them on the wire); a gateway's and its meters' poll state changes only through the
gateway locked for the transaction (repository.lock_gateway).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from services.acquisition import devices
from services.acquisition.domain import actions, polling, registry
from services.acquisition.domain.actions import ControlOutcome
from services.acquisition.domain.commands import (
    FieldCommand,
    PlaceMeter,
    RegisterGateway,
    RegisterMeter,
    SetProjectInterval,
)
from services.acquisition.domain.errors import AcquisitionError, InvalidInterval, UnknownGateway
from services.acquisition.domain.events import FieldCommandCompleted, ReadingSource
from services.acquisition.domain.polling import GatewayCycle, LockedGateway, Taken
from services.acquisition.domain.registry import BusPosition, Gateway, Meter
from services.acquisition.domain.samples import RelayState, Sample
from services.acquisition.domain.sheet import Commissioning
from services.acquisition.fieldbus import FieldBus, FieldError
from services.acquisition.repository import MeterView, StoredCommand, month_of, next_month
from services.acquisition.unit_of_work import AcquisitionUnitOfWork, NewUow
from services.kit.paging import Page, PageSize

METER_PAGE = PageSize(default=500, maximum=5000)   # ListMeters: 0 asks for 500, at most 5000
SCAN_PAGE = 5000                                   # pages the poller reads the whole registry in
PARTITIONS_AHEAD_MONTHS = 3


# --------------------------------------------------------------------------- registry


async def register_gateway(uow: AcquisitionUnitOfWork, command: RegisterGateway) -> bool:
    """Add or update a gateway in the registry; True when it is new. A DTU needs no host or port."""
    gateway = registry.gateway_of(command)
    async with uow:
        if gateway.project_id:
            await uow.repo.upsert_project(gateway.project_id, None)
        created = await uow.repo.upsert_gateway(gateway)
        await uow.repo.adopt_placed_projects([gateway.gateway_id])
        await uow.commit()
    return created


async def set_project_interval(uow: AcquisitionUnitOfWork, command: SetProjectInterval) -> None:
    """F-01: a project's own reading interval (default 30 minutes)."""
    if not command.project_id or not 60 <= command.poll_interval_s <= 86_400:
        raise InvalidInterval("a project interval is 60..86400 seconds")
    async with uow:
        await uow.repo.upsert_project(command.project_id, command.poll_interval_s)
        await uow.commit()


async def register_meter(uow: AcquisitionUnitOfWork, command: RegisterMeter) -> bool:
    """Add or update a meter behind a gateway; True when it is new."""
    async with uow:
        gateway = await uow.repo.gateway(command.gateway_id)
        if gateway is None:
            raise UnknownGateway(f"unknown gateway {command.gateway_id!r}")
        meter = registry.meter_of(command, gateway.transport)
        created = await uow.repo.upsert_meters([meter]) == 1
        await uow.repo.adopt_placed_projects([meter.gateway_id])  # placed by the console before it was registered
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
        for gateway in sheet.gateways:
            await uow.repo.upsert_gateway(gateway)
        created = await uow.repo.upsert_meters(sheet.meters)
        await uow.repo.adopt_placed_projects([g.gateway_id for g in sheet.gateways])
        await uow.commit()
    return ImportSummary(len(sheet.gateways), created, len(sheet.meters) - created)


async def place_meter(uow: AcquisitionUnitOfWork, command: PlaceMeter) -> bool:
    """The console placed a meter in a room: keep its room, property and area, and give its gateway the
    property as project when the gateway has none, so that project's poll interval (F-01) applies.

    A placement as old as the one kept, or older, changes nothing (False). A meter not registered yet
    keeps its placement; registering it (or its gateway) applies it then.
    """
    placement = registry.placement_of(command)
    if placement is None:
        return False
    async with uow:
        if not await uow.repo.keep_placement(placement):
            return False
        meter = await uow.repo.meter(placement.meter_id)
        if meter is not None:
            await uow.repo.adopt_placed_projects([meter.gateway_id])
        await uow.commit()
    return True


async def list_meters(uow: AcquisitionUnitOfWork, limit: int = 0, cursor: str = "") -> Page[MeterView]:
    """The registry's meters with their state, a page at a time in meter id order."""
    size = METER_PAGE.of(limit)
    async with uow:
        return await uow.repo.meter_views(size, cursor)


async def all_gateways(uow: AcquisitionUnitOfWork) -> list[Gateway]:
    """Every gateway, read page by page (the poller's schedule looks at all of them)."""
    found: list[Gateway] = []
    async with uow:
        while True:
            page = await uow.repo.gateways(SCAN_PAGE, after=found[-1].gateway_id if found else None)
            found += page
            if len(page) < SCAN_PAGE:
                return found


async def meters_to_poll(uow: AcquisitionUnitOfWork, gateway_id: str | None = None,
                         meter_ids: list[str] | None = None) -> list[Meter]:
    """The meters of a gateway (or the given ones, or all) in poll order: by gateway, bus, device id."""
    found: list[Meter] = []
    async with uow:
        while True:
            page = await uow.repo.meters(SCAN_PAGE, after=_position(found[-1]) if found else None,
                                         gateway_id=gateway_id, meter_ids=meter_ids)
            found += page
            if len(page) < SCAN_PAGE:
                return found


async def is_dtu(uow: AcquisitionUnitOfWork, gateway_id: str) -> bool:
    """Is this a registered DTU (a gateway that dials in)? An unknown id is not."""
    async with uow:
        gateway = await uow.repo.gateway(gateway_id)
    return gateway is not None and gateway.dials_in


def _position(meter: Meter) -> BusPosition:
    return BusPosition(meter.gateway_id, meter.bus, meter.device_id)


# --------------------------------------------------------------------------- one gateway's poll cycle


@dataclass
class CycleOutcome:
    stored: int = 0
    duplicates: int = 0
    events: int = 0


async def record_gateway_cycle(uow: AcquisitionUnitOfWork, cycle: GatewayCycle, at: datetime,
                               offline_after: int, known_partitions: set[date]) -> CycleOutcome:
    """Store one gateway's cycle in one transaction: readings, meter states, status transitions, events."""
    async with uow:
        locked = await _locked(uow, cycle.gateway.gateway_id, cycle.meter_ids())
        record = polling.record_cycle(locked, cycle, at, offline_after)
        months = {month_of(reading.read_at) for reading in record.readings} - known_partitions
        if months:
            await uow.repo.ensure_partitions(months)
        inserted = await uow.repo.add_readings(record.readings)
        new_readings = [r for r in record.readings if (r.meter_id, r.read_at) in inserted]
        await uow.repo.save_poll_states(locked, record.meter_states)
        await uow.repo.save_gateway_link(locked, cycle.link_up, polled_at=at if cycle.link_up else None)
        await uow.publish(*new_readings, *record.status_events)
        await uow.commit()
    known_partitions.update(months)
    events = len(new_readings) + len(record.status_events)
    return CycleOutcome(len(inserted), len(record.readings) - len(inserted), events)


async def record_link_change(uow: AcquisitionUnitOfWork, gateway_id: str, link_up: bool, at: datetime,
                             detail: str) -> bool:
    """A DTU dialled in or dropped: publish the gateway's transition (once)."""
    async with uow:
        locked = await uow.repo.lock_gateway(gateway_id, ())
        if locked is None or locked.online == link_up:
            return False
        await uow.repo.save_gateway_link(locked, link_up)
        await uow.publish(polling.gateway_status(gateway_id, link_up, at, detail))
        await uow.commit()
    return True


async def _locked(uow: AcquisitionUnitOfWork, gateway_id: str, meter_ids: list[str]) -> LockedGateway:
    locked = await uow.repo.lock_gateway(gateway_id, meter_ids)
    if locked is None:
        raise UnknownGateway(f"unknown gateway {gateway_id!r}")
    return locked


# --------------------------------------------------------------------------- field commands


async def execute_field_command(new_uow: NewUow, bus: FieldBus, now: Callable[[], datetime], command: FieldCommand,
                                offline_after: int = 3, known_partitions: set[date] | None = None) -> bool:
    """Write the command to the meter over its link, read the state back, report the outcome once."""
    received_at = now()
    async with new_uow() as uow:
        if await uow.repo.field_command_seen(command.command_id, command.attempt):
            return False
        meter = await uow.repo.meter(command.meter_id)
        gateway = await uow.repo.gateway(meter.gateway_id) if meter else None
    if meter is None or gateway is None:
        sample, outcome, detail = None, ControlOutcome.FAILED, f"未知表计 unknown meter {command.meter_id!r}"
    else:
        sample, outcome, detail = await _on_device(bus, gateway, meter, command)
    completed_at = now()
    if sample is not None:
        cycle = GatewayCycle(gateway, True, taken=[Taken(meter, sample, completed_at, ReadingSource.READ_NOW)])
        await record_gateway_cycle(new_uow(), cycle, completed_at, offline_after,
                                   known_partitions if known_partitions is not None else set())
    result = FieldCommandCompleted(
        command_id=command.command_id, meter_id=command.meter_id, attempt=command.attempt, outcome=outcome,
        relay_state=sample.relay_state if sample is not None else RelayState.UNSPECIFIED, detail=detail,
        completed_at=completed_at)
    return await record_command_result(new_uow(), command, result, received_at)


async def _on_device(bus: FieldBus, gateway: Gateway, meter: Meter,
                     command: FieldCommand) -> tuple[Sample | None, ControlOutcome, str]:
    """Run the command on the meter's bus: (state read back or None, outcome, what the device answered)."""
    try:
        sample, write_detail = await devices.execute_command(
            devices.link_for(bus, gateway), meter, command.action,
            actions.settings_for(command.action, command.settings))
    except (FieldError, AcquisitionError) as exc:
        return None, ControlOutcome.FAILED, str(exc)
    confirmed, detail = actions.confirm(command.action, sample)
    return sample, ControlOutcome.CONFIRMED if confirmed else ControlOutcome.FAILED, f"{write_detail}; {detail}"


async def record_command_result(uow: AcquisitionUnitOfWork, command: FieldCommand, result: FieldCommandCompleted,
                                received_at: datetime) -> bool:
    """Keep what the device answered to a command and report it; a redelivered command is a no-op."""
    async with uow:
        stored = await uow.repo.add_field_command(StoredCommand(
            command_id=command.command_id, attempt=command.attempt, meter_id=command.meter_id,
            action=command.action, received_at=received_at, result=result))
        if not stored:
            return False
        await uow.publish(result)
        await uow.commit()
    return True


# --------------------------------------------------------------------------- reading partitions


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
