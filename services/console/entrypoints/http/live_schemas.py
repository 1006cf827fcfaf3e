"""Answers of the rooms, meters and reports routes: the pydantic models are the OpenAPI contract; the hot
lists and details are built as plain dicts of the same shape (`*_body`) and serialized once by pydantic-core
(`json_response`): validating our own read models again would double the cost of a 50-room page.
tests/console/test_console_rooms.py validates real answers against the models.

Energy is integer Wh, money integer fen, times ISO 8601 in UTC, areas decimal text (m2).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi import Response
from pydantic import BaseModel
from pydantic_core import to_json

from services.console.domain.reports import EnergyRow, Overview
from services.console.domain.rooms import STATE_ZH, AccountLive, CommandRow, MeterLive, RoomDetail, RoomView
from services.console.service.meters import MeterCard


class AccountOut(BaseModel):
    account_id: str
    property_id: str
    tenant_id: str | None
    tenant_name: str
    status: str
    balance_fen: int
    balance_at: datetime | None
    cutoff_fen: int
    alarm_level: int
    in_arrears: bool



class MeterOut(BaseModel):
    meter_id: str
    property_id: str
    room_id: str
    room_name: str
    kind: str
    gateway_id: str
    account_id: str | None
    online: bool | None
    relay_state: str
    control_mode: str
    last_read_at: datetime | None
    total_wh: int | None
    volume_l: int | None
    bands_wh: list[int] | None
    voltage_dv: int | None
    current_ca: int | None
    power_w: int | None
    power_factor_milli: int | None
    status_changed_at: datetime | None
    today_energy_wh: int
    today_amount_fen: int



class CommandOut(BaseModel):
    command_id: str
    meter_id: str
    property_id: str
    action: str
    status: str
    requested_by: str
    reason: str
    detail: str
    batch_id: str
    created_at: datetime
    completed_at: datetime | None



class RoomOut(BaseModel):
    room_id: str
    name: str
    property_id: str
    building_id: str | None
    floor_id: str | None
    area_m2: Decimal | None
    room_use: str | None
    state: str
    state_zh: str
    account: AccountOut | None
    tenant_name: str
    today_energy_wh: int
    today_amount_fen: int
    meters: list[MeterOut]



class RoomPage(BaseModel):
    items: list[RoomOut]
    next: str


class RoomDetailOut(RoomOut):
    day: date
    accounts: list[AccountOut]
    commands: list[CommandOut]



class MeterPage(BaseModel):
    items: list[MeterOut]
    next: str


class MeterDetailOut(MeterOut):
    account: AccountOut | None
    month_energy_wh: int
    month_amount_fen: int
    commands: list[CommandOut]



class ReadNowOut(BaseModel):
    meter_id: str
    read: int
    failed: int


class FigureOut(BaseModel):
    energy_wh: int
    amount_fen: int


class MonthOut(FigureOut):
    month: str


class TopConsumerOut(FigureOut):
    room_id: str
    room_name: str
    property_id: str


class OverviewOut(BaseModel):
    day: date
    property_id: str
    properties: int
    tenants: int
    meters_online: int
    meters_offline: int
    meters_unknown: int
    accounts_in_alarm: int
    accounts_in_arrears: int
    gateways_offline: int
    today: FigureOut
    month: FigureOut
    months: list[MonthOut]
    top_consumers: list[TopConsumerOut]

    @classmethod
    def of(cls, o: Overview, property_id: str) -> OverviewOut:
        c = o.counts
        return cls(day=o.day, property_id=property_id, properties=c.properties, tenants=c.tenants,
                   meters_online=c.meters_online, meters_offline=c.meters_offline, meters_unknown=c.meters_unknown,
                   accounts_in_alarm=c.accounts_in_alarm, accounts_in_arrears=c.accounts_in_arrears,
                   gateways_offline=c.gateways_offline,
                   today=FigureOut(energy_wh=o.today.energy_wh, amount_fen=o.today.amount_fen),
                   month=FigureOut(energy_wh=o.month.energy_wh, amount_fen=o.month.amount_fen),
                   months=[MonthOut(month=m.month, energy_wh=m.energy_wh, amount_fen=m.amount_fen) for m in o.months],
                   top_consumers=[TopConsumerOut(room_id=t.room_id, room_name=t.room_name, property_id=t.property_id,
                                                 energy_wh=t.energy_wh, amount_fen=t.amount_fen)
                                  for t in o.top_consumers])


class EnergyOut(FigureOut):
    day: date
    property_id: str

    @classmethod
    def of(cls, r: EnergyRow) -> EnergyOut:
        return cls(day=r.day, property_id=r.property_id, energy_wh=r.energy_wh, amount_fen=r.amount_fen)


class EnergyPage(BaseModel):
    items: list[EnergyOut]
    next: str


# ---- the plain-dict bodies of the hot answers (same fields as the models above) -----------------------------

def json_response(body: Any) -> Response:
    return Response(to_json(body), media_type="application/json")


def account_body(a: AccountLive | None) -> dict | None:
    if a is None:
        return None
    return {"account_id": a.account_id, "property_id": a.property_id, "tenant_id": a.tenant_id,
            "tenant_name": a.tenant_name, "status": a.status, "balance_fen": a.balance_fen,
            "balance_at": a.balance_at, "cutoff_fen": a.cutoff_fen, "alarm_level": a.alarm_level,
            "in_arrears": a.in_arrears}


def meter_body(m: MeterLive) -> dict:
    return {"meter_id": m.meter_id, "property_id": m.property_id, "room_id": m.room_id, "room_name": m.room_name,
            "kind": m.kind, "gateway_id": m.gateway_id, "account_id": m.account_id, "online": m.online,
            "relay_state": m.relay_state, "control_mode": m.control_mode, "last_read_at": m.last_read_at,
            "total_wh": m.total_wh, "volume_l": m.volume_l, "bands_wh": m.bands_wh, "voltage_dv": m.voltage_dv,
            "current_ca": m.current_ca, "power_w": m.power_w, "power_factor_milli": m.power_factor_milli,
            "status_changed_at": m.status_changed_at, "today_energy_wh": m.today_energy_wh,
            "today_amount_fen": m.today_amount_fen}


def command_body(c: CommandRow) -> dict:
    return {"command_id": c.command_id, "meter_id": c.meter_id, "property_id": c.property_id, "action": c.action,
            "status": c.status, "requested_by": c.requested_by, "reason": c.reason, "detail": c.detail,
            "batch_id": c.batch_id, "created_at": c.created_at, "completed_at": c.completed_at}


def room_body(v: RoomView) -> dict:
    r, account = v.room, v.account
    return {"room_id": r.room_id, "name": r.name, "property_id": r.property_id, "building_id": r.building_id,
            "floor_id": r.floor_id, "area_m2": r.area_m2, "room_use": r.room_use, "state": v.state.value,
            "state_zh": STATE_ZH[v.state], "account": account_body(account),
            "tenant_name": account.tenant_name if account else "",
            "today_energy_wh": sum(m.today_energy_wh for m in v.meters),
            "today_amount_fen": sum(m.today_amount_fen for m in v.meters),
            "meters": [meter_body(m) for m in v.meters]}


def room_detail_body(d: RoomDetail) -> dict:
    return {**room_body(d.view), "day": d.day, "accounts": [account_body(a) for a in d.view.accounts],
            "commands": [command_body(c) for c in d.commands]}


def meter_detail_body(card: MeterCard) -> dict:
    d = card.detail
    return {**meter_body(d.meter), "account": account_body(d.account), "month_energy_wh": d.month_energy_wh,
            "month_amount_fen": d.month_amount_fen, "commands": [command_body(c) for c in card.commands]}
