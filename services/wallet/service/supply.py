"""Supply rules after money moved (F-25, F-26): shared by every use case that changes a balance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.kit.logging import get_logger
from services.wallet.domain.accounts import LockedAccount
from services.wallet.domain.events import AccountEvent, BalanceChanged, FellIntoArrears, RecoveredFromArrears
from services.wallet.unit_of_work import WalletUnitOfWork

log = get_logger(__name__)


@dataclass(frozen=True)
class BalanceMoved:
    """An account whose balance moved, the balance to judge it by, and what moved it."""

    account: LockedAccount
    balance_fen: int
    cause: str


async def review_supply(uow: WalletUnitOfWork, now: datetime, *moved: BalanceMoved) -> None:
    """Re-evaluate arrears and alarm levels of the accounts whose money moved: one event per
    transition, the new states written in one statement, the meters loaded only where needed.
    Every moved account also gets a BalanceChanged, after its transitions."""
    due = [m for m in moved if m.account.supply_due(m.balance_fen)]
    if due:
        await _publish_transitions(uow, now, due)
    await uow.publish(*[BalanceChanged(m.account.account_id, (), m.balance_fen, m.account.state.alarm_level,
                                       m.cause, now) for m in moved])


async def _publish_transitions(uow: WalletUnitOfWork, now: datetime, due: list[BalanceMoved]) -> None:
    meters = await uow.accounts.meters_of(m.account.account_id for m in due)
    events: list[AccountEvent] = []
    for m in due:
        events += m.account.review_supply(m.balance_fen, meters.get(m.account.account_id, []), m.cause, now)
    for event in events:
        if isinstance(event, FellIntoArrears | RecoveredFromArrears):
            log.info("supply change", account_id=event.account_id, change=str(event.change),
                     balance_fen=event.balance_fen)
    await uow.accounts.save_supply_states([m.account for m in due])
    await uow.publish(*events)
