"""The one event mapper of control: domain event -> Outgoing(topic, key, protobuf message).

Keys are the meter id on both topics, so one meter's commands and outcomes stay in order.
"""

from __future__ import annotations

from services.contracts.meterpay.v1 import control_pb2
from services.control.domain.events import CommandFinished, CommandIssued
from services.control.domain.lifecycle import Status
from services.control.domain.operations import Settings
from services.kit import messaging
from services.kit.db import Outgoing
from services.kit.messaging import timestamp


def to_outgoing(event: object) -> Outgoing:
    if isinstance(event, CommandIssued):
        return Outgoing(messaging.CONTROL_COMMANDS, event.meter_id, control_command(event))
    if isinstance(event, CommandFinished):
        return Outgoing(messaging.CONTROL_EVENTS, event.meter_id, control_result(event))
    raise TypeError(f"control publishes no {type(event).__name__}")


def control_command(event: CommandIssued) -> control_pb2.ControlCommand:
    return control_pb2.ControlCommand(
        command_id=event.command_id, meter_id=event.meter_id, action=int(event.action),
        issued_at=timestamp(event.issued_at), reason=event.reason, requested_by=event.requested_by,
        attempt=event.attempt, settings=setting_push(event.settings) if event.settings else None)


def control_result(event: CommandFinished) -> control_pb2.ControlResult:
    """A final outcome republished for notify and the console (acquisition's results leave the last four empty)."""
    confirmed = event.status is Status.CONFIRMED
    return control_pb2.ControlResult(
        command_id=event.command_id, meter_id=event.meter_id,
        outcome=control_pb2.CONTROL_OUTCOME_CONFIRMED if confirmed else control_pb2.CONTROL_OUTCOME_FAILED,
        relay_state=int(event.relay_state), detail=event.detail, completed_at=timestamp(event.completed_at),
        attempt=event.attempt, action=int(event.action), reason=event.reason, requested_by=event.requested_by,
        status=event.status.value)


def setting_push(settings: Settings) -> control_pb2.SettingPush:
    return control_pb2.SettingPush(price_yuan=settings.price_yuan, overload_w=settings.overload_w,
                                   alarm1_fen=settings.alarm1_fen, alarm2_fen=settings.alarm2_fen)
