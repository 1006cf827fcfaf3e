"""What a caller asks of acquisition, as it asked it: registrations are checked by the registry's
rules (domain/registry.py), field commands by the protocol's (domain/actions.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.acquisition.domain.actions import ControlAction


@dataclass(frozen=True)
class RegisterGateway:
    """Add or update a gateway; the transport as the caller wrote it ("" = modbus-tcp)."""

    gateway_id: str
    host: str
    port: int
    transport: str
    poll_interval_s: int | None = None
    project_id: str | None = None


@dataclass(frozen=True)
class RegisterMeter:
    """Add or update a meter behind a registered gateway (0 / "" = the defaults)."""

    meter_id: str
    gateway_id: str
    device_id: int
    kind: int = 1
    ct_ratio: int = 1
    protocol: str = "modbus"
    address: str = ""
    bus: int = 1


@dataclass(frozen=True)
class SetProjectInterval:
    """F-01: a project's own reading interval."""

    project_id: str
    poll_interval_s: int


@dataclass(frozen=True)
class PlaceMeter:
    """The console placed a meter in a room (registry.events.v1 MeterPlaced), as it said it.

    property_id is the project other services key their settings by; area_m2 is decimal text.
    """

    meter_id: str
    room_id: str
    property_id: str
    building_id: str
    area_m2: str
    placed_at: datetime


@dataclass(frozen=True)
class SettingRequest:
    """The values a price or threshold push asks for (empty / 0 = leave as is)."""

    price_yuan: str = ""
    alarm1_fen: int = 0
    alarm2_fen: int = 0
    overload_w: int = 0


@dataclass(frozen=True)
class FieldCommand:
    """Execute an action on a meter (from control.commands.v1); command id + attempt identify it."""

    command_id: str
    meter_id: str
    action: ControlAction
    attempt: int
    settings: SettingRequest = field(default_factory=SettingRequest)
