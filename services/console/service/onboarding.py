"""开通导入 as a use case: one workbook brings a whole building online, all or nothing, idempotently.

Order: read and check everything (each line, across sheets, against the registry and the caller's SETTINGS
scope) -> register the meters in acquisition (one sheet, all or none) -> open the accounts in wallet (those
open already are left as they are) -> one console transaction writing what changed, with its registry
events and one audit entry. A rejection or a remote error stops before the console writes anything; the
remote steps are idempotent, so running the same workbook again completes it, and once complete a re-run
changes nothing and publishes nothing.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from services.console.domain.errors import Conflict, ConsoleError, InvalidRequest
from services.console.domain.onboarding import OnboardingPlan, plan_onboarding, referenced
from services.console.domain.onboarding_model import Change, GroupSpec
from services.console.domain.onboarding_sheets import OnboardingRejected, Problem, WorkbookRows
from services.console.domain.placements import common_path
from services.console.domain.scope import ALL, Caller, GrantView, Scope
from services.console.domain.tree import NodeKind, path_label
from services.console.ports import AccountSpec, ImportedMeters, Ports
from services.console.service.account_state import refresh_opened_accounts
from services.console.service.audit import entry_for
from services.console.service.onboarding_registry import load_existing, write_plan
from services.console.sheets import read_workbook
from services.console.unit_of_work import ConsoleUnitOfWork

# acquisition's commissioning sheet (services/acquisition/domain/sheet.py), project = the property
ACQUISITION_COLUMNS = ("meter_id", "gateway_id", "gateway_transport", "gateway_host", "gateway_port", "protocol",
                       "device_id", "address", "bus", "ct_ratio", "kind", "project_id")
_ACQUISITION_LINE = re.compile(r"line (\d+): (.+?)(?=; 第\d+行|\s\(\+\d+ more\)|$)")


@dataclass(frozen=True)
class ImportReport:
    counts: dict[str, dict[str, int]]      # kind -> {"created", "updated", "unchanged"}
    acquisition: ImportedMeters
    accounts_opened: int
    accounts_already_open: int
    events_published: int


def seeding_caller(group: GroupSpec = GroupSpec()) -> Caller:
    """The system as the caller of the first import (no grant can exist before the group node does)."""
    grant = GrantView("system", "hq_admin", group.node_id, path_label(group.node_id), ALL)
    return Caller(kind="system", subject_id="seed", name="seed", scope=Scope((grant,)))


async def import_workbook(uow_factory: Callable[[], ConsoleUnitOfWork], ports: Ports, caller: Caller,
                          content: bytes, now: datetime | None = None,
                          group: GroupSpec = GroupSpec()) -> ImportReport:
    """Import an onboarding workbook (.xlsx bytes): OnboardingRejected with every bad line, or the report."""
    now = now or datetime.now(UTC)
    rows = await asyncio.to_thread(read_workbook, content)   # openpyxl is CPU work: keep the loop free
    async with uow_factory() as uow:
        plan = plan_onboarding(rows, await load_existing(uow, referenced(rows, group)), caller.scope, group)
    try:
        registered = await register_meters(ports, plan)
        already_open = await open_accounts(ports, plan)
    except ConsoleError as error:
        await _audit_failure(uow_factory(), caller, content, plan, error)
        raise
    events = await _write(uow_factory(), caller, rows, group, plan, content, now)
    await refresh_opened_accounts(uow_factory, ports.wallet, [o.account_id for o in plan.openings], now)
    return ImportReport(plan.counts(), registered, len(plan.openings) - len(already_open), len(already_open), events)


def acquisition_sheet(plan: OnboardingPlan) -> bytes:
    """The meters as acquisition's commissioning CSV (line n of it is plan.devices[n - 2])."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ACQUISITION_COLUMNS)
    for d in plan.devices:
        writer.writerow([d.meter_id, d.gateway_id, d.gateway_transport, d.gateway_host, d.gateway_port or "",
                         d.protocol, d.device_id, d.address, d.bus, d.ct_ratio, d.kind, d.project_id])
    return out.getvalue().encode()


