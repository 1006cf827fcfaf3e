"""The tariff's unit of work: its repositories on one session, one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.db import UnitOfWork
from services.tariff.repository import PlanRepository, RatingStateRepository, UsageRepository


class TariffUnitOfWork(UnitOfWork):
    """Built with the service's event mapper (entrypoints/events.py) so use cases publish domain events."""

    rating: RatingStateRepository
    usage: UsageRepository
    plans: PlanRepository

    def attach_repositories(self, session: AsyncSession) -> None:
        self.rating = RatingStateRepository(session)
        self.usage = UsageRepository(session)
        self.plans = PlanRepository(session)
