"""Read-only stand-ins for wallet, control and tariff, for tests of the console's own logic (scope, shapes)
that do not run those services: a detail that merges a remote view gets a neutral one; any change asked
of them fails the test (a change must have been refused, in scope, before it reached a service)."""

from __future__ import annotations

from services.console.ports import BatchView, CommandView, PaymentOrderView, Ports, Posted, WalletAccount


class _ReadOnly:
    name = "service"

    def __getattr__(self, attr: str):
        async def change(*args, **kwargs):
            raise AssertionError(f"unexpected call to {self.name}.{attr}{args}")

        return change


class ReadOnlyWallet(_ReadOnly):
    name = "wallet"

    async def get_account(self, account_id: str) -> WalletAccount:
        return WalletAccount(account_id=account_id, tenant_name="", meter_ids=(), balance_fen=0, cutoff_fen=0,
                             in_arrears=False, project_id="", mode="prepaid", settlement="realtime", status="open",
                             alarm_level=0, water_balance_fen=0, alarm_thresholds_fen=())


class ReadOnlyControl(_ReadOnly):
    name = "control"

    async def list_commands(self, meter_id: str, limit: int, cursor: str, with_attempts: bool = False):
        return [], ""

    async def get_batch(self, batch_id: str) -> BatchView:
        return BatchView(batch_id, "forced_off", "done", "", "", {"total": 0, "queued": 0, "sent": 0, "confirmed": 0,
                                                                  "failed": 0, "cancelled": 0})


class ReadOnlyTariff(_ReadOnly):
    name = "tariff"

    async def list_plans(self, plan_ids: list[str]) -> list[dict]:
        return [{"plan_id": p, "name": p, "commodity": "electricity", "kind": "shared"} for p in plan_ids]


def read_only_ports() -> dict:
    """Keyword arguments for conftest's fake_ports(...) / console_app(ports=...)."""
    return {"wallet": ReadOnlyWallet(), "control": ReadOnlyControl(), "tariff": ReadOnlyTariff()}


# ---- stand-ins that accept what they are asked (schemathesis: a valid request must not be a 5xx)

class AcceptingWallet(ReadOnlyWallet):
    """Answers every wallet call like a wallet whose accounts hold 1,000,000 fen (nothing is kept)."""

    balance_fen = 100_000_000

    async def open_accounts(self, specs):
        return []

    async def recharge(self, transfer_id, account_id, amount_fen, channel, operator, purse):
        return Posted(transfer_id, self.balance_fen + amount_fen, False)

    async def refund(self, transfer_id, account_id, amount_fen, channel, purse):
        return Posted(transfer_id, self.balance_fen - amount_fen, False)

    async def reverse(self, transfer_id, reason):
        return f"reversal:{transfer_id}", False

    async def batch_recharge(self, items):
        return len(items)

    async def batch_refund(self, items):
        return len(items)

    async def close_account(self, account_id, channel):
        return self.balance_fen

    async def transfer_ownership(self, change_id, account_id, new_tenant_name, settle_to_old_owner):
        return 0

    async def replace_meter(self, old_meter_id, new_meter_id):
        return ""

    async def create_payment_order(self, order_id, account_id, channel, amount_fen, purse):
        return PaymentOrderView(order_id, account_id, channel, amount_fen, "created")


class AcceptingControl(ReadOnlyControl):
    async def submit_command(self, request_id, meter_id, action, requested_by, reason, settings=None):
        return CommandView(f"op:{request_id}", meter_id, action, "queued", requested_by, reason, None, None, "", "",
                           0, 3, "unknown"), False

    async def submit_batch(self, batch_id, action, meter_ids, run_at, requested_by, reason):
        return await self.get_batch(batch_id)

    async def cancel_batch(self, batch_id, requested_by=""):
        return await self.get_batch(batch_id)


class AcceptingTariff(ReadOnlyTariff):
    async def create_plan(self, plan_id, name, spec, version_id="", effective_from=None):
        return True

    async def add_plan_version(self, plan_id, effective_from, spec, version_id=""):
        return True

    async def assign_plan(self, plan_id, meter_ids, effective_from=None):
        return len(meter_ids)


def accepting_ports() -> dict:
    """Keyword arguments for fake_ports(...): wallet, control and tariff that accept every request."""
    return {"wallet": AcceptingWallet(), "control": AcceptingControl(), "tariff": AcceptingTariff()}


# ---- tripwires and the SMS stand-in (moved from conftest.py so tests can import them)

class FakeSms:
    """SmsPort that keeps what it would have texted."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send_login_code(self, phone: str, code: str) -> None:
        self.sent.append((phone, code))

    def last_code(self, phone: str) -> str:
        codes = [code for to, code in self.sent if to == phone]
        assert codes, f"no code was texted to {phone}: {self.sent}"
        return codes[-1]


class Tripwire:
    """A port nobody should call: every call fails the test."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str):
        async def call(*args, **kwargs):
            raise AssertionError(f"unexpected call to {self._name}.{attr}{args}")

        return call


def fake_ports(**given) -> Ports:
    """Ports with tripwires for every service not given, and a FakeSms unless an sms port is given."""
    return Ports(acquisition=given.get("acquisition") or Tripwire("acquisition"),
                 wallet=given.get("wallet") or Tripwire("wallet"), control=given.get("control") or Tripwire("control"),
                 tariff=given.get("tariff") or Tripwire("tariff"), sms=given.get("sms") or FakeSms())