async def register_meters(ports: Ports, plan: OnboardingPlan) -> ImportedMeters:
    """All of the workbook's meters and gateways in acquisition (an upsert: the same again changes nothing)."""
    if not plan.devices:
        return ImportedMeters(0, 0, 0)
    try:
        return await ports.acquisition.import_meters(acquisition_sheet(plan))
    except InvalidRequest as refused:
        raise OnboardingRejected(_meter_lines(plan, refused)) from None


def _meter_lines(plan: OnboardingPlan, refused: InvalidRequest) -> list[Problem]:
    """Acquisition's bad lines (of the CSV it was sent) as lines of the workbook's meters sheet."""
    found = []
    for match in _ACQUISITION_LINE.finditer(refused.message_en):
        index = int(match[1]) - 2
        line = plan.devices[index].line if 0 <= index < len(plan.devices) else 1
        found.append(Problem("meters", line, f"采集服务拒绝: {match[2]}", f"acquisition refused: {match[2]}"))
    return found or [Problem("meters", 1, refused.message_zh, refused.message_en)]


async def open_accounts(ports: Ports, plan: OnboardingPlan) -> list[str]:
    """开户 in wallet; returns the ids open already. One open already that console has not placed yet must
    hold the workbook's meters (else it is someone else's account: reported on its line)."""
    if not plan.openings:
        return []
    specs = [AccountSpec(account_id=o.account_id, tenant_name=o.tenant_name, meter_ids=o.meter_ids,
                         project_id=o.project_id, opening_balance_fen=o.opening_balance_fen, cutoff_fen=o.cutoff_fen,
                         mode=o.mode, settlement=o.settlement, alarm_thresholds_fen=o.alarm_thresholds_fen)
             for o in plan.openings]
    already_open = await ports.wallet.open_accounts(specs)
    new_here = {p.item.account_id for p in plan.accounts if p.change == Change.CREATED}
    problems = []
    for opening in plan.openings:
        if opening.account_id in already_open and opening.account_id in new_here:
            held = await ports.wallet.get_account(opening.account_id)
            if sorted(held.meter_ids) != sorted(opening.meter_ids):
                problems.append(Problem("accounts", opening.line,
                                        f"钱包中已有账户{opening.account_id}, 表计为{', '.join(held.meter_ids)}",
                                        f"wallet holds account {opening.account_id} with meters "
                                        f"{', '.join(held.meter_ids)}"))
    if problems:
        raise OnboardingRejected(problems)
    return list(already_open)


async def _write(uow: ConsoleUnitOfWork, caller: Caller, rows: WorkbookRows, group: GroupSpec,
                 plan: OnboardingPlan, content: bytes, now: datetime) -> int:
    async with uow:
        await uow.tree.lock_tree()
        fresh = plan_onboarding(rows, await load_existing(uow, referenced(rows, group)), caller.scope, group)
        if fresh != plan:   # someone changed the registry since the check: the plan may no longer hold
            raise Conflict("导入期间登记数据已变化, 请重新导入", "the registry changed during the import; run it again")
        events = await write_plan(uow, plan, now)
        await uow.audit.record(entry_for(caller, "import", "workbook", _digest(content), _where(plan, group),
                                         after=plan.counts(), detail=json.dumps({"events": len(events)})))
        await uow.commit()
    return len(events)


async def _audit_failure(uow: ConsoleUnitOfWork, caller: Caller, content: bytes, plan: OnboardingPlan,
                         error: ConsoleError) -> None:
    """A remote step failed: what acquisition or wallet did before is kept (a re-run completes it)."""
    async with uow:
        await uow.audit.record(entry_for(caller, "import", "workbook", _digest(content), None, outcome="failed",
                                         after=plan.counts(), detail=f"{error.code}: {error.message_en}"[:2000]))
        await uow.commit()


def _where(plan: OnboardingPlan, group: GroupSpec) -> str:
    """The audit entry's place: the deepest node holding the workbook's properties (their auditors see it)."""
    sites = [p.item.path for p in plan.nodes if p.item.kind == NodeKind.PROPERTY]
    return common_path(sites) if sites else path_label(group.node_id)


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:32]
