"""Control's unit of work: its repositories on one session, one transaction.

What the locked meters changed is written just before the commit, and the locks go with
the commit (or the rollback): a LockedMeter is only good inside the transaction that took it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.control.repository.batches import BatchRepository, WindowRepository
from services.control.repository.commands import CommandRepository
from services.control.repository.meters import MeterRepository
from services.kit.db import UnitOfWork
from services.kit.inbox import first_delivery


class ControlUnitOfWork(UnitOfWork):
    meters: MeterRepository
    commands: CommandRepository
    batches: BatchRepository
    windows: WindowRepository

    def attach_repositories(self, session: AsyncSession) -> None:
        self.meters = MeterRepository(session)
        self.commands = CommandRepository(session, self.meters)
        self.batches = BatchRepository(session)
        self.windows = WindowRepository(session)

    async def first_delivery(self, consumer: str, message_id: str) -> bool:
        """Record a message in the inbox; False when this consumer has handled it before."""
        return await first_delivery(self.session, consumer, message_id)

    async def commit(self) -> None:
        await self.meters.write_changes()
        try:
            await super().commit()
        finally:
            self.meters.release()

    async def rollback(self) -> None:
        try:
            await super().rollback()
        finally:
            self.meters.release()
