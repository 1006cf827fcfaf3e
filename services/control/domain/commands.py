"""What callers ask of control: facts other services report, and operators' requests.

The entrypoints build these from protobuf; the use cases take nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.control.domain.batches import Selection
from services.control.domain.errors import InvalidTags
from services.control.domain.lifecycle import Status
from services.control.domain.meter import MeterTags
from services.control.domain.operations import Settings
from services.control.domain.policy import Kind, Supply

OPERATOR_UNKNOWN = "operator:unknown"
TAGS_REFUSED = "表号必填，阈值不能为负 meter id required, threshold >= 0, kind electricity or water"

# ---- facts from other services


@dataclass(frozen=True)
class WalletSupplyChanged:
    """The wallet put an account into arrears (cut its meters) or out of it (restore them)."""

    event_id: str
    meter_ids: tuple[str, ...]
    in_arrears: bool


@dataclass(frozen=True)
class ControlResultReported:
    """Acquisition's answer to one attempt of a command."""

    command_id: str
    attempt: int
    confirmed: bool
    relay_state: Supply
    detail: str


@dataclass(frozen=True)
class DeviceStatusObserved:
    """A meter's presence and relay state as polled; changed_at is when the poll read it (None: unknown)."""

    meter_id: str
    online: bool
    relay_state: Supply
    changed_at: datetime | None = None


@dataclass(frozen=True)
class ReadingObserved:
    """What control needs of a reading: which meter, what kind it says it is, the power it draws."""

    meter_id: str
    kind: Kind
    power_w: int


@dataclass(frozen=True)
class MeterPlaced:
    """The console placed a meter in a room of a property (registry.events.v1); the property is the
    project whose protection window applies. placed_at orders placements: an older one is no news."""

    meter_id: str
    project: str
    placed_at: datetime


# ---- operators


@dataclass(frozen=True)
class OperatorRequest:
    """One operation as an operator asked for it; request_id is the caller's idempotency key."""

    request_id: str
    operation: int
    settings: Settings
    requested_by: str
    reason: str


@dataclass(frozen=True)
class SubmitCommand:
    """One operation on one meter."""

    meter_id: str
    request: OperatorRequest


@dataclass(frozen=True)
class SetMeterTags:
    meter_id: str
    tags: MeterTags
    kind: Kind
    overload_threshold_w: int

    def __post_init__(self) -> None:
        if not self.meter_id or self.overload_threshold_w < 0:
            raise InvalidTags(TAGS_REFUSED)


@dataclass(frozen=True)
class SubmitBatch:
    request: OperatorRequest
    selection: Selection
    run_at: datetime | None = None     # None: now


@dataclass(frozen=True)
class ResendFailed:
    """补发: the batch's given-up items, or only the named ones."""

    batch_id: str
    command_ids: tuple[str, ...] = ()
    requested_by: str = OPERATOR_UNKNOWN


@dataclass(frozen=True)
class CancelBatch:
    batch_id: str
    requested_by: str = OPERATOR_UNKNOWN


# ---- reads


@dataclass(frozen=True)
class CommandQuery:
    """Which commands to list (newest first); empty fields do not filter."""

    meter_id: str = ""
    batch_id: str = ""
    status: Status | None = None
    with_attempts: bool = False
