"""The console's unit of work: its repositories on one session, one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.console.repository.audit import AuditRepository
from services.console.repository.commands import CommandRepository
from services.console.repository.idempotency import IdempotencyRepository
from services.console.repository.live import LiveRepository
from services.console.repository.money import MoneyRepository
from services.console.repository.operators import OperatorRepository
from services.console.repository.tree import TreeRepository
from services.kit.db import UnitOfWork


class ConsoleUnitOfWork(UnitOfWork):
    """Every repository query takes the caller's Scope (domain/scope.py); none filters by itself."""

    tree: TreeRepository               # nodes, rooms, tenants, leases, placements (meters/accounts in rooms)
    live: LiveRepository               # read models: meter state, meter days, gateways, account state, commands
    money: MoneyRepository             # money movements console asked wallet for; batches; plans
    commands: CommandRepository        # meters a command reaches; the commands console submitted
    operators: OperatorRepository      # operators, roles, grants, API tokens
    audit: AuditRepository             # the append-only system log
    idempotency: IdempotencyRepository # Idempotency-Key -> stored answer

    def attach_repositories(self, session: AsyncSession) -> None:
        self.tree = TreeRepository(session)
        self.live = LiveRepository(session)
        self.money = MoneyRepository(session)
        self.commands = CommandRepository(session)
        self.operators = OperatorRepository(session)
        self.audit = AuditRepository(session)
        self.idempotency = IdempotencyRepository(session)
