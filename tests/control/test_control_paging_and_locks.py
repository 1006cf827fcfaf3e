"""Pages (limit + keyset cursor), the locked meter as the only way to change one, the event mapper, and
the gRPC face's error mapping."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import grpc
import pytest

import services.control
from services.contracts.meterpay.v1 import common_pb2, control_pb2
from services.control.domain.batches import Selection
from services.control.domain.commands import CommandQuery, OperatorRequest, SubmitBatch, SubmitCommand
from services.control.domain.events import CommandFinished, CommandIssued
from services.control.domain.lifecycle import RetryPolicy, Status
from services.control.domain.operations import Operation, Settings
from services.control.domain.policy import Action, Supply
from services.control.domain.windows import DayKind, ProtectionWindow
from services.control.entrypoints.events import to_outgoing
from services.control.entrypoints.grpc import ControlGrpc
from services.control.repository.meters import LockNotHeld
from services.control.service import batches, operators, queries, readings, windows
from services.control.service.config import ControlConfig
from services.control.unit_of_work import ControlUnitOfWork
from services.kit import messaging
from services.kit.clock import FixedClock
from services.kit.messaging import timestamp
from services.kit.paging import InvalidPage

MIGRATIONS = str(Path(services.control.__file__).parent / "migrations")
NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)


def workdays(day: date) -> DayKind:
    return DayKind.WORKDAY


CONFIG = ControlConfig(RetryPolicy(max_attempts=2, result_timeout_s=30), workdays)


@pytest.fixture
async def new_uow(service_database):
    sessions = await service_database("control", MIGRATIONS)
    return lambda: ControlUnitOfWork(sessions, lambda: None, to_outgoing)


def read_now(request_id: str) -> OperatorRequest:
    return OperatorRequest(request_id, int(Operation.READ_NOW), Settings(), "operator:wang", "测试 test")


async def all_pages(fetch, limit: int) -> list[list]:
    """Every page of a list, following next_cursor from the start."""
    pages, cursor = [], ""
    while True:
        page = await fetch(limit, cursor)
        pages.append(list(page.items))
        if not page.next_cursor:
            return pages
        cursor = page.next_cursor


def assert_no_overlap_no_gap(pages: list[list], everything: list) -> None:
    flat = [item for page in pages for item in page]
    assert len(flat) == len(set(flat)) and sorted(flat) == sorted(everything)


class TestPaging:
    async def test_commands_come_newest_first_in_pages(self, new_uow):
        for i in range(5):
            await operators.submit_command(new_uow(), SubmitCommand(f"M{i}", read_now(f"r{i}")), NOW, CONFIG)
        pages = await all_pages(
            lambda limit, cursor: queries.list_commands(new_uow(), CommandQuery(), limit, cursor), 2)
        ids = [[h.command.command_id for h in page] for page in pages]
        assert ids == [["op:r4", "op:r3"], ["op:r2", "op:r1"], ["op:r0"]]
        assert_no_overlap_no_gap(ids, [f"op:r{i}" for i in range(5)])

    async def test_meters_batches_items_and_windows_page_without_overlap_or_gap(self, new_uow):
        meter_ids = [f"M{i}" for i in range(5)]
        later = NOW + timedelta(hours=1)
        for batch_id in ("b1", "b2", "b3"):  # same created_at: the batch id breaks the tie
            await batches.submit_batch(new_uow(), SubmitBatch(read_now(batch_id), Selection(tuple(meter_ids)), later),
                                       NOW, CONFIG)
        await batches.submit_batch(new_uow(), SubmitBatch(read_now("now"), Selection(tuple(meter_ids))), NOW, CONFIG)
        for project in ("", "p1", "p2"):
            await windows.set_protection_window(new_uow(), ProtectionWindow(project, time(22), time(7)), NOW)

        meters = await all_pages(lambda limit, cursor: queries.list_meters(new_uow(), Selection(), limit, cursor), 2)
        assert [len(p) for p in meters] == [2, 2, 1]
        assert_no_overlap_no_gap([[m.meter_id for m in p] for p in meters], meter_ids)
        listed = await all_pages(lambda limit, cursor: queries.list_batches(new_uow(), limit, cursor), 2)
        assert [[s.batch.batch_id for s in p] for p in listed] == [["now", "b3"], ["b2", "b1"]]

        async def items(limit, cursor):
            return (await queries.get_batch(new_uow(), "now", True, limit, cursor)).items

        item_pages = await all_pages(items, 2)
        assert_no_overlap_no_gap([[c.meter_id for c in p] for p in item_pages], meter_ids)
        window_pages = await all_pages(lambda limit, cursor: queries.list_windows(new_uow(), limit, cursor), 2)
        assert [[w.project for w in p] for p in window_pages] == [["", "p1"], ["p2"]]

    async def test_the_reading_watch_loads_every_page(self, new_uow, monkeypatch):
        monkeypatch.setattr(readings, "WATCH_PAGE", 2)
        for i in range(5):
            async with new_uow() as uow:
                meter = await uow.meters.get_for_update(f"M{i}")
                meter.set_tags(meter.current.tags, meter.current.kind, 1000 + i, NOW)
                await uow.commit()
        watch = readings.ReadingWatch(new_uow, refresh_s=0)
        assert [await watch.threshold_of(f"M{i}") for i in range(5)] == [1000, 1001, 1002, 1003, 1004]

    async def test_a_cursor_not_handed_out_is_refused(self, new_uow):
        for cursor in ("garbage", "WyJ4Il0=", "WzEsMl0="):  # not base64 JSON; a string for a number; two parts
            with pytest.raises(InvalidPage):
                await queries.list_commands(new_uow(), CommandQuery(), 10, cursor)

    async def test_a_limit_of_0_is_the_default_a_large_one_the_maximum_and_a_negative_one_refused(self, new_uow):
        size = queries.COMMAND_PAGE
        assert (size.of(0), size.of(7), size.of(10**9)) == (100, 7, 5000)
        with pytest.raises(InvalidPage):
            await queries.list_batches(new_uow(), -1)


class TestTheLockedMeter:
    async def test_a_meter_not_locked_by_this_transaction_changes_nothing(self, new_uow):
        await operators.submit_command(new_uow(), SubmitCommand("M1", read_now("r1")), NOW, CONFIG)
        async with new_uow() as first:
            meter = await first.meters.get_for_update("M1")
            assert await first.meters.get_for_update("M1") is meter  # one object per meter and transaction
            command = await first.commands.get("op:r1")
            await first.commit()
            with pytest.raises(LockNotHeld):  # the commit released the lock
                await first.commands.finish(meter, command, Status.CANCELLED, "", Supply.UNKNOWN, NOW)
        async with new_uow() as second:
            with pytest.raises(LockNotHeld):
                await second.commands.get_locked(meter, "op:r1")
            other = await second.meters.get_for_update("M2")
            with pytest.raises(LockNotHeld):  # another meter's lock does not cover M1's command
                await second.commands.finish(other, command, Status.CANCELLED, "", Supply.UNKNOWN, NOW)

    async def test_changes_are_written_at_commit_and_dropped_on_rollback(self, new_uow):
        async with new_uow() as uow:
            (await uow.meters.get_for_update("M1")).record_wallet_state(True, NOW)
            await uow.commit()
        async with new_uow() as uow:
            (await uow.meters.get_for_update("M1")).record_wallet_state(False, NOW)
        async with new_uow() as uow:
            assert (await uow.meters.get("M1")).in_arrears


class TestEventMapper:
    def test_a_command_issued_is_the_control_command_of_before(self):
        push = Settings(price_yuan="1.2500")
        event = CommandIssued("op:p1", "M1", Action.PRICE_PUSH, 2, NOW, "operator:wang", "电价 price", push)
        out = to_outgoing(event)
        assert (out.topic, out.key) == (messaging.CONTROL_COMMANDS, "M1")
        assert out.message == control_pb2.ControlCommand(
            command_id="op:p1", meter_id="M1", action=control_pb2.CONTROL_ACTION_PRICE_PUSH, issued_at=timestamp(NOW),
            reason="电价 price", requested_by="operator:wang", attempt=2,
            settings=control_pb2.SettingPush(price_yuan="1.2500"))
        plain = to_outgoing(CommandIssued("auto:1", "M1", Action.TRIP, 1, NOW, "overload", "过载", None))
        assert not plain.message.HasField("settings")

    def test_a_command_finished_is_the_control_result_of_before(self):
        for status, outcome in ((Status.CONFIRMED, control_pb2.CONTROL_OUTCOME_CONFIRMED),
                                (Status.CANCELLED, control_pb2.CONTROL_OUTCOME_FAILED)):
            event = CommandFinished("c1", "M1", Action.TRIP, status, 1, Supply.OFF, "relay open", NOW,
                                    "wallet-event:e1", "欠费断电 arrears")
            out = to_outgoing(event)
            assert (out.topic, out.key) == (messaging.CONTROL_EVENTS, "M1")
            assert out.message == control_pb2.ControlResult(
                command_id="c1", meter_id="M1", outcome=outcome, relay_state=common_pb2.RELAY_STATE_OPEN,
                detail="relay open", completed_at=timestamp(NOW), attempt=1, action=control_pb2.CONTROL_ACTION_TRIP,
                reason="欠费断电 arrears", requested_by="wallet-event:e1", status=status.value)


class Aborted(Exception):
    pass


class FakeContext:
    code: grpc.StatusCode | None = None

    async def abort(self, code: grpc.StatusCode, details: str) -> None:
        self.code, self.details = code, details
        raise Aborted(details)


class TestGrpcErrors:
    async def call(self, new_uow, method: str, request) -> FakeContext:
        context = FakeContext()
        with pytest.raises(Aborted):
            await getattr(ControlGrpc(new_uow, FixedClock(NOW), CONFIG), method)(request, context)
        return context

    async def test_domain_errors_become_status_codes(self, new_uow):
        bad_tags = control_pb2.SetMeterTagsRequest(meter_id="M1", tags=control_pb2.MeterTags(overload_threshold_w=-1))
        bad_kind = control_pb2.SetMeterTagsRequest(meter_id="M1", tags=control_pb2.MeterTags(kind=7))
        bad_state = control_pb2.ListMeterControlsRequest(selection=control_pb2.MeterSelection(state="asleep"))
        for method, request in (("SetMeterTags", bad_tags), ("SetMeterTags", bad_kind),
                                ("ListMeterControls", bad_state),
                                ("ListCommands", control_pb2.ListCommandsRequest(cursor="garbage")),
                                ("ListBatches", control_pb2.ListBatchesRequest(limit=-1)),
                                ("SubmitCommand", control_pb2.SubmitCommandRequest(request_id="r1", meter_id="M1"))):
            assert (await self.call(new_uow, method, request)).code is grpc.StatusCode.INVALID_ARGUMENT, method
        missing = await self.call(new_uow, "GetBatch", control_pb2.GetBatchRequest(batch_id="nope"))
        assert (missing.code, missing.details) == (grpc.StatusCode.NOT_FOUND, "未知批次 unknown batch 'nope'")

    async def test_a_bare_value_error_is_a_bug_not_a_bad_request(self, new_uow, monkeypatch):
        async def broken(*args, **kwargs):
            raise ValueError("a bug")

        monkeypatch.setattr(queries, "list_batches", broken)
        with pytest.raises(ValueError, match="a bug"):
            await ControlGrpc(new_uow, FixedClock(NOW), CONFIG).ListBatches(control_pb2.ListBatchesRequest(),
                                                                           FakeContext())

    async def test_list_replies_carry_the_next_cursor(self, new_uow):
        servicer = ControlGrpc(new_uow, FixedClock(NOW), CONFIG)
        for i in range(3):
            await operators.submit_command(new_uow(), SubmitCommand(f"M{i}", read_now(f"r{i}")), NOW, CONFIG)
        first = await servicer.ListCommands(control_pb2.ListCommandsRequest(limit=2), FakeContext())
        second = await servicer.ListCommands(control_pb2.ListCommandsRequest(limit=2, cursor=first.next_cursor),
                                             FakeContext())
        assert [c.command_id for c in (*first.commands, *second.commands)] == ["op:r2", "op:r1", "op:r0"]
        assert first.next_cursor and not second.next_cursor
        meters = await servicer.ListMeterControls(control_pb2.ListMeterControlsRequest(limit=2), FakeContext())
        assert [m.meter_id for m in meters.meters] == ["M0", "M1"] and meters.next_cursor
