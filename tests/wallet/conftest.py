"""Fixtures for wallet tests: a fresh database built by the wallet's migrations."""

from __future__ import annotations

import pytest

from services.wallet import main
from services.wallet.entrypoints.events import to_outgoing
from services.wallet.service import reconciliation
from services.wallet.unit_of_work import WalletUnitOfWork


@pytest.fixture
async def new_uow(service_database):
    """Units of work (with the event mapper) on a fresh wallet database; after the test the ledger
    invariants must hold (balances = sums of entries, debits = credits, orders credited once)."""
    sessions = await service_database("wallet", main.MIGRATIONS)
    uow = lambda: WalletUnitOfWork(sessions, lambda: None, to_outgoing)  # noqa: E731
    yield uow
    result = await reconciliation.reconcile(uow())
    assert result.ok, result.problems
    assert result.total_debits_fen == result.total_credits_fen
