"""gRPC adapters of ports.py: console asks acquisition, wallet, control and tariff over grpc.aio channels.

Every call has a deadline (settings.grpc_timeout_s). A remote refusal becomes a ConsoleError with a
Chinese and an English message (the service's own text kept): INVALID_ARGUMENT -> InvalidRequest,
NOT_FOUND -> NotFound, ALREADY_EXISTS / FAILED_PRECONDITION -> Conflict, UNAVAILABLE /
DEADLINE_EXCEEDED (and a failure inside the service) -> Unavailable. Protobuf never leaves this package.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import grpc

from services.console.domain.control import Operation
from services.console.entrypoints.remote import call_remote, remote_error
from services.console.entrypoints.wallet_client import WalletClient
from services.console.ports import BatchView, CommandView, ImportedMeters, Ports, SmsPort
from services.console.settings import ConsoleSettings
from services.contracts.meterpay.v1 import (
    acquisition_pb2,
    acquisition_pb2_grpc,
    common_pb2,
    control_pb2,
    control_pb2_grpc,
    tariff_pb2,
    tariff_pb2_grpc,
)
from services.kit.messaging import timestamp

__all__ = ["AcquisitionClient", "ControlClient", "TariffClient", "WalletClient", "connect_ports", "remote_error"]

OPERATIONS = {
    Operation.TRIP: control_pb2.OPERATION_FORCED_OFF,
    Operation.VALVE_CLOSE: control_pb2.OPERATION_FORCED_OFF,        # control sends a valve close to water meters
    Operation.CLOSE: control_pb2.OPERATION_RESTORE_PREPAID,
    Operation.VALVE_OPEN: control_pb2.OPERATION_RESTORE_PREPAID,
    Operation.RESTORE_PREPAID: control_pb2.OPERATION_RESTORE_PREPAID,
    Operation.POWER_GUARANTEE_ON: control_pb2.OPERATION_POWER_GUARANTEE_ON,
    Operation.POWER_GUARANTEE_OFF: control_pb2.OPERATION_POWER_GUARANTEE_OFF,
    Operation.READ_NOW: control_pb2.OPERATION_READ_NOW,
}


def _when(message: Any, field: str) -> datetime | None:
    return getattr(message, field).ToDatetime(tzinfo=UTC) if message.HasField(field) else None


def _relay(state: int) -> str:
    return common_pb2.RelayState.Name(state).removeprefix("RELAY_STATE_").lower()


def _action(action: int) -> str:
    return control_pb2.ControlAction.Name(action).removeprefix("CONTROL_ACTION_").lower()


def _operation_name(operation: int) -> str:
    return control_pb2.Operation.Name(operation).removeprefix("OPERATION_").lower()


def command_of(c: control_pb2.ControlCommandView) -> CommandView:
    attempts = tuple({"attempt": a.attempt, "sent_at": _when(a, "sent_at"), "completed_at": _when(a, "completed_at"),
                      "outcome": a.outcome, "detail": a.detail, "relay_state": _relay(a.relay_state)}
                     for a in c.attempts)
    return CommandView(command_id=c.command_id, meter_id=c.meter_id, action=_action(c.action), status=c.status,
                       requested_by=c.requested_by, reason=c.reason, created_at=_when(c, "created_at"),
                       completed_at=_when(c, "completed_at"), detail=c.detail, batch_id=c.batch_id,
                       attempt=c.attempt, attempt_limit=c.attempt_limit, relay_state=_relay(c.relay_state),
                       attempts=attempts)


def batch_of(b: control_pb2.BatchView) -> BatchView:
    counts = {"total": b.total, "queued": b.queued, "sent": b.sent, "confirmed": b.confirmed, "failed": b.failed,
              "cancelled": b.cancelled}
    return BatchView(batch_id=b.batch_id, action=_operation_name(b.operation), status=b.status,
                     requested_by=b.requested_by, reason=b.reason, counts=counts)


class AcquisitionClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float) -> None:
        self._stub = acquisition_pb2_grpc.AcquisitionServiceStub(channel)
        self._timeout_s = timeout_s

    async def _call(self, method: Callable[..., Awaitable[Any]], request: Any) -> Any:
        return await call_remote("acquisition", method, request, self._timeout_s)

    async def import_meters(self, sheet_csv: bytes) -> ImportedMeters:
        """The meters sheet as one CSV through ImportSheet: all rows or none."""
        reply = await self._call(self._stub.ImportSheet,
                                 acquisition_pb2.ImportSheetRequest(content=sheet_csv, filename="onboarding.csv"))
        return ImportedMeters(reply.gateways, reply.meters_created, reply.meters_updated)

    async def read_now(self, meter_ids: list[str]) -> tuple[int, int]:
        reply = await self._call(self._stub.ReadNow, acquisition_pb2.ReadNowRequest(meter_ids=meter_ids))
        return reply.read, reply.failed


class ControlClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float) -> None:
        self._stub = control_pb2_grpc.ControlServiceStub(channel)
        self._timeout_s = timeout_s

    async def _call(self, method: Callable[..., Awaitable[Any]], request: Any) -> Any:
        return await call_remote("control", method, request, self._timeout_s)

    async def submit_command(self, request_id: str, meter_id: str, action: str, requested_by: str, reason: str,
                             settings: dict | None = None) -> tuple[CommandView, bool]:
        request = control_pb2.SubmitCommandRequest(
            request_id=request_id, meter_id=meter_id, operation=OPERATIONS[Operation(action)],
            requested_by=requested_by, reason=reason, settings=control_pb2.SettingPush(**(settings or {})))
        reply = await self._call(self._stub.SubmitCommand, request)
        return command_of(reply.command), reply.duplicate

    async def list_commands(self, meter_id: str, limit: int, cursor: str,
                            with_attempts: bool = False) -> tuple[list[CommandView], str]:
        reply = await self._call(self._stub.ListCommands, control_pb2.ListCommandsRequest(
            meter_id=meter_id, limit=limit, cursor=cursor, with_attempts=with_attempts))
        return [command_of(c) for c in reply.commands], reply.next_cursor

    async def submit_batch(self, batch_id: str, action: str, meter_ids: list[str], run_at: datetime | None,
                           requested_by: str, reason: str) -> BatchView:
        request = control_pb2.SubmitBatchRequest(
            batch_id=batch_id, operation=OPERATIONS[Operation(action)],
            selection=control_pb2.MeterSelection(meter_ids=meter_ids), requested_by=requested_by, reason=reason,
            run_at=timestamp(run_at) if run_at is not None else None)
        return batch_of((await self._call(self._stub.SubmitBatch, request)).batch)

    async def get_batch(self, batch_id: str) -> BatchView:
        reply = await self._call(self._stub.GetBatch, control_pb2.GetBatchRequest(batch_id=batch_id))
        return batch_of(reply.batch)

    async def cancel_batch(self, batch_id: str, requested_by: str = "") -> BatchView:
        reply = await self._call(self._stub.CancelBatch,
                                 control_pb2.CancelBatchRequest(batch_id=batch_id, requested_by=requested_by))
        return batch_of(reply)


class TariffClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float) -> None:
        self._stub = tariff_pb2_grpc.TariffServiceStub(channel)
        self._timeout_s = timeout_s

    async def _call(self, method: Callable[..., Awaitable[Any]], request: Any) -> Any:
        return await call_remote("tariff", method, request, self._timeout_s)

    async def create_plan(self, plan_id: str, name: str, spec: dict, version_id: str = "",
                          effective_from: datetime | None = None) -> bool:
        """A plan with its first version (spec: tariff's plan definition); True when it is new."""
        request = tariff_pb2.CreatePlanRequest(
            plan_id=plan_id, name=name, definition_json=json.dumps(spec, ensure_ascii=False),
            version_id=version_id or f"{plan_id}:v1",
            effective_from=timestamp(effective_from) if effective_from is not None else None)
        return (await self._call(self._stub.CreatePlan, request)).created

    async def add_plan_version(self, plan_id: str, effective_from: datetime, spec: dict,
                               version_id: str = "") -> bool:
        """定时改价: the plan's prices from effective_from on; True when the version is new."""
        request = tariff_pb2.AddPlanVersionRequest(
            plan_id=plan_id, version_id=version_id or f"{plan_id}:{effective_from.isoformat()}",
            definition_json=json.dumps(spec, ensure_ascii=False), effective_from=timestamp(effective_from))
        return (await self._call(self._stub.AddPlanVersion, request)).created

    async def assign_plan(self, plan_id: str, meter_ids: list[str], effective_from: datetime | None = None) -> int:
        request = tariff_pb2.AssignPlanRequest(
            plan_id=plan_id, meter_ids=meter_ids,
            effective_from=timestamp(effective_from) if effective_from is not None else None)
        return (await self._call(self._stub.AssignPlan, request)).assigned

    async def list_plans(self, plan_ids: list[str]) -> list[dict]:
        """Tariff's summaries of the given plans (name, commodity, kind), walking its pages."""
        wanted, found, cursor = set(plan_ids), [], ""
        while wanted:
            reply = await self._call(self._stub.ListPlans, tariff_pb2.ListPlansRequest(limit=1000, cursor=cursor))
            found += [{"plan_id": p.plan_id, "name": p.name, "commodity": p.commodity, "kind": p.kind}
                      for p in reply.plans if p.plan_id in wanted]
            wanted -= {p.plan_id for p in reply.plans}
            if not reply.next_cursor:
                break
            cursor = reply.next_cursor
        return found

    async def meter_tariff(self, meter_id: str) -> list[dict]:
        """The price versions a meter is rated by (effective_from, definition)."""
        reply = await self._call(self._stub.GetMeterTariff, tariff_pb2.MeterTariffRequest(meter_id=meter_id))
        return [{"version_id": v.version_id, "effective_from": _when(v, "effective_from"),
                 "definition": json.loads(v.definition_json or "{}")} for v in reply.timeline]


def connect_ports(settings: ConsoleSettings, sms: SmsPort) -> tuple[Ports, Callable[[], Awaitable[None]]]:
    """Channels to the four services (call inside the serving event loop) and a coroutine closing them."""
    channels = [grpc.aio.insecure_channel(target) for target in (
        settings.acquisition_target, settings.wallet_target, settings.control_target, settings.tariff_target)]
    acquisition, wallet, control, tariff = channels
    timeout_s = settings.grpc_timeout_s
    ports = Ports(acquisition=AcquisitionClient(acquisition, timeout_s), wallet=WalletClient(wallet, timeout_s),
                  control=ControlClient(control, timeout_s), tariff=TariffClient(tariff, timeout_s), sms=sms)

    async def close() -> None:
        for channel in channels:
            await channel.close()

    return ports, close
