"""The read model of accounts just opened, taken from wallet once console has placed them.

Wallet opens an account (and may put it straight into arrears or an alarm level) before console has
written the account's row, so the wallet events of that first moment find no row to update. Right
after placing, console asks wallet for the state once; later events keep it current.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime

from services.console.domain.errors import ConsoleError
from services.console.domain.live import WalletEventSeen
from services.console.ports import WalletAccount, WalletPort
from services.console.service.projections import project_wallet_events
from services.console.unit_of_work import ConsoleUnitOfWork
from services.kit.logging import get_logger

log = get_logger(__name__)
CONCURRENT_READS = 16


def seen_from(account: WalletAccount, at: datetime) -> WalletEventSeen:
    return WalletEventSeen(f"opened:{account.account_id}", account.account_id, account.balance_fen,
                           account.alarm_level, account.in_arrears, at)


async def refresh_opened_accounts(new_uow: Callable[[], ConsoleUnitOfWork], wallet: WalletPort,
                                  account_ids: Sequence[str], at: datetime) -> int:
    """Project wallet's state of these accounts (best effort: a failure leaves it to later events)."""
    gate = asyncio.Semaphore(CONCURRENT_READS)

    async def read(account_id: str) -> WalletAccount | None:
        async with gate:
            try:
                return await wallet.get_account(account_id)
            except ConsoleError as error:
                log.warning("opened account not read back", account_id=account_id, error=error.message_en)
                return None

    found = [a for a in await asyncio.gather(*[read(i) for i in account_ids]) if a is not None]
    if found:
        await project_wallet_events(new_uow(), [seen_from(a, at) for a in found])
    return len(found)
