"""Control use cases against a real PostgreSQL built by control's migrations, on a fixed clock."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

import services.control
from services.contracts.meterpay.v1 import common_pb2, control_pb2
from services.control.domain.batches import BatchProgress, Selection, SelectionState
from services.control.domain.commands import (
    CancelBatch,
    CommandQuery,
    ControlResultReported,
    DeviceStatusObserved,
    OperatorRequest,
    ReadingObserved,
    ResendFailed,
    SubmitBatch,
    SubmitCommand,
    WalletSupplyChanged,
)
from services.control.domain.errors import UnknownBatch
from services.control.domain.lifecycle import RetryPolicy, bounded_id
from services.control.domain.meter import MeterTags
from services.control.domain.operations import InvalidOperation, Operation, Settings, check_request_id
from services.control.domain.policy import Kind, Supply
from services.control.domain.windows import DayKind, ProtectionWindow
from services.control.entrypoints.events import to_outgoing
from services.control.export import HEADERS, meter_states_workbook
from services.control.service import batches, facts, operators, readings, sweep, windows
from services.control.service.config import ControlConfig
from services.control.unit_of_work import ControlUnitOfWork
from services.kit.clock import FixedClock
from services.kit.outbox import OUTBOX

MIGRATIONS = str(Path(services.control.__file__).parent / "migrations")
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI).astimezone(UTC)
OPEN, CLOSED = common_pb2.RELAY_STATE_OPEN, common_pb2.RELAY_STATE_CLOSED
TRIP, CLOSE = control_pb2.CONTROL_ACTION_TRIP, control_pb2.CONTROL_ACTION_CLOSE


def workdays(day: date) -> DayKind:
    return DayKind.WORKDAY


CONFIG = ControlConfig(RetryPolicy(max_attempts=2, backoff_base_s=10, backoff_max_s=60, result_timeout_s=30),
                       workdays)


@pytest.fixture
async def new_uow(service_database):
    sessions = await service_database("control", MIGRATIONS)
    return lambda: ControlUnitOfWork(sessions, lambda: None, to_outgoing)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY_NOON)


async def outbox(new_uow, topic: str, message_type):
    async with new_uow() as uow:
        rows = (await uow.session.execute(OUTBOX.select().order_by(OUTBOX.c.id))).all()
    return [message_type.FromString(r.payload) for r in rows if r.topic == topic]


async def sent(new_uow) -> list[control_pb2.ControlCommand]:
    return await outbox(new_uow, "control.commands.v1", control_pb2.ControlCommand)


async def command(new_uow, command_id: str):
    async with new_uow() as uow:
        return await uow.commands.get(command_id)


async def meter(new_uow, meter_id: str):
    async with new_uow() as uow:
        return await uow.meters.get(meter_id)


def arrears(event_id: str, *meter_ids: str) -> WalletSupplyChanged:
    return WalletSupplyChanged(event_id, meter_ids, in_arrears=True)


def recovered(event_id: str, *meter_ids: str) -> WalletSupplyChanged:
    return WalletSupplyChanged(event_id, meter_ids, in_arrears=False)


def answer(cmd: control_pb2.ControlCommand, confirmed: bool, relay_state: int, detail: str = "") -> \
        ControlResultReported:
    return ControlResultReported(cmd.command_id, cmd.attempt, confirmed, Supply(relay_state),
                                 detail or "device answered")


def polled(meter_id: str, relay_state: int, changed_at: datetime | None = None) -> DeviceStatusObserved:
    return DeviceStatusObserved(meter_id, online=True, relay_state=Supply(relay_state), changed_at=changed_at)


async def known_on(new_uow, clock, *meter_ids: str) -> None:
    """The meters were polled and reported their relay closed."""
    for meter_id in meter_ids:
        await facts.observe_device(new_uow(), polled(meter_id, CLOSED), clock.now(), CONFIG)


def operator(request_id: str, operation: Operation, settings: Settings = Settings()) -> OperatorRequest:
    return OperatorRequest(request_id, int(operation), settings, "operator:wang", "测试 test")


def submit(request: OperatorRequest, selection: Selection, run_at: datetime | None = None) -> SubmitBatch:
    return SubmitBatch(request, selection, run_at)


async def tag(new_uow, now: datetime, meter_id: str, known_state: Supply, **tags: str) -> None:
    """Tags and a known relay state, set on the meter directly."""
    async with new_uow() as uow:
        locked = await uow.meters.get_for_update(meter_id)
        locked.set_tags(MeterTags(**tags), Kind.ELECTRICITY, 0, now)
        locked.record_relay(known_state, now)
        await uow.commit()


class TestArrearsAndRecovery:
    async def test_arrears_trips_and_the_confirmation_is_kept(self, new_uow, clock):
        await known_on(new_uow, clock, "M1")
        assert await facts.apply_supply_change(new_uow(), arrears("e1", "M1"), clock.now(), CONFIG) == 1
        [trip] = await sent(new_uow)
        assert trip.action == TRIP and trip.attempt == 1 and trip.requested_by == "wallet-event:e1"
        assert await facts.record_result(new_uow(), answer(trip, True, OPEN, "relay open"), clock.now(),
                                               CONFIG)
        stored = await command(new_uow, trip.command_id)
        assert (stored.status, stored.detail, stored.relay_state) == ("confirmed", "relay open", OPEN)
        assert (await meter(new_uow, "M1")).known_state == OPEN
        [event] = await outbox(new_uow, "control.events.v1", control_pb2.ControlResult)
        assert event.status == "confirmed" and event.requested_by == "wallet-event:e1"

    async def test_a_status_read_before_the_confirmed_trip_does_not_undo_it(self, new_uow, clock):
        await known_on(new_uow, clock, "M1")
        read_before_trip = clock.now()
        await facts.apply_supply_change(new_uow(), arrears("e1", "M1"), clock.now(), CONFIG)
        [trip] = await sent(new_uow)
        clock.advance(timedelta(seconds=1))
        await facts.record_result(new_uow(), answer(trip, True, OPEN, "relay open"), clock.now(), CONFIG)
        stale = polled("M1", CLOSED, changed_at=read_before_trip)
        await facts.observe_device(new_uow(), stale, clock.now(), CONFIG)
        assert (await meter(new_uow, "M1")).known_state == OPEN
        assert len(await sent(new_uow)) == 1  # no second trip
        clock.advance(timedelta(seconds=1))
        by_hand = polled("M1", CLOSED, changed_at=clock.now())
        await facts.observe_device(new_uow(), by_hand, clock.now(), CONFIG)
        assert len(await sent(new_uow)) == 2  # a newer closed relay (closed by hand) is put right

    async def test_a_duplicated_wallet_event_issues_no_second_command(self, new_uow, clock):
        await known_on(new_uow, clock, "M1", "M2")
        assert await facts.apply_supply_change(new_uow(), arrears("e1", "M1", "M2"), clock.now(), CONFIG) == 2
        assert await facts.apply_supply_change(new_uow(), arrears("e1", "M1", "M2"), clock.now(), CONFIG) == 0
        assert len(await sent(new_uow)) == 2

    async def test_a_second_arrears_event_while_the_trip_is_in_flight_adds_nothing(self, new_uow, clock):
        await known_on(new_uow, clock, "M1")
        await facts.apply_supply_change(new_uow(), arrears("e1", "M1"), clock.now(), CONFIG)
        assert await facts.apply_supply_change(new_uow(), arrears("e2", "M1"), clock.now(), CONFIG) == 0
        assert len(await sent(new_uow)) == 1

    async def test_a_duplicated_result_is_a_no_op(self, new_uow, clock):
        await known_on(new_uow, clock, "M1")
        await facts.apply_supply_change(new_uow(), arrears("e1", "M1"), clock.now(), CONFIG)
        [trip] = await sent(new_uow)
        assert await facts.record_result(new_uow(), answer(trip, True, OPEN), clock.now(), CONFIG)
        assert not await facts.record_result(new_uow(), answer(trip, True, OPEN), clock.now(), CONFIG)
        assert len(await outbox(new_uow, "control.events.v1", control_pb2.ControlResult)) == 1

    async def test_recovery_closes_the_relay_without_an_operator(self, new_uow, clock):
        await known_on(new_uow, clock, "M1")
        await facts.apply_supply_change(new_uow(), arrears("e1", "M1"), clock.now(), CONFIG)
        [trip] = await sent(new_uow)
        await facts.record_result(new_uow(), answer(trip, True, OPEN), clock.now(), CONFIG)
        assert await facts.apply_supply_change(new_uow(), recovered("e2", "M1"), clock.now(), CONFIG) == 1
        close = (await sent(new_uow))[-1]
        assert close.action == CLOSE and close.requested_by == "wallet-event:e2"

    async def test_recovery_during_the_trip_closes_again_after_it(self, new_uow, clock):
        await known_on(new_uow, clock, "M1")
        await facts.apply_supply_change(new_uow(), arrears("e1", "M1"), clock.now(), CONFIG)
        await facts.apply_supply_change(new_uow(), recovered("e2", "M1"), clock.now(), CONFIG)
        [trip] = await sent(new_uow)  # one at a time: nothing else left yet
        await facts.record_result(new_uow(), answer(trip, True, OPEN), clock.now(), CONFIG)
        assert [c.action for c in await sent(new_uow)] == [TRIP, CLOSE]


class TestPowerGuarantee:
    async def test_a_meter_in_guarantee_is_never_tripped(self, new_uow, clock):
        await known_on(new_uow, clock, "M1")
        await operators.submit_command(new_uow(), SubmitCommand("M1", operator("g1", Operation.POWER_GUARANTEE_ON)),
                                       clock.now(), CONFIG)
        [guarantee_on] = await sent(new_uow)
        assert guarantee_on.action == control_pb2.CONTROL_ACTION_POWER_GUARANTEE_ON
        await facts.record_result(new_uow(), answer(guarantee_on, True, CLOSED), clock.now(), CONFIG)
        assert await facts.apply_supply_change(new_uow(), arrears("e1", "M1"), clock.now(), CONFIG) == 0
        reading = ReadingObserved("M1", Kind.ELECTRICITY, power_w=99_000)
        assert not await readings.trip_on_overload(new_uow(), reading, clock.now(), CONFIG)
        assert [c.action for c in await sent(new_uow)] == [control_pb2.CONTROL_ACTION_POWER_GUARANTEE_ON]

    async def test_a_queued_cut_is_cancelled_when_the_meter_enters_guarantee(self, new_uow, clock):
        await known_on(new_uow, clock, "M1")
        await operators.submit_command(new_uow(), SubmitCommand("M1", operator("r1", Operation.READ_NOW)),
                                       clock.now(), CONFIG)
        await facts.apply_supply_change(new_uow(), arrears("e1", "M1"), clock.now(), CONFIG)  # trip waits
        await operators.submit_command(new_uow(), SubmitCommand("M1", operator("g1", Operation.POWER_GUARANTEE_ON)),
                                       clock.now(), CONFIG)
        [read_now] = await sent(new_uow)
        await facts.record_result(new_uow(), answer(read_now, True, CLOSED), clock.now(), CONFIG)
        actions = [c.action for c in await sent(new_uow)]
        assert TRIP not in actions and actions[-1] == control_pb2.CONTROL_ACTION_POWER_GUARANTEE_ON
        async with new_uow() as uow:
            trips = [c for c in (await uow.commands.list(CommandQuery(meter_id="M1"), 10)).items if c.action == TRIP]
        assert [t.status for t in trips] == ["cancelled"]


class TestRetriesAndTimeouts:
    async def test_a_failed_command_is_retried_after_backoff_then_given_up_and_not_reissued(self, new_uow, clock):
        await known_on(new_uow, clock, "M1")
        await facts.apply_supply_change(new_uow(), arrears("e1", "M1"), clock.now(), CONFIG)
        [first] = await sent(new_uow)
        await facts.record_result(new_uow(), answer(first, False, 0, "0x0B no response"), clock.now(), CONFIG)
        clock.advance(timedelta(seconds=9))
        await sweep.sweep(new_uow, clock.now(), CONFIG)
        assert len(await sent(new_uow)) == 1  # backoff not over
        clock.advance(timedelta(seconds=1))
        assert (await sweep.sweep(new_uow, clock.now(), CONFIG)).dispatched == 1
        second = (await sent(new_uow))[-1]
        assert (second.command_id, second.attempt) == (first.command_id, 2)
        await facts.record_result(new_uow(), answer(second, False, 0, "0x0B again"), clock.now(), CONFIG)
        stored = await command(new_uow, first.command_id)
        assert (stored.status, stored.attempt, stored.detail) == ("failed", 2, "0x0B again")
        clock.advance(timedelta(minutes=5))
        await sweep.sweep(new_uow, clock.now(), CONFIG)
        assert len(await sent(new_uow)) == 2  # given up: listed, not retried without bound
        async with new_uow() as uow:
            attempts = (await uow.commands.attempts_of([first.command_id]))[first.command_id]
        assert [(a.attempt, a.outcome, a.detail) for a in attempts] == [
            (1, "failed", "0x0B no response"), (2, "failed", "0x0B again")]

    async def test_a_result_that_never_arrives_times_out_and_is_retried(self, new_uow, clock):
        await known_on(new_uow, clock, "M1")
        await facts.apply_supply_change(new_uow(), arrears("e1", "M1"), clock.now(), CONFIG)
        [first] = await sent(new_uow)
        clock.advance(timedelta(seconds=31))
        assert (await sweep.sweep(new_uow, clock.now(), CONFIG)).timed_out == 1
        clock.advance(timedelta(seconds=10))
        await sweep.sweep(new_uow, clock.now(), CONFIG)
        second = (await sent(new_uow))[-1]
        assert second.attempt == 2
        # The late answer to attempt 1 changes nothing; the answer to attempt 2 confirms.
        assert not await facts.record_result(new_uow(), answer(first, True, OPEN), clock.now(), CONFIG)
        assert await facts.record_result(new_uow(), answer(second, True, OPEN), clock.now(), CONFIG)
        assert (await command(new_uow, first.command_id)).status == "confirmed"

    async def test_a_retry_that_recovery_overtook_is_cancelled(self, new_uow, clock):
        await known_on(new_uow, clock, "M1")
        await facts.apply_supply_change(new_uow(), arrears("e1", "M1"), clock.now(), CONFIG)
        [first] = await sent(new_uow)
        await facts.record_result(new_uow(), answer(first, False, CLOSED), clock.now(), CONFIG)
        await facts.apply_supply_change(new_uow(), recovered("e2", "M1"), clock.now(), CONFIG)
        clock.advance(timedelta(seconds=11))
        await sweep.sweep(new_uow, clock.now(), CONFIG)
        assert len(await sent(new_uow)) == 1
        assert (await command(new_uow, first.command_id)).status == "cancelled"


class TestProtectionWindows:
    async def test_an_arrears_at_23_00_with_a_night_window_is_cut_at_07_00(self, new_uow, clock):
        clock = FixedClock(datetime(2026, 11, 23, 23, 0, tzinfo=SHANGHAI).astimezone(UTC))
        await windows.set_protection_window(new_uow(), ProtectionWindow("", time(22), time(7)), clock.now())
        await known_on(new_uow, clock, "M1")
        assert await facts.apply_supply_change(new_uow(), arrears("e1", "M1"), clock.now(), CONFIG) == 0
        seven = datetime(2026, 11, 24, 7, 0, tzinfo=SHANGHAI)
        assert (await meter(new_uow, "M1")).cut_check_at == seven
        clock.advance(timedelta(hours=7, minutes=59))  # 06:59
        await sweep.sweep(new_uow, clock.now(), CONFIG)
        assert await sent(new_uow) == []
        clock.advance(timedelta(minutes=1))  # 07:00
        assert (await sweep.sweep(new_uow, clock.now(), CONFIG)).cuts_checked == 1
        [trip] = await sent(new_uow)
        assert trip.action == TRIP and trip.requested_by == "schedule:protection-window-end"
        assert (await meter(new_uow, "M1")).cut_check_at is None

    async def test_a_recharge_inside_the_window_means_no_cut_at_its_end(self, new_uow, clock):
        clock = FixedClock(datetime(2026, 11, 23, 23, 0, tzinfo=SHANGHAI).astimezone(UTC))
        await windows.set_protection_window(new_uow(), ProtectionWindow("", time(22), time(7)), clock.now())
        await known_on(new_uow, clock, "M1")
        await facts.apply_supply_change(new_uow(), arrears("e1", "M1"), clock.now(), CONFIG)
        await facts.apply_supply_change(new_uow(), recovered("e2", "M1"), clock.now(), CONFIG)
        clock.advance(timedelta(hours=9))
        await sweep.sweep(new_uow, clock.now(), CONFIG)
        assert await sent(new_uow) == []

    async def test_removing_the_window_cuts_at_the_next_sweep(self, new_uow, clock):
        night = FixedClock(datetime(2026, 11, 23, 23, 0, tzinfo=SHANGHAI).astimezone(UTC))
        await windows.set_protection_window(new_uow(), ProtectionWindow("", time(22), time(7)), night.now())
        await known_on(new_uow, night, "M1")
        await facts.apply_supply_change(new_uow(), arrears("e1", "M1"), night.now(), CONFIG)
        assert await sent(new_uow) == []
        await windows.set_protection_window(new_uow(), ProtectionWindow(""), night.now())
        await sweep.sweep(new_uow, night.now(), CONFIG)
        assert [c.action for c in await sent(new_uow)] == [TRIP]

    async def test_a_project_window_applies_to_its_meters_only(self, new_uow, clock):
        weekend_window = ProtectionWindow("tower-a", weekends=True)
        saturday = FixedClock(datetime(2026, 11, 21, 12, 0, tzinfo=SHANGHAI).astimezone(UTC))
        config = ControlConfig(CONFIG.retry, lambda d: DayKind.WEEKEND if d.weekday() >= 5 else DayKind.WORKDAY)
        await windows.set_protection_window(new_uow(), weekend_window, saturday.now())
        await tag(new_uow, saturday.now(), "M1", Supply.ON, project="tower-a")
        await tag(new_uow, saturday.now(), "M2", Supply.ON, project="tower-b")
        await facts.apply_supply_change(new_uow(), arrears("e1", "M1", "M2"), saturday.now(), config)
        assert [c.meter_id for c in await sent(new_uow)] == ["M2"]
        assert (await meter(new_uow, "M1")).cut_check_at == datetime(2026, 11, 23, 0, 0, tzinfo=SHANGHAI)


class TestBatches:
    async def tag(self, new_uow, clock, building: str, *meter_ids: str) -> None:
        for meter_id in meter_ids:
            await tag(new_uow, clock.now(), meter_id, Supply.ON, building=building)

    async def progress(self, new_uow, batch_id: str) -> BatchProgress:
        async with new_uow() as uow:
            return await uow.commands.progress(batch_id)

    async def test_a_batch_by_building_lists_failures_and_resends_them(self, new_uow, clock):
        await self.tag(new_uow, clock, "B1", "M1", "M2", "M3")
        await self.tag(new_uow, clock, "B2", "M9")
        request = operator("batch-1", Operation.POWER_GUARANTEE_ON)
        submitted = await batches.submit_batch(new_uow(), submit(request, Selection(building="B1")), clock.now(),
                                               CONFIG)
        assert (submitted.batch_id, submitted.duplicate) == ("batch-1", False)
        items = await sent(new_uow)
        assert sorted(c.meter_id for c in items) == ["M1", "M2", "M3"]
        for item in items:
            ok = item.meter_id != "M3"
            await facts.record_result(new_uow(), answer(item, ok, CLOSED if ok else 0), clock.now(), CONFIG)
        clock.advance(timedelta(seconds=10))
        await sweep.sweep(new_uow, clock.now(), CONFIG)
        retry = (await sent(new_uow))[-1]
        await facts.record_result(new_uow(), answer(retry, False, 0), clock.now(), CONFIG)
        assert (await sweep.sweep(new_uow, clock.now(), CONFIG)).batches_done == 1
        assert await self.progress(new_uow, "batch-1") == BatchProgress(confirmed=2, failed=1)

        assert await batches.resend_failed(new_uow(), ResendFailed("batch-1", (), "operator:li"), clock.now(),
                                           CONFIG) == 1
        resent = (await sent(new_uow))[-1]
        assert (resent.meter_id, resent.attempt) == ("M3", 3)
        await facts.record_result(new_uow(), answer(resent, True, CLOSED), clock.now(), CONFIG)
        await sweep.sweep(new_uow, clock.now(), CONFIG)
        assert await self.progress(new_uow, "batch-1") == BatchProgress(confirmed=3)
        async with new_uow() as uow:
            assert (await uow.batches.get("batch-1")).status == "done"

    async def test_a_resubmitted_batch_is_recognised(self, new_uow, clock):
        await self.tag(new_uow, clock, "B1", "M1")
        request = operator("batch-1", Operation.READ_NOW)
        await batches.submit_batch(new_uow(), submit(request, Selection(building="B1")), clock.now(), CONFIG)
        assert (await batches.submit_batch(new_uow(), submit(request, Selection(building="B1")), clock.now(),
                                           CONFIG)).duplicate
        assert len(await sent(new_uow)) == 1

    async def test_a_reused_id_with_other_contents_is_an_error(self, new_uow, clock):
        await batches.submit_batch(new_uow(), submit(operator("b1", Operation.READ_NOW), Selection(("M1",))),
                                   clock.now(), CONFIG)
        with pytest.raises(InvalidOperation):
            await batches.submit_batch(new_uow(), submit(operator("b1", Operation.FORCED_OFF), Selection(("M1",))),
                                       clock.now(), CONFIG)
        await operators.submit_command(new_uow(), SubmitCommand("M1", operator("r1", Operation.READ_NOW)),
                                       clock.now(), CONFIG)
        with pytest.raises(InvalidOperation):
            await operators.submit_command(new_uow(), SubmitCommand("M2", operator("r1", Operation.READ_NOW)),
                                           clock.now(), CONFIG)
        assert len(await sent(new_uow)) == 1

    async def test_a_scheduled_price_push_starts_at_its_time(self, new_uow, clock):
        request = operator("price-1", Operation.PRICE_PUSH, Settings(price_yuan="1.2500"))
        run_at = clock.now() + timedelta(hours=1)
        await batches.submit_batch(new_uow(), submit(request, Selection(("M1", "M2")), run_at), clock.now(), CONFIG)
        await sweep.sweep(new_uow, clock.now(), CONFIG)
        assert await sent(new_uow) == []
        clock.advance(timedelta(hours=1))
        assert (await sweep.sweep(new_uow, clock.now(), CONFIG)).batches_started == 1
        pushes = await sent(new_uow)
        assert [p.settings.price_yuan for p in pushes] == ["1.2500", "1.2500"]
        assert {p.action for p in pushes} == {control_pb2.CONTROL_ACTION_PRICE_PUSH}

    async def test_forced_off_from_guarantee_clears_the_flag_then_trips_in_order(self, new_uow, clock):
        await known_on(new_uow, clock, "M1")
        await operators.submit_command(new_uow(), SubmitCommand("M1", operator("g1", Operation.POWER_GUARANTEE_ON)),
                                       clock.now(), CONFIG)
        [g_on] = await sent(new_uow)
        await facts.record_result(new_uow(), answer(g_on, True, CLOSED), clock.now(), CONFIG)
        await operators.submit_command(new_uow(), SubmitCommand("M1", operator("off1", Operation.FORCED_OFF)),
                                       clock.now(), CONFIG)
        g_off = (await sent(new_uow))[-1]
        assert g_off.action == control_pb2.CONTROL_ACTION_POWER_GUARANTEE_OFF
        await facts.record_result(new_uow(), answer(g_off, True, CLOSED), clock.now(), CONFIG)
        trip = (await sent(new_uow))[-1]
        assert (trip.action, trip.command_id) == (TRIP, "op:off1")

    async def test_a_cancelled_scheduled_batch_never_starts(self, new_uow, clock):
        request = operator("later-1", Operation.FORCED_OFF)
        await batches.submit_batch(new_uow(), submit(request, Selection(("M1",)), clock.now() + timedelta(minutes=5)),
                                   clock.now(), CONFIG)
        await batches.cancel_batch(new_uow(), CancelBatch("later-1", "operator:li"), clock.now())
        clock.advance(timedelta(minutes=10))
        assert (await sweep.sweep(new_uow, clock.now(), CONFIG)).batches_started == 0
        assert await sent(new_uow) == []
        async with new_uow() as uow:
            assert (await uow.batches.get("later-1")).status == "cancelled"
        with pytest.raises(UnknownBatch):
            await batches.cancel_batch(new_uow(), CancelBatch("nope", "operator:li"), clock.now())

    async def test_an_empty_selection_and_a_bad_price_are_refused(self, new_uow, clock):
        with pytest.raises(InvalidOperation):
            await batches.submit_batch(new_uow(), submit(operator("b", Operation.READ_NOW), Selection()), clock.now(),
                                       CONFIG)
        with pytest.raises(InvalidOperation):
            await batches.submit_batch(new_uow(), submit(operator("b", Operation.PRICE_PUSH, Settings(price_yuan="x")),
                                                         Selection(("M1",))), clock.now(), CONFIG)
        async with new_uow() as uow:
            assert await uow.batches.get("b") is None


class TestOverloadAndExport:
    async def test_overload_trips_and_restore_prepaid_brings_it_back(self, new_uow, clock):
        await known_on(new_uow, clock, "M1")
        push = operator("t1", Operation.THRESHOLD_PUSH, Settings(overload_w=5000))
        await operators.submit_command(new_uow(), SubmitCommand("M1", push), clock.now(), CONFIG)
        [push] = await sent(new_uow)
        assert push.settings.overload_w == 5000
        await facts.record_result(new_uow(), answer(push, True, CLOSED), clock.now(), CONFIG)
        reading = ReadingObserved("M1", Kind.ELECTRICITY, power_w=6200)
        assert await readings.trip_on_overload(new_uow(), reading, clock.now(), CONFIG)
        trip = (await sent(new_uow))[-1]
        assert trip.action == TRIP and "6200" in trip.reason
        await facts.record_result(new_uow(), answer(trip, True, OPEN), clock.now(), CONFIG)
        await operators.submit_command(new_uow(), SubmitCommand("M1", operator("r1", Operation.RESTORE_PREPAID)),
                                       clock.now(), CONFIG)
        g_off = (await sent(new_uow))[-1]
        await facts.record_result(new_uow(), answer(g_off, True, OPEN), clock.now(), CONFIG)
        assert (await sent(new_uow))[-1].action == CLOSE

    async def test_export_has_bilingual_headers_and_one_row_per_meter(self, new_uow, clock):
        await known_on(new_uow, clock, "M1", "M2")
        await facts.apply_supply_change(new_uow(), arrears("e1", "M2"), clock.now(), CONFIG)
        async with new_uow() as uow:
            meters = (await uow.meters.select(Selection(state=SelectionState.ARREARS), 100)).items
        sheet = load_workbook(io.BytesIO(meter_states_workbook(meters))).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == HEADERS and rows[0][0] == "表号 Meter"
        assert [r[0] for r in rows[1:]] == ["M2"]
        assert rows[1][7] == "是 yes"


async def test_the_lifecycle_migration_is_reversible(infra):
    import asyncio

    from alembic import command as alembic
    from sqlalchemy import text

    from services.kit import db
    from services.kit.testing import fresh_database

    url = await fresh_database(infra.database_url, "control", MIGRATIONS)
    config = db.alembic_config(url, MIGRATIONS, "alembic_version_control")
    await asyncio.to_thread(alembic.downgrade, config, "ctl0001")
    engine = db.make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT to_regclass('batches')")) is None
        await asyncio.to_thread(alembic.upgrade, config, "head")
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT to_regclass('batches')")) is not None
    finally:
        await engine.dispose()


async def test_a_water_meter_learnt_from_its_readings_gets_its_valve_closed(new_uow, clock):
    watch = readings.ReadingWatch(new_uow, refresh_s=0)
    water = Kind.WATER
    assert not await watch.kind_is_new("W1", Kind.ELECTRICITY)
    assert await watch.kind_is_new("W1", water)
    await readings.learn_meter_kind(new_uow(), "W1", water, clock.now())
    assert not await watch.kind_is_new("W1", water)
    await known_on(new_uow, clock, "W1")
    await facts.apply_supply_change(new_uow(), arrears("e1", "W1"), clock.now(), CONFIG)
    assert [c.action for c in await sent(new_uow)] == [control_pb2.CONTROL_ACTION_VALVE_CLOSE]


def test_derived_command_ids_fit_acquisition_and_stay_distinct():
    batch_id = "b" * 64
    ids = {bounded_id(f"{batch_id}:{'M' * 40}-{i}") for i in range(100)}
    assert len(ids) == 100 and all(len(i) <= 100 for i in ids)
    assert bounded_id("short:M-0001") == "short:M-0001"
    with pytest.raises(InvalidOperation):
        check_request_id("x" * 65)
