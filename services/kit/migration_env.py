"""The body of every service's Alembic env.py: online migrations over asyncpg."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def run_migrations(target_metadata: MetaData) -> None:
    config = context.config
    version_table = config.get_main_option("version_table") or "alembic_version"

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata, version_table=version_table)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())
