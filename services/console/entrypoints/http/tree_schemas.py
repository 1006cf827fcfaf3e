"""Requests and answers of the tree, tenants and imports routes (pydantic): what an integrator sends and gets.

Areas are decimal text in m2 ("86.50"); dates ISO (YYYY-MM-DD, China time); ids 1-64 letters, digits,
'-' or '_'. Everything sent is bounded, so a malformed request is a 422 with the error body.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from services.console.domain.people import Lease, Tenant
from services.console.domain.tree import Node

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
NodeKindIn = Literal["region", "property", "building", "floor", "room"]
RoomUseIn = Literal["shop", "office", "apartment", "public"]
Area = Decimal
AREA = {"gt": 0, "le": 1_000_000, "decimal_places": 2}


class NodeOut(BaseModel):
    node_id: str
    kind: str
    name: str
    parent_id: str | None
    path: str
    property_id: str | None
    area_m2: str | None
    room_use: str | None

    @classmethod
    def of(cls, n: Node) -> NodeOut:
        return cls(node_id=n.node_id, kind=str(n.kind), name=n.name, parent_id=n.parent_id, path=n.path,
                   property_id=n.property_id, area_m2=None if n.area_m2 is None else f"{n.area_m2:.2f}",
                   room_use=str(n.room_use) if n.room_use else None)


class NodePage(BaseModel):
    items: list[NodeOut]
    next: str


class NodeCreate(BaseModel):
    node_id: str = Field(pattern=ID_PATTERN)
    parent_id: str = Field(pattern=ID_PATTERN)
    kind: NodeKindIn
    name: str = Field(min_length=1, max_length=100)
    area_m2: Area | None = Field(None, **AREA, description="rooms only, m2")
    room_use: RoomUseIn | None = Field(None, description="rooms only")


class NodePatch(BaseModel):
    """Rename (rooms: a new area or use), and/or move under another parent (parent_id)."""

    name: str | None = Field(None, min_length=1, max_length=100)
    area_m2: Area | None = Field(None, **AREA)
    room_use: RoomUseIn | None = None
    parent_id: str | None = Field(None, pattern=ID_PATTERN)


class TenantOut(BaseModel):
    tenant_id: str
    name: str
    phone: str
    email: str
    wechat_openid: str
    language: str
    property_id: str

    @classmethod
    def of(cls, t: Tenant) -> TenantOut:
        return cls(tenant_id=t.tenant_id, name=t.name, phone=t.phone, email=t.email, wechat_openid=t.wechat_openid,
                   language=t.language, property_id=t.property_id)


class TenantPage(BaseModel):
    items: list[TenantOut]
    next: str


class TenantContactsIn(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    phone: str | None = Field(None, max_length=20, description="mainland mobile, 11 digits; \"\" = none")
    email: str | None = Field(None, max_length=200)
    wechat_openid: str | None = Field(None, max_length=64)
    language: Literal["zh-CN", "en"] | None = None


class TenantCreate(TenantContactsIn):
    name: str = Field(min_length=1, max_length=100)
    property_id: str = Field(pattern=ID_PATTERN)
    tenant_id: str | None = Field(None, pattern=ID_PATTERN, description="given by the caller, else made")


class LeaseOut(BaseModel):
    lease_id: str
    tenant_id: str
    room_ids: list[str]
    starts_on: date
    ends_on: date | None
    property_id: str

    @classmethod
    def of(cls, x: Lease) -> LeaseOut:
        return cls(lease_id=x.lease_id, tenant_id=x.tenant_id, room_ids=list(x.room_ids), starts_on=x.starts_on,
                   ends_on=x.ends_on, property_id=x.property_id)


class LeasePage(BaseModel):
    items: list[LeaseOut]
    next: str


RoomIds = list[Annotated[str, Field(pattern=ID_PATTERN)]]


class LeaseCreate(BaseModel):
    room_ids: RoomIds = Field(min_length=1, max_length=200)
    starts_on: date
    ends_on: date | None = Field(None, description="null: open-ended")
    lease_id: str | None = Field(None, pattern=ID_PATTERN)


class LeasePatch(BaseModel):
    """New rooms or dates; "ends_on": null makes the lease open-ended, leaving it out keeps the end."""

    room_ids: RoomIds | None = Field(None, min_length=1, max_length=200)
    starts_on: date | None = None
    ends_on: date | None = None


class KindCountsOut(BaseModel):
    created: int
    updated: int
    unchanged: int


class ImportReportOut(BaseModel):
    nodes: KindCountsOut
    tenants: KindCountsOut
    leases: KindCountsOut
    meters: KindCountsOut
    accounts: KindCountsOut
    gateways_registered: int
    meters_registered_created: int
    meters_registered_updated: int
    accounts_opened: int
    accounts_already_open: int
    events_published: int
