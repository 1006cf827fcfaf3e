"""Protobuf <-> domain for the gRPC face: requests into domain values, records into replies."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from services.contracts.meterpay.v1 import control_pb2 as pb
from services.control.domain.batches import Batch, Selection, selection_mode, selection_state
from services.control.domain.commands import OPERATOR_UNKNOWN, TAGS_REFUSED, OperatorRequest, SetMeterTags
from services.control.domain.errors import InvalidTags
from services.control.domain.lifecycle import Attempt, Command
from services.control.domain.meter import MeterControl, MeterTags
from services.control.domain.operations import Settings
from services.control.domain.policy import Kind, desired_supply
from services.control.domain.windows import ProtectionWindow, parse_time_of_day
from services.control.entrypoints.events import setting_push
from services.control.service.queries import BatchSummary
from services.kit.messaging import timestamp

# ---- requests -> domain


def selection_of(selection: pb.MeterSelection) -> Selection:
    return Selection(meter_ids=tuple(sorted(set(selection.meter_ids))), project=selection.project,
                     building=selection.building, floor=selection.floor, tenant=selection.tenant,
                     mode=selection_mode(selection.mode), state=selection_state(selection.state))


def settings_of(push: pb.SettingPush) -> Settings:
    return Settings(push.price_yuan, push.overload_w, push.alarm1_fen, push.alarm2_fen)


def operator_request(request_id: str, request: pb.SubmitCommandRequest | pb.SubmitBatchRequest) -> OperatorRequest:
    return OperatorRequest(request_id, request.operation, settings_of(request.settings),
                           request.requested_by or OPERATOR_UNKNOWN, request.reason)


def tags_change(request: pb.SetMeterTagsRequest) -> SetMeterTags:
    t = request.tags
    try:
        kind = Kind(t.kind)
    except ValueError:
        raise InvalidTags(TAGS_REFUSED) from None
    return SetMeterTags(request.meter_id, MeterTags(t.project, t.building, t.floor, t.tenant), kind,
                        t.overload_threshold_w)


def window_of(request: pb.ProtectionWindow) -> ProtectionWindow:
    return ProtectionWindow(request.project, parse_time_of_day(request.night_start),
                            parse_time_of_day(request.night_end), request.weekends, request.holidays,
                            request.timezone or "Asia/Shanghai")


# ---- domain -> replies


def _ts(at: datetime | None) -> Timestamp | None:
    return timestamp(at) if at is not None else None


def meter_view(m: MeterControl) -> pb.MeterControl:
    return pb.MeterControl(
        meter_id=m.meter_id, mode=m.mode.value, in_arrears=m.in_arrears,
        desired_state=int(desired_supply(m.state)), known_state=int(m.known_state),
        tags=pb.MeterTags(project=m.tags.project, building=m.tags.building, floor=m.tags.floor,
                          tenant=m.tags.tenant, kind=int(m.kind), overload_threshold_w=m.overload_threshold_w),
        online=m.online, overload_tripped=m.overload_tripped, last_power_w=m.last_power_w,
        cut_deferred_until=_ts(m.cut_check_at), updated_at=_ts(m.updated_at))


def command_view(c: Command, attempts: tuple[Attempt, ...] = ()) -> pb.ControlCommandView:
    return pb.ControlCommandView(
        command_id=c.command_id, meter_id=c.meter_id, action=int(c.action), status=c.status.value,
        requested_by=c.requested_by, reason=c.reason, created_at=_ts(c.created_at),
        completed_at=_ts(c.completed_at), detail=c.detail, batch_id=c.batch_id or "", attempt=c.attempt,
        attempt_limit=c.attempt_limit, sent_at=_ts(c.sent_at), next_attempt_at=_ts(c.next_attempt_at),
        relay_state=int(c.relay_state), settings=setting_push(c.settings) if c.settings else None,
        attempts=[pb.CommandAttempt(attempt=a.attempt, sent_at=_ts(a.sent_at), completed_at=_ts(a.completed_at),
                                    outcome=a.outcome.value, detail=a.detail, relay_state=int(a.relay_state))
                  for a in attempts])


def batch_view(summary: BatchSummary) -> pb.BatchView:
    b, progress = summary.batch, summary.progress
    return pb.BatchView(
        batch_id=b.batch_id, operation=int(b.operation), status=b.status.value, requested_by=b.requested_by,
        reason=b.reason, created_at=_ts(b.created_at), run_at=_ts(b.run_at), started_at=_ts(b.started_at),
        finished_at=_ts(b.finished_at), total=b.total, queued=progress.queued, sent=progress.sent,
        confirmed=progress.confirmed, failed=progress.failed, cancelled=progress.cancelled,
        selection=selection_view(b), settings=setting_push(b.settings) if b.settings else None)


def selection_view(b: Batch) -> pb.MeterSelection:
    s = b.selection
    return pb.MeterSelection(meter_ids=s.meter_ids, project=s.project, building=s.building, floor=s.floor,
                             tenant=s.tenant, mode=s.mode.value if s.mode else "",
                             state=s.state.value if s.state else "")


def window_view(w: ProtectionWindow) -> pb.ProtectionWindow:
    return pb.ProtectionWindow(
        project=w.project, night_start=w.night_start.isoformat() if w.night_start else "",
        night_end=w.night_end.isoformat() if w.night_end else "", weekends=w.weekends, holidays=w.holidays,
        timezone=w.timezone)
