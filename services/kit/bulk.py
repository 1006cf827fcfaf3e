"""Bulk statements for hot paths: asyncpg inside the unit of work's transaction.

SQLAlchemy renders a list of N values as N bind parameters and executes many rows one
by one through its adapter; for batches of thousands of rows that costs more than the
database work. Here a batch travels as one array per column and is expanded with
unnest() in a single statement, in the same transaction as everything else.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The session's asyncpg connection, with the session's transaction already begun."""
    connection = await session.connection()
    transaction = session.get_transaction()
    if session.info.get("bulk_transaction") is not transaction:
        await connection.execute(text("SELECT 1"))  # makes SQLAlchemy open its transaction on this connection
        session.info["bulk_transaction"] = transaction
    raw = await connection.get_raw_connection()
    return raw.driver_connection  # type: ignore[return-value]


async def fetch(session: AsyncSession, sql: str, *args: Any) -> list[asyncpg.Record]:
    return await (await driver_connection(session)).fetch(sql, *args)


async def execute(session: AsyncSession, sql: str, *args: Any) -> str:
    return await (await driver_connection(session)).execute(sql, *args)


def columns(rows: list[tuple], width: int) -> list[list[Any]]:
    """Rows to one list per column, for unnest($1::type[], $2::type[], ...)."""
    return [list(col) for col in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]
