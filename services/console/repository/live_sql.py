"""Hot read statements compiled once and run on the session's asyncpg connection.

The rooms page and a room's detail are what every operator's screen asks for all day. Their statements
are SQLAlchemy Core (built once per shape, with the scope as bound parameters); here they are compiled
once to asyncpg SQL and then executed straight on the driver: no per-request compiling, no ORM result
layer, and, when the unit of work has not written anything, no BEGIN / ROLLBACK round trips (each read
is then a statement of its own, which is all a live view needs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import Executable
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

_DIALECT = PGDialect_asyncpg()


@dataclass(frozen=True)
class CompiledRead:
    sql: str
    names: tuple[str, ...]
    compiled: Any

    def args(self, params: dict[str, Any]) -> list[Any]:
        values = self.compiled.construct_params(params)   # with the literals the statement carries
        return [values[name] for name in self.names]


def compile_read(stmt: Executable) -> CompiledRead:
    compiled = stmt.compile(dialect=_DIALECT)
    return CompiledRead(compiled.string, tuple(compiled.positiontup or ()), compiled)


async def fetch(session: AsyncSession, read: CompiledRead, params: dict[str, Any]) -> list[asyncpg.Record]:
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    return await driver.fetch(read.sql, *read.args(params))
