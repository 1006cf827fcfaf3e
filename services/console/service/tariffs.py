"""Tariff plans (电价方案) of a property, through tariff: create one (single price, time of use, tiered: whatever
tariff's plan definition supports, tariff validates it), list those in scope, schedule a price change
(定时改价: a new version from a future time) and assign a plan to meters. TARIFF permission; the plan's
property must lie in the caller's scope, and so must every meter it is assigned to."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from services.console.domain.errors import Conflict, ConsoleError, InvalidRequest, Unavailable, not_found
from services.console.domain.scope import Caller, Permission
from services.console.domain.tree import check_id, check_name
from services.console.repository.money import PlanRow
from services.console.service.audit import entry_for
from services.console.service.control import meters_in_scope
from services.kit.paging import Page, PageSize

if TYPE_CHECKING:
    from services.console.entrypoints.http.deps import AppDeps

PAGE = PageSize(default=50, maximum=500)
MAX_AHEAD = timedelta(days=3 * 366)
MAX_ASSIGN_METERS = 5000


def plan_body(row: PlanRow, summary: dict | None = None) -> dict[str, Any]:
    body = {"plan_id": row.plan_id, "name": row.name, "property_id": row.property_id, "created_by": row.created_by,
            "created_at": row.created_at.isoformat() if row.created_at else None}
    if summary is not None:
        body.update(commodity=summary.get("commodity"), kind=summary.get("kind"))
    return body


async def _audit(deps: AppDeps, caller: Caller, action: str, plan_id: str, path: str, outcome: str = "ok",
                 after: dict | None = None, detail: str = "") -> None:
    async with deps.new_uow() as uow:
        await uow.audit.record(entry_for(caller, action, "plan", plan_id, path, outcome=outcome, after=after,
                                         detail=detail))
        await uow.commit()


@dataclass(frozen=True)
class NewPlan:
    plan_id: str
    name: str
    property_id: str
    definition: dict


async def create_plan(deps: AppDeps, caller: Caller, new: NewPlan) -> dict[str, Any]:
    """A plan of a property in the caller's TARIFF scope, with its first prices in force from now."""
    check_id(new.plan_id, "方案编号", "plan id")
    name = check_name(new.name)
    async with deps.new_uow() as uow:
        site = await uow.commands.node_within(new.property_id, caller.scope.paths(Permission.TARIFF))
        if site is None or site[1] != new.property_id:
            raise not_found("项目", "property", new.property_id)
        if await uow.money.plan_exists(new.plan_id):
            raise Conflict(f"方案编号已存在: {new.plan_id}", f"plan id already exists: {new.plan_id}")
    path = site[0]
    try:
        await deps.ports.tariff.create_plan(new.plan_id, name, new.definition, version_id=f"{new.plan_id}:v1")
    except ConsoleError as error:
        await _audit(deps, caller, "plan.create", new.plan_id, path, "failed", detail=error.message_en[:500])
        raise
    row = PlanRow(new.plan_id, name, new.property_id, path, caller.name)
    async with deps.new_uow() as uow:
        await uow.money.add_plan(row)
        await uow.audit.record(entry_for(caller, "plan.create", "plan", new.plan_id, path,
                                         after={"name": name, "definition": new.definition}))
        await uow.commit()
        stored = await uow.money.get_plan(new.plan_id, caller.scope.paths(Permission.TARIFF))
    return plan_body(stored or row)


async def plan_in_scope(deps: AppDeps, caller: Caller, plan_id: str,
                        permission: Permission = Permission.TARIFF) -> PlanRow:
    async with deps.new_uow() as uow:
        row = await uow.money.get_plan(plan_id, caller.scope.paths(permission))
    if row is None:
        raise not_found("电价方案", "tariff plan", plan_id)
    return row


