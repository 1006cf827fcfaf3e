"""Control from the console against a REAL control (its gRPC servicer in-process on its own database): a command
is submitted once per Idempotency-Key and only on meters in the caller's CONTROL scope; batches only over
meters in the BATCH scope (else 404 listing them, nothing submitted); lists and details stay in scope; the
console's insert never overwrites the outcome the control.events.v1 projection wrote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from console_clerks import Clerks
from sqlalchemy import text

import services.control
from services.console.entrypoints.clients import ControlClient
from services.console.ports import Ports
from services.console.repository.commands import CommandRow
from services.console.unit_of_work import ConsoleUnitOfWork
from services.contracts.meterpay.v1 import control_pb2, control_pb2_grpc
from services.control.domain.lifecycle import RetryPolicy
from services.control.domain.windows import DayKind
from services.control.entrypoints.events import to_outgoing
from services.control.entrypoints.grpc import ControlGrpc
from services.control.service.config import ControlConfig
from services.control.unit_of_work import ControlUnitOfWork
from services.kit.clock import SystemClock
from services.kit.grpc import start_grpc_server

CONTROL_MIGRATIONS = str(Path(services.control.__file__).parent / "migrations")
CONFIG = ControlConfig(RetryPolicy(max_attempts=2, result_timeout_s=30), lambda day: DayKind.WORKDAY)
PASSWORD = "control-pw-1234"


@dataclass
class Control:
    client: ControlClient
    stub: control_pb2_grpc.ControlServiceStub

    async def commands_of(self, meter_id: str) -> list[control_pb2.ControlCommandView]:
        return list((await self.stub.ListCommands(control_pb2.ListCommandsRequest(meter_id=meter_id))).commands)

    async def batches(self) -> list[control_pb2.BatchView]:
        return list((await self.stub.ListBatches(control_pb2.ListBatchesRequest())).batches)


@pytest.fixture
async def control(service_database):
    sessions = await service_database("control", CONTROL_MIGRATIONS)
    new_uow = lambda: ControlUnitOfWork(sessions, lambda: None, to_outgoing)  # noqa: E731
    server, port = await start_grpc_server("127.0.0.1", 0, [
        (control_pb2_grpc.add_ControlServiceServicer_to_server, ControlGrpc(new_uow, SystemClock(), CONFIG),
         "meterpay.v1.ControlService")])
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield Control(ControlClient(channel, timeout_s=5.0), control_pb2_grpc.ControlServiceStub(channel))
    await channel.close()
    await server.stop(0)


class NoSms:
    async def send_login_code(self, phone: str, code: str) -> None:
        raise AssertionError("no tenant logs in here")


@dataclass
class Desk(Clerks):
    control: Control


@pytest.fixture
async def desk(console_app, console_tree, console_sessions, make_operator, control) -> Desk:
    """Meters M-a1, M-a2 in property A's room, M-b1 in B's; electricians of A and B, a cashier of A."""
    async with console_sessions() as s:
        for meter_id, tag in (("M-a1", "a"), ("M-a2", "a"), ("M-b1", "b")):
            await s.execute(text("INSERT INTO meters (meter_id, room_id, property_id, path)"
                                 " VALUES (:m, :r, :p, text2ltree(:rp))"),
                            {"m": meter_id, "r": f"room-{tag}1", "p": f"prop-{tag}",
                             "rp": console_tree[f"room-{tag}1"]})
        await s.commit()
    await make_operator("elec-a", PASSWORD, [("park_electrician", "prop-a")])
    await make_operator("elec-b", PASSWORD, [("park_electrician", "prop-b")])
    await make_operator("cashier-a", PASSWORD, [("cashier", "prop-a")])
    ports = Ports(acquisition=None, wallet=None, control=control.client, tariff=None, sms=NoSms())  # type: ignore[arg-type]
    console = await console_app(ports=ports)
    headers = {name: await console.login(name, PASSWORD) for name in ("elec-a", "elec-b", "cashier-a")}
    return Desk(console, headers, control)


class TestCommands:
    async def test_a_double_click_trips_once_and_answers_the_same(self, desk):
        body = {"meter_id": "M-a1", "operation": "trip", "reason": "欠费拉闸"}
        first = await desk.post("elec-a", "/api/v1/commands", body, key="trip-1")
        second = await desk.post("elec-a", "/api/v1/commands", body, key="trip-1")
        assert first.status_code == second.status_code == 201, (first.text, second.text)
        assert first.json() == second.json()
        assert (first.json()["action"], first.json()["property_id"], first.json()["operation"]) == (
            "trip", "prop-a", "trip")
        commands = await desk.control.commands_of("M-a1")
        assert [c.command_id for c in commands] == [first.json()["command_id"]]
        assert commands[0].requested_by == "operator:elec-a"

    async def test_the_same_key_for_another_operation_is_a_conflict(self, desk):
        await desk.post("elec-a", "/api/v1/commands", {"meter_id": "M-a1", "operation": "trip"}, key="k")
        again = await desk.post("elec-a", "/api/v1/commands", {"meter_id": "M-a1", "operation": "close"}, key="k")
        assert again.status_code == 409, again.text
        assert len(await desk.control.commands_of("M-a1")) == 1

    async def test_a_meter_out_of_scope_or_without_control_is_absent_and_nothing_is_sent(self, desk):
        foreign = await desk.post("elec-a", "/api/v1/commands", {"meter_id": "M-b1", "operation": "trip"})
        assert foreign.status_code == 404, foreign.text
        cashier = await desk.post("cashier-a", "/api/v1/commands", {"meter_id": "M-a1", "operation": "trip"})
        assert cashier.status_code == 404, cashier.text
        unknown = await desk.post("elec-a", "/api/v1/commands", {"meter_id": "M-zz", "operation": "trip"})
        assert unknown.status_code == 404, unknown.text
        assert await desk.control.commands_of("M-b1") == [] and await desk.control.commands_of("M-a1") == []

    async def test_an_unknown_operation_or_a_missing_key_is_refused(self, desk):
        bad = await desk.post("elec-a", "/api/v1/commands", {"meter_id": "M-a1", "operation": "explode"})
        assert bad.status_code == 422, bad.text
        keyless = await desk.post("elec-a", "/api/v1/commands", {"meter_id": "M-a1", "operation": "trip"}, key=None)
        assert keyless.status_code == 400 and keyless.json()["error"]["code"] == "idempotency_key_required"
        assert await desk.control.commands_of("M-a1") == []

    async def test_lists_and_details_stay_in_scope_and_the_detail_has_control_attempts(self, desk):
        made = (await desk.post("elec-a", "/api/v1/commands", {"meter_id": "M-a1", "operation": "power_guarantee_on"},
                                key="pg")).json()
        mine = (await desk.get("elec-a", "/api/v1/commands?meter_id=M-a1")).json()
        assert [(c["command_id"], c["property_id"]) for c in mine["items"]] == [(made["command_id"], "prop-a")]
        assert (await desk.get("elec-b", "/api/v1/commands")).json()["items"] == []
        assert (await desk.get("elec-b", f"/api/v1/commands/{made['command_id']}")).status_code == 404
        detail = await desk.get("elec-a", f"/api/v1/commands/{made['command_id']}")
        assert detail.status_code == 200, detail.text
        assert detail.json()["action"] == "power_guarantee_on" and "attempts" in detail.json()
        assert (await desk.get("elec-a", "/api/v1/commands?status=nonsense")).status_code == 400

    async def test_the_console_insert_leaves_the_outcome_the_projection_wrote(self, desk, console_sessions,
                                                                             console_tree):
        done_at = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
        outcome = CommandRow("op:x", "M-a1", "prop-a", console_tree["room-a1"], "trip", "confirmed",
                             completed_at=done_at)
        queued = CommandRow("op:x", "M-a1", "prop-a", console_tree["room-a1"], "trip", "queued")
        async with ConsoleUnitOfWork(console_sessions, lambda: None) as uow:
            assert await uow.commands.record_command(outcome)
            assert not await uow.commands.record_command(queued)
            await uow.commit()
            row = await uow.commands.get_command("op:x", [console_tree["prop-a"]])
        assert (row.status, row.completed_at) == ("confirmed", done_at)


class TestBatches:
    async def test_a_batch_with_a_meter_out_of_scope_is_refused_listing_it(self, desk):
        answer = await desk.post("elec-a", "/api/v1/batches", {"operation": "trip", "meter_ids": ["M-a1", "M-b1"]})
        assert answer.status_code == 404, answer.text
        assert "M-b1" in answer.json()["error"]["message_en"] and "M-a1" not in answer.json()["error"]["message_en"]
        foreign_site = await desk.post("elec-a", "/api/v1/batches", {"operation": "trip", "property_id": "prop-b"},
                                       key="k2")
        assert foreign_site.status_code == 404, foreign_site.text
        assert await desk.control.batches() == []

    async def test_a_batch_over_a_property_reaches_its_meters_once_and_stays_in_scope(self, desk):
        body = {"operation": "read_now", "property_id": "prop-a", "reason": "月底抄表"}
        first = await desk.post("elec-a", "/api/v1/batches", body, key="b1")
        second = await desk.post("elec-a", "/api/v1/batches", body, key="b1")
        assert first.status_code == 201 and first.json() == second.json(), first.text
        batch = first.json()
        assert (batch["items"], batch["property_id"], batch["counts"]["total"]) == (2, "prop-a", 2)
        assert len(await desk.control.batches()) == 1
        listed = (await desk.get("elec-a", "/api/v1/batches")).json()["items"]
        assert [b["batch_id"] for b in listed] == [batch["batch_id"]]
        assert (await desk.get("elec-b", "/api/v1/batches")).json()["items"] == []
        assert (await desk.get("elec-b", f"/api/v1/batches/{batch['batch_id']}")).status_code == 404
        detail = (await desk.get("elec-a", f"/api/v1/batches/{batch['batch_id']}")).json()
        assert detail["counts"]["total"] == 2

    async def test_a_scheduled_batch_can_be_cancelled(self, desk):
        run_at = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
        made = await desk.post("elec-a", "/api/v1/batches",
                               {"operation": "trip", "meter_ids": ["M-a1", "M-a2"], "run_at": run_at}, key="b3")
        assert made.status_code == 201 and made.json()["status"] == "scheduled", made.text
        batch_id = made.json()["batch_id"]
        assert (await desk.post("elec-b", f"/api/v1/batches/{batch_id}/cancel", {})).status_code == 404
        cancelled = await desk.post("elec-a", f"/api/v1/batches/{batch_id}/cancel", {})
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text
        assert await desk.control.commands_of("M-a1") == []
