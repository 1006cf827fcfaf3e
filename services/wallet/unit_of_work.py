"""The wallet's unit of work: its repositories on one session, one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.db import UnitOfWork
from services.wallet.repository.accounts import AccountRepository
from services.wallet.repository.bills import BillRepository
from services.wallet.repository.ledger import LedgerRepository
from services.wallet.repository.payments import PaymentRepository
from services.wallet.repository.placements import PlacementRepository


class WalletUnitOfWork(UnitOfWork):
    accounts: AccountRepository
    ledger: LedgerRepository
    payments: PaymentRepository
    bills: BillRepository
    placements: PlacementRepository

    def attach_repositories(self, session: AsyncSession) -> None:
        self.accounts = AccountRepository(session)
        self.ledger = LedgerRepository(session)
        self.payments = PaymentRepository(session)
        self.bills = BillRepository(session)
        self.placements = PlacementRepository(session)
