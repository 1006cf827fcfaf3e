"""The registry: gateways (网关) and the meters (表计) behind them, with the rules of what fits where.

A gateway's transport says how we reach its RS-485 bus; a meter's protocol says how it
talks on that bus. The enums' values are the words stored in the database and used on
the wire (`"modbus-tcp"`, `"dlt645"`), and the meter kinds the numbers of
meterpay.v1.MeterKind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import IntEnum, StrEnum

from services.acquisition.domain.commands import PlaceMeter, RegisterGateway, RegisterMeter
from services.acquisition.domain.errors import InvalidRegistration


class GatewayTransport(StrEnum):
    MODBUS_TCP = "modbus-tcp"            # communication manager: Modbus TCP up, Modbus RTU on RS-485
    TRANSPARENT_TCP = "transparent-tcp"  # serial server: bytes on a TCP port go to one RS-485 bus
    DTU = "dtu"                          # 4G DTU that dials in to the platform


class MeterProtocol(StrEnum):
    MODBUS = "modbus"
    DLT645 = "dlt645"
    CJT188 = "cjt188"


class MeterKind(IntEnum):
    """Mirrors meterpay.v1.MeterKind."""

    ELECTRICITY = 1
    WATER = 2


PROTOCOLS_BEHIND = {
    GatewayTransport.MODBUS_TCP: (MeterProtocol.MODBUS,),
    GatewayTransport.TRANSPARENT_TCP: (MeterProtocol.DLT645, MeterProtocol.CJT188),
    GatewayTransport.DTU: (MeterProtocol.DLT645, MeterProtocol.CJT188),
}
ADDRESS_DIGITS = {MeterProtocol.DLT645: 12, MeterProtocol.CJT188: 14}
MAX_DEVICE_ID = 247
MAX_AREA_M2 = Decimal(10) ** 9   # what the area column holds (NUMERIC(12, 2)); more is not a room
_TRANSPORTS = {transport.value for transport in GatewayTransport}
_KINDS = {kind.value for kind in MeterKind}


@dataclass(frozen=True, slots=True)
class Gateway:
    """A gateway as registered, and (when read back) its last known link state and schedule."""

    gateway_id: str
    transport: GatewayTransport
    host: str = ""
    port: int = 0
    poll_interval_s: int | None = None
    project_id: str | None = None
    online: bool = True
    last_polled_at: datetime | None = None
    project_interval_s: int | None = None

    @property
    def dials_in(self) -> bool:
        return self.transport == GatewayTransport.DTU

    def interval_s(self, default_s: float) -> float:
        """F-01: the gateway's own interval, else its project's, else the default."""
        return float(self.poll_interval_s or self.project_interval_s or default_s)


@dataclass(frozen=True, slots=True)
class Meter:
    """A meter as registered: where it sits (gateway, bus, device id or address) and how it talks."""

    meter_id: str
    gateway_id: str
    device_id: int
    kind: MeterKind = MeterKind.ELECTRICITY
    ct_ratio: int = 1
    protocol: MeterProtocol = MeterProtocol.MODBUS
    address: str = ""
    bus: int = 1


@dataclass(frozen=True, slots=True)
class MeterPlacement:
    """Where the console placed a meter (房间 room, 项目 property = project), kept by meter id whether or
    not the meter is registered yet; placed_at orders placements (an older one changes nothing)."""

    meter_id: str
    room_id: str
    property_id: str
    building_id: str
    area_m2: Decimal | None
    placed_at: datetime


@dataclass(frozen=True, slots=True)
class BusPosition:
    """Where a meter sits: the keyset of the poll order (gateway, bus, device id), unique per meter."""

    gateway_id: str
    bus: int
    device_id: int


def address_problem(protocol: MeterProtocol, address: str) -> str | None:
    """What is wrong with a meter's address for its protocol, or None."""
    digits = ADDRESS_DIGITS.get(protocol)
    if digits and (len(address) != digits or not address.isdigit()):
        return f"a {protocol} address is {digits} digits, got {address!r}"
    return None


def gateway_of(command: RegisterGateway) -> Gateway:
    """The gateway a registration describes, or InvalidRegistration. A DTU needs no host or port."""
    text = command.transport or GatewayTransport.MODBUS_TCP
    if text not in _TRANSPORTS:
        raise InvalidRegistration(
            f"gateway transport {text!r} is not one of {', '.join(GatewayTransport)}")
    transport = GatewayTransport(text)
    if not command.gateway_id or (transport != GatewayTransport.DTU
                                  and (not command.host or not 0 < command.port < 65536)):
        raise InvalidRegistration("a gateway needs an id, a host and a port in 1..65535 (a DTU only an id)")
    return Gateway(command.gateway_id, transport, command.host, command.port, command.poll_interval_s or None,
                   command.project_id or None)


def meter_of(command: RegisterMeter, transport: GatewayTransport) -> Meter:
    """The meter a registration describes, if it fits behind a gateway of `transport`."""
    if not command.meter_id or not 1 <= command.device_id <= MAX_DEVICE_ID:
        raise InvalidRegistration("a meter needs an id and a device id in 1..247")
    protocol_text = command.protocol or MeterProtocol.MODBUS
    if protocol_text not in PROTOCOLS_BEHIND[transport]:
        raise InvalidRegistration(f"a {protocol_text} meter cannot sit behind a {transport} gateway")
    protocol = MeterProtocol(protocol_text)
    problem = address_problem(protocol, command.address)
    if problem:
        raise InvalidRegistration(problem)
    kind = command.kind or MeterKind.ELECTRICITY
    if kind not in _KINDS:
        raise InvalidRegistration(f"meter kind {kind} is not electricity (1) or water (2)")
    return Meter(command.meter_id, command.gateway_id, command.device_id, MeterKind(kind), command.ct_ratio or 1,
                 protocol, command.address, command.bus or 1)


def placement_of(command: PlaceMeter) -> MeterPlacement | None:
    """The placement an event describes; None when it names no meter (there is nothing to keep).

    An area that is not a decimal in 0..10^9 m² is kept as unknown: the placement itself still holds.
    """
    if not command.meter_id:
        return None
    return MeterPlacement(command.meter_id, command.room_id, command.property_id, command.building_id,
                          _area_m2(command.area_m2), command.placed_at)


def _area_m2(text: str) -> Decimal | None:
    try:
        area = Decimal(text)
    except InvalidOperation:
        return None
    return area if area.is_finite() and 0 <= area < MAX_AREA_M2 else None
