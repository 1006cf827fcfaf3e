"""What console publishes about its registry (registry.events.v1, key = the subject's id), so the other
services learn a meter's project, room and area and a tenant's contacts without calling console.

Each event carries the subject's whole current state (consumers keep the latest per subject), an id and
the time it happened (an event older than what a consumer holds is a no-op there).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from services.console.domain.people import Lease, Tenant
from services.console.domain.placements import AccountPlacement, MeterPlacement, RoomPlace
from services.console.domain.tree import Node


@dataclass(frozen=True)
class RegistryEvent:
    event_id: str
    occurred_at: datetime

    @property
    def subject_id(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class NodeChanged(RegistryEvent):
    """A node was created, moved, renamed or (rooms) given another area or use."""

    node_id: str
    kind: str
    name: str
    parent_id: str            # "" for the group
    path: str
    property_id: str          # "" above properties
    area_m2: Decimal | None
    room_use: str             # "" unless a room
    change: str               # "created", "moved", "renamed", "updated"

    @property
    def subject_id(self) -> str:
        return self.node_id


@dataclass(frozen=True)
class MeterPlaced(RegistryEvent):
    meter_id: str
    room_id: str
    property_id: str
    area_m2: str              # decimal text, "" when unknown
    room_path: str
    building_id: str

    @property
    def subject_id(self) -> str:
        return self.meter_id


@dataclass(frozen=True)
class TenantContactsChanged(RegistryEvent):
    tenant_id: str
    name: str
    phone: str
    email: str
    wechat_openid: str
    language: str
    property_id: str

    @property
    def subject_id(self) -> str:
        return self.tenant_id


@dataclass(frozen=True)
class LeaseChanged(RegistryEvent):
    lease_id: str
    tenant_id: str
    room_ids: tuple[str, ...]
    starts_on: date
    ends_on: date | None
    property_id: str

    @property
    def subject_id(self) -> str:
        return self.lease_id


@dataclass(frozen=True)
class AccountPlaced(RegistryEvent):
    account_id: str
    tenant_id: str
    property_id: str

    @property
    def subject_id(self) -> str:
        return self.account_id


def _id() -> str:
    return uuid.uuid4().hex


def node_changed(node: Node, change: str, at: datetime) -> NodeChanged:
    return NodeChanged(event_id=_id(), occurred_at=at, node_id=node.node_id, kind=str(node.kind), name=node.name,
                       parent_id=node.parent_id or "", path=node.path, property_id=node.property_id or "",
                       area_m2=node.area_m2, room_use=str(node.room_use or ""), change=change)


def meter_placed(meter: MeterPlacement, room: RoomPlace, at: datetime) -> MeterPlaced:
    return MeterPlaced(event_id=_id(), occurred_at=at, meter_id=meter.meter_id, room_id=meter.room_id,
                       property_id=meter.property_id, area_m2=room.area_m2, room_path=room.path,
                       building_id=room.building_id)


def tenant_changed(tenant: Tenant, at: datetime) -> TenantContactsChanged:
    return TenantContactsChanged(event_id=_id(), occurred_at=at, tenant_id=tenant.tenant_id, name=tenant.name,
                                 phone=tenant.phone, email=tenant.email, wechat_openid=tenant.wechat_openid,
                                 language=tenant.language, property_id=tenant.property_id)


def lease_changed(lease: Lease, at: datetime) -> LeaseChanged:
    return LeaseChanged(event_id=_id(), occurred_at=at, lease_id=lease.lease_id, tenant_id=lease.tenant_id,
                        room_ids=lease.room_ids, starts_on=lease.starts_on, ends_on=lease.ends_on,
                        property_id=lease.property_id)


def account_placed(account: AccountPlacement, at: datetime) -> AccountPlaced:
    return AccountPlaced(event_id=_id(), occurred_at=at, account_id=account.account_id,
                         tenant_id=account.tenant_id or "", property_id=account.property_id)
