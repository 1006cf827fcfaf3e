"""Async SQLAlchemy 2: engine, sessions, the unit of work, and per-service migrations.

Each service owns its database and builds its schema with its own Alembic tree at
start-up (never with create_all). Nobody but the unit of work commits; the events
a use case emits go into the outbox table inside the same transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

import asyncpg
from alembic import command
from alembic.config import Config
from google.protobuf.message import Message
from sqlalchemy import MetaData, insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from services.kit import bulk
from services.kit.outbox import OUTBOX

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    """MetaData with the naming convention, holding the kit's outbox and inbox tables."""
    from services.kit.inbox import inbox_table
    from services.kit.outbox import outbox_table

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    outbox_table(metadata)
    inbox_table(metadata)
    return metadata


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


async def ensure_database(url: str) -> None:
    """Create the service's database on the server if it is missing (first start)."""
    parsed = make_url(url)
    name = parsed.database
    admin = parsed.set(drivername="postgresql", database="postgres")
    dsn = admin.render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn) if parsed.host else await asyncpg.connect(
        user=parsed.username, host=parsed.query.get("host"), database="postgres"
    )
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            except asyncpg.DuplicateDatabaseError:
                pass  # another instance of the service created it meanwhile
    finally:
        await conn.close()


def alembic_config(url: str, script_location: str, version_table: str) -> Config:
    config = Config()
    config.set_main_option("script_location", script_location)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("version_table", version_table)
    return config


async def migrate(url: str, script_location: str, service: str) -> None:
    """Upgrade the service's schema to head; Alembic's env runs its own loop in a thread."""
    await ensure_database(url)
    config = alembic_config(url, script_location, f"alembic_version_{service}")
    await asyncio.to_thread(command.upgrade, config, "head")


@dataclass(frozen=True)
class Outgoing:
    """A domain event as it leaves the service: the topic, the partition key, the protobuf payload."""

    topic: str
    key: str
    message: Message


# A service's one event mapper (in its entrypoints/): domain event -> what goes on the wire. Use cases
# publish domain dataclasses; only the mapper knows protobuf, so no use case imports the contracts.
EventMapper = Callable[[Any], Outgoing]


def _no_mapper(event: Any) -> Outgoing:
    raise TypeError(f"this unit of work has no event mapper; cannot publish {type(event).__name__}")


class UnitOfWork:
    """One transaction: repositories share its session; commit() makes state and events durable.

    Leaving the block without commit() rolls back, and the events recorded with
    publish() go with it.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], on_commit: Callable[[], None],
                 mapper: EventMapper = _no_mapper) -> None:
        self._sessions = sessions
        self._on_commit = on_commit
        self._mapper = mapper
        self._emitted = False
        self.session: AsyncSession

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self._emitted = False
        self.attach_repositories(self.session)
        return self

    def attach_repositories(self, session: AsyncSession) -> None:
        """Services override this to build their repositories on the session."""

    async def __aexit__(self, *exc_info: Any) -> None:
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    async def publish(self, *events: Any) -> None:
        """Record domain events to publish once this transaction commits (transactional outbox).

        Each goes through the service's event mapper; many are written in one statement
        (arrays expanded with unnest), in the order given.
        """
        if not events:
            return
        rows = [self._mapper(event) for event in events]
        if len(rows) == 1:
            await self.session.execute(insert(OUTBOX).values(
                topic=rows[0].topic, key=rows[0].key, payload=rows[0].message.SerializeToString()))
        else:
            await bulk.execute(
                self.session,
                "INSERT INTO outbox (topic, key, payload) SELECT topic, key, payload"
                " FROM unnest($1::text[], $2::text[], $3::bytea[])"
                " WITH ORDINALITY AS e(topic, key, payload, n) ORDER BY n",
                [r.topic for r in rows], [r.key for r in rows], [r.message.SerializeToString() for r in rows])
        self._emitted = True

    async def commit(self) -> None:
        await self.session.commit()
        if self._emitted:
            self._on_commit()
            self._emitted = False

    async def rollback(self) -> None:
        await self.session.rollback()
