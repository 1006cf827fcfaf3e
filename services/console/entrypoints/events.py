"""The console's one event mapper: registry domain event -> Outgoing(registry.events.v1, subject id, RegistryEvent).

The key is the subject's id (node, meter, tenant, lease or account), so one subject's changes stay in order.
"""

from __future__ import annotations

from services.console.domain.registry import (
    AccountPlaced,
    LeaseChanged,
    MeterPlaced,
    NodeChanged,
    RegistryEvent,
    TenantContactsChanged,
)
from services.contracts.meterpay.v1 import registry_pb2
from services.kit import messaging
from services.kit.db import Outgoing


def _node(event: NodeChanged) -> dict:
    return {"node": registry_pb2.NodeChanged(
        node_id=event.node_id, kind=event.kind, name=event.name, parent_id=event.parent_id, path=event.path,
        property_id=event.property_id, area_m2="" if event.area_m2 is None else f"{event.area_m2:.2f}",
        room_use=event.room_use, change=event.change)}


def _meter(event: MeterPlaced) -> dict:
    return {"meter_placed": registry_pb2.MeterPlaced(
        meter_id=event.meter_id, room_id=event.room_id, property_id=event.property_id, area_m2=event.area_m2,
        room_path=event.room_path, building_id=event.building_id)}


def _tenant(event: TenantContactsChanged) -> dict:
    return {"tenant_contacts": registry_pb2.TenantContactsChanged(
        tenant_id=event.tenant_id, name=event.name, phone=event.phone, email=event.email,
        wechat_openid=event.wechat_openid, language=event.language, property_id=event.property_id)}


def _lease(event: LeaseChanged) -> dict:
    return {"lease": registry_pb2.LeaseChanged(
        lease_id=event.lease_id, tenant_id=event.tenant_id, room_ids=list(event.room_ids),
        starts_on=event.starts_on.isoformat(), ends_on=event.ends_on.isoformat() if event.ends_on else "",
        property_id=event.property_id)}


def _account(event: AccountPlaced) -> dict:
    return {"account_placed": registry_pb2.AccountPlaced(
        account_id=event.account_id, tenant_id=event.tenant_id, property_id=event.property_id)}


CHANGES = {NodeChanged: _node, MeterPlaced: _meter, TenantContactsChanged: _tenant, LeaseChanged: _lease,
           AccountPlaced: _account}


def registry_event(event: RegistryEvent) -> registry_pb2.RegistryEvent:
    change = CHANGES[type(event)](event)
    return registry_pb2.RegistryEvent(event_id=event.event_id, occurred_at=messaging.timestamp(event.occurred_at),
                                      **change)


def to_outgoing(event: RegistryEvent) -> Outgoing:
    if type(event) not in CHANGES:
        raise TypeError(f"console publishes no {type(event).__name__}")
    return Outgoing(messaging.REGISTRY_EVENTS, event.subject_id, registry_event(event))
