"""Use cases of the control service: turn wallet and device facts into relay commands."""

from __future__ import annotations

import uuid
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from services.contracts.meterpay.v1 import control_pb2, device_pb2, wallet_pb2
from services.control.domain.policy import Mode, Supply, desired_supply, next_action
from services.control.repository import ControlRepository, MeterControlRow
from services.kit import messaging
from services.kit.db import UnitOfWork
from services.kit.inbox import first_delivery
from services.kit.logging import get_logger

log = get_logger(__name__)

SUPPLY_EVENTS = {wallet_pb2.WALLET_EVENT_KIND_ARREARS: True, wallet_pb2.WALLET_EVENT_KIND_RECOVERED: False}


class ControlUnitOfWork(UnitOfWork):
    repo: ControlRepository

    def attach_repositories(self, session) -> None:
        self.repo = ControlRepository(session)


def _ts(at: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at)
    return ts


async def on_wallet_event(uow: ControlUnitOfWork, event: wallet_pb2.WalletEvent, now: datetime) -> int:
    """Arrears cut supply and recovery restores it, per meter of the account; returns commands issued."""
    in_arrears = SUPPLY_EVENTS.get(event.kind)
    if in_arrears is None:
        return 0
    issued = 0
    async with uow:
        if not await first_delivery(uow.session, "control.wallet-events", event.event_id):
            return 0
        for meter_id in event.meter_ids:
            meter = await uow.repo.meter_for_update(meter_id)
            await uow.repo.update_meter(meter_id, now, in_arrears=in_arrears)
            reason = "欠费断电 arrears" if in_arrears else "充值复电 recharge restored the balance"
            issued += await _reconcile_meter(uow, meter, in_arrears, meter.known_state,
                                             f"wallet-event:{event.event_id}", reason, now)
        await uow.commit()
    return issued


async def on_control_result(uow: ControlUnitOfWork, result: control_pb2.ControlResult, now: datetime) -> None:
    """Record what the meter answered, then issue the next command if the meter is still not as desired."""
    async with uow:
        command = await uow.repo.command(result.command_id)
        if command is None or command.status != "sent":
            return  # a result we did not ask for, or one seen before
        confirmed = result.outcome == control_pb2.CONTROL_OUTCOME_CONFIRMED
        await uow.repo.complete_command(result.command_id, "confirmed" if confirmed else "failed", result.detail, now)
        meter = await uow.repo.meter_for_update(result.meter_id)
        known = result.relay_state or meter.known_state
        await uow.repo.update_meter(result.meter_id, now, known_state=known)
        await uow.emit(messaging.CONTROL_EVENTS, result.meter_id, result)
        if confirmed:
            await _reconcile_meter(uow, meter, meter.in_arrears, known, "control:follow-up",
                                   "状态变化 state changed while the command ran", now)
        else:
            log.warning("command failed", command_id=result.command_id, meter_id=result.meter_id,
                        detail=result.detail)
        await uow.commit()


async def on_device_status(uow: ControlUnitOfWork, status: device_pb2.DeviceStatus, now: datetime) -> None:
    """Keep the last known relay state from the field (a meter tripped by hand, a reading)."""
    if status.device_type != device_pb2.DEVICE_TYPE_METER or not status.relay_state:
        return
    async with uow:
        await uow.repo.meter_for_update(status.device_id)
        await uow.repo.update_meter(status.device_id, now, known_state=status.relay_state)
        await uow.commit()


async def _reconcile_meter(uow: ControlUnitOfWork, meter: MeterControlRow, in_arrears: bool, known: int,
                           requested_by: str, reason: str, now: datetime) -> int:
    desired = desired_supply(Mode(meter.mode), in_arrears)
    action = next_action(desired, Supply(known), await uow.repo.command_in_flight(meter.meter_id))
    if action is None:
        return 0
    command = control_pb2.ControlCommand(
        command_id=str(uuid.uuid4()), meter_id=meter.meter_id, action=int(action), issued_at=_ts(now),
        reason=reason, requested_by=requested_by, attempt=1)
    await uow.repo.add_command(dict(
        command_id=command.command_id, meter_id=meter.meter_id, action=int(action), status="sent", attempt=1,
        requested_by=requested_by[:200], reason=reason[:200], created_at=now))
    await uow.emit(messaging.CONTROL_COMMANDS, meter.meter_id, command)
    log.info("command issued", meter_id=meter.meter_id, action=action.name, requested_by=requested_by)
    return 1


