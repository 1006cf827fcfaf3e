"""Acquisition's unit of work: its repository on one session, events through the service's mapper."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from services.acquisition.repository import AcquisitionRepository
from services.kit.db import UnitOfWork


class AcquisitionUnitOfWork(UnitOfWork):
    repo: AcquisitionRepository

    def attach_repositories(self, session: AsyncSession) -> None:
        self.repo = AcquisitionRepository(session)


NewUow = Callable[[], AcquisitionUnitOfWork]
