"""What console asks of the owning services, in domain terms. The gRPC adapters that implement these
live in entrypoints/clients.py (protobuf stays there); tests may pass fakes for pure logic only.

A remote error a user caused is raised as a ConsoleError (domain/errors.py) by the adapter:
INVALID_ARGUMENT -> InvalidRequest, NOT_FOUND -> NotFound, ALREADY_EXISTS / FAILED_PRECONDITION ->
Conflict, UNAVAILABLE / DEADLINE_EXCEEDED -> Unavailable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class ImportedMeters:
    gateways: int
    meters_created: int
    meters_updated: int


@dataclass(frozen=True)
class AccountSpec:
    """One account to open (开户), as the onboarding sheet or the API gives it."""

    account_id: str
    tenant_name: str
    meter_ids: tuple[str, ...]
    project_id: str
    opening_balance_fen: int = 0
    cutoff_fen: int = 0
    mode: str = "prepaid"
    settlement: str = "realtime"
    separate_water: bool = False
    alarm_thresholds_fen: tuple[int, ...] = ()
    alarm_repeats: tuple[int, ...] = ()


@dataclass(frozen=True)
class WalletAccount:
    account_id: str
    tenant_name: str
    meter_ids: tuple[str, ...]
    balance_fen: int
    cutoff_fen: int
    in_arrears: bool
    project_id: str
    mode: str
    settlement: str
    status: str
    alarm_level: int
    water_balance_fen: int
    alarm_thresholds_fen: tuple[int, ...]


@dataclass(frozen=True)
class Posted:
    transfer_id: str
    balance_fen: int
    duplicate: bool


@dataclass(frozen=True)
class MoneyItem:
    """One item of a batch top-up or refund (批量退补)."""

    transfer_id: str
    account_id: str
    amount_fen: int
    channel: str
    operator: str
    purse: str = "electricity"


@dataclass(frozen=True)
class PaymentOrderView:
    order_id: str
    account_id: str
    channel: str
    amount_fen: int
    status: str


@dataclass(frozen=True)
class CommandView:
    command_id: str
    meter_id: str
    action: str                 # trip / close / power_guarantee_on / power_guarantee_off / valve_close / ...
    status: str                 # queued / sent / confirmed / failed / cancelled
    requested_by: str
    reason: str
    created_at: datetime | None
    completed_at: datetime | None
    detail: str
    batch_id: str
    attempt: int
    attempt_limit: int
    relay_state: str
    attempts: tuple[dict, ...] = field(default=())


@dataclass(frozen=True)
class BatchView:
    batch_id: str
    action: str
    status: str
    requested_by: str
    reason: str
    counts: dict[str, int]


class AcquisitionPort(Protocol):
    async def import_meters(self, sheet_csv: bytes) -> ImportedMeters: ...
    async def read_now(self, meter_ids: list[str]) -> tuple[int, int]: ...


class WalletPort(Protocol):
    async def open_accounts(self, specs: list[AccountSpec]) -> list[str]: ...   # ids that were open already
    async def open_account(self, spec: AccountSpec) -> WalletAccount: ...
    async def get_account(self, account_id: str) -> WalletAccount: ...
    async def recharge(self, transfer_id: str, account_id: str, amount_fen: int, channel: str, operator: str,
                       purse: str) -> Posted: ...
    async def refund(self, transfer_id: str, account_id: str, amount_fen: int, channel: str, purse: str) -> Posted: ...
    async def reverse(self, transfer_id: str, reason: str) -> tuple[str, bool]: ...
    async def batch_recharge(self, items: list[MoneyItem]) -> int: ...     # all or nothing; how many were new
    async def batch_refund(self, items: list[MoneyItem]) -> int: ...
    async def close_account(self, account_id: str, channel: str) -> int: ...
    async def transfer_ownership(self, change_id: str, account_id: str, new_tenant_name: str,
                                 settle_to_old_owner: bool) -> int: ...
    async def replace_meter(self, old_meter_id: str, new_meter_id: str) -> str: ...
    async def set_alarm_policy(self, account_id: str, thresholds_fen: list[int], repeats: list[int]) -> int: ...
    async def create_payment_order(self, order_id: str, account_id: str, channel: str, amount_fen: int,
                                   purse: str) -> PaymentOrderView: ...


class ControlPort(Protocol):
    async def submit_command(self, request_id: str, meter_id: str, action: str, requested_by: str, reason: str,
                             settings: dict | None = None) -> tuple[CommandView, bool]: ...
    async def list_commands(self, meter_id: str, limit: int, cursor: str,
                            with_attempts: bool = False) -> tuple[list[CommandView], str]: ...
    async def submit_batch(self, batch_id: str, action: str, meter_ids: list[str], run_at: datetime | None,
                           requested_by: str, reason: str) -> BatchView: ...
    async def get_batch(self, batch_id: str) -> BatchView: ...
    async def cancel_batch(self, batch_id: str, requested_by: str = "") -> BatchView: ...


class TariffPort(Protocol):
    # spec: tariff's plan definition (docs/tariffs-and-wallets.md); True when the plan / version is new.
    async def create_plan(self, plan_id: str, name: str, spec: dict, version_id: str = "",
                          effective_from: datetime | None = None) -> bool: ...
    async def add_plan_version(self, plan_id: str, effective_from: datetime, spec: dict,
                               version_id: str = "") -> bool: ...
    async def assign_plan(self, plan_id: str, meter_ids: list[str],
                          effective_from: datetime | None = None) -> int: ...   # how many were newly assigned
    async def list_plans(self, plan_ids: list[str]) -> list[dict]: ...          # plan_id, name, commodity, kind
    async def meter_tariff(self, meter_id: str) -> list[dict]: ...              # version_id, effective_from, definition


class SmsPort(Protocol):
    async def send_login_code(self, phone: str, code: str) -> None: ...


@dataclass
class Ports:
    """The owning services console talks to, wired in main.py."""

    acquisition: AcquisitionPort
    wallet: WalletPort
    control: ControlPort
    tariff: TariffPort
    sms: SmsPort
