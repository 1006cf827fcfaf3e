"""Where the console's registry (registry.events.v1) puts accounts and meters.

Glossary: 项目 = property, the project the wallet keys service-fee agreements by (`project_id`);
租户 = tenant. The wallet keeps the latest placement of every account and meter it hears of,
whether or not it has opened the account yet, so an account opened later still gets its project.
A placement is ordered by the time the console made it: an older one than the one kept is no news.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AccountPlacement:
    account_id: str
    tenant_id: str
    property_id: str
    placed_at: datetime


@dataclass(frozen=True)
class MeterPlacement:
    meter_id: str
    property_id: str
    placed_at: datetime


def project_of_new_account(requested: str, account: AccountPlacement | None,
                           meters: Sequence[MeterPlacement]) -> str:
    """The project of an account being opened: as asked, else the one the registry placed the account in,
    else the one it placed the account's meters in (the first meter by id that has one)."""
    if requested:
        return requested
    if account is not None and account.property_id:
        return account.property_id
    return next((m.property_id for m in sorted(meters, key=lambda m: m.meter_id) if m.property_id), "")
