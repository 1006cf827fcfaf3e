"""Fixtures for every test: the embedded infrastructure (or the one named by the environment).

Test files need unique basenames across folders (tests/ has no packages): prefix them
with their service, e.g. test_wallet_ledger.py.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.kit import db
from services.kit.embedded import EmbeddedStack, InfraUrls
from services.kit.testing import fresh_database


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfraUrls]:
    """PostgreSQL, Redis and a Kafka-wire broker for the session: embedded unless the env names them."""
    stack = EmbeddedStack(tmp_path_factory.mktemp("embedded"))
    urls = stack.start(os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL"), os.environ.get("KAFKA_BOOTSTRAP"))
    yield urls
    stack.stop()


@pytest.fixture
async def service_database(infra: InfraUrls) -> AsyncIterator[
        Callable[[str, str], Awaitable[async_sessionmaker[AsyncSession]]]]:
    """make(service, migrations_dir) -> sessions on a new database built by that service's migrations."""
    engines: list[AsyncEngine] = []

    async def make(service: str, migrations: str) -> async_sessionmaker[AsyncSession]:
        url = await fresh_database(infra.database_url, service, migrations)
        engine = db.make_engine(url, pool_size=5)
        engines.append(engine)
        return async_sessionmaker(engine, expire_on_commit=False)

    yield make
    for engine in engines:
        await engine.dispose()