async def list_plans(deps: AppDeps, caller: Caller, limit: int, cursor: str = "") -> tuple[list[dict], str]:
    """Plans of the properties in the caller's TARIFF scope, with tariff's summary (commodity, kind)."""
    async with deps.new_uow() as uow:
        page: Page[PlanRow] = await uow.money.list_plans(caller.scope.paths(Permission.TARIFF), PAGE.of(limit),
                                                         cursor)
    summaries = await _summaries(deps, [p.plan_id for p in page.items])
    return [plan_body(p, summaries.get(p.plan_id)) for p in page.items], page.next_cursor


async def _summaries(deps: AppDeps, plan_ids: list[str]) -> dict[str, dict]:
    """Tariff's summaries by plan id; none when tariff does not answer (console's own rows still show)."""
    if not plan_ids:
        return {}
    try:
        return {s["plan_id"]: s for s in await deps.ports.tariff.list_plans(plan_ids)}
    except Unavailable:
        return {}


async def plan_detail(deps: AppDeps, caller: Caller, plan_id: str) -> dict[str, Any]:
    row = await plan_in_scope(deps, caller, plan_id)
    return plan_body(row, (await _summaries(deps, [plan_id])).get(plan_id))


def version_id_of(plan_id: str, effective_from: datetime, definition: dict) -> str:
    """The same change asked again is the same version (tariff: created=False); another one a new version."""
    digest = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:12]
    return f"{plan_id}:{effective_from.isoformat()}:{digest}"


async def schedule_price_change(deps: AppDeps, caller: Caller, plan_id: str, effective_from: datetime,
                                definition: dict) -> dict[str, Any]:
    """定时改价: the plan's new prices from a future time on; energy used before it keeps its prices."""
    row = await plan_in_scope(deps, caller, plan_id)
    now = deps.clock.now()
    if effective_from.tzinfo is None or not now < effective_from <= now + MAX_AHEAD:
        raise InvalidRequest("生效时间须带时区, 且在将来三年之内", "effective_from needs a time zone and lies in the "
                             "next three years")
    version_id = version_id_of(plan_id, effective_from, definition)
    try:
        created = await deps.ports.tariff.add_plan_version(plan_id, effective_from, definition, version_id=version_id)
    except ConsoleError as error:
        await _audit(deps, caller, "plan.schedule", plan_id, row.path, "failed", detail=error.message_en[:500])
        raise
    await _audit(deps, caller, "plan.schedule", plan_id, row.path,
                 after={"version_id": version_id, "effective_from": effective_from.isoformat(),
                        "definition": definition})
    return {"plan_id": plan_id, "property_id": row.property_id, "version_id": version_id,
            "effective_from": effective_from.isoformat(), "created": created}


async def assign_plan(deps: AppDeps, caller: Caller, plan_id: str, meter_ids: list[str],
                      effective_from: datetime | None = None) -> dict[str, Any]:
    """Price meters of the plan's property (all in the caller's TARIFF scope) by the plan."""
    row = await plan_in_scope(deps, caller, plan_id)
    ids = sorted(set(meter_ids))
    if not ids or len(ids) > MAX_ASSIGN_METERS:
        raise InvalidRequest(f"须指定1-{MAX_ASSIGN_METERS}块表", f"assign 1-{MAX_ASSIGN_METERS} meters")
    found = await meters_in_scope(deps, caller, ids, Permission.TARIFF)
    elsewhere = sorted(m for m, ref in found.items() if ref.property_id != row.property_id)
    if elsewhere:
        raise InvalidRequest(f"表计不属于方案所在项目: {', '.join(elsewhere[:20])}",
                             f"meters outside the plan's property: {', '.join(elsewhere[:20])}")
    try:
        assigned = await deps.ports.tariff.assign_plan(plan_id, ids, effective_from)
    except ConsoleError as error:
        await _audit(deps, caller, "plan.assign", plan_id, row.path, "failed", detail=error.message_en[:500])
        raise
    await _audit(deps, caller, "plan.assign", plan_id, row.path, after={"meter_ids": ids[:200], "assigned": assigned})
    return {"plan_id": plan_id, "property_id": row.property_id, "meters": len(ids), "assigned": assigned}
