"""PostgreSQL ltree for SQLAlchemy: the column type and the one scope predicate every query uses.

Values travel as text (asyncpg has no ltree codec); the database converts on the way in and out.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, String, cast, false, func, or_
from sqlalchemy.types import UserDefinedType


class Ltree(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw: object) -> str:
        return "LTREE"

    def bind_expression(self, bindvalue):
        return func.text2ltree(cast(bindvalue, String))

    def column_expression(self, column):
        return func.ltree2text(column)


def within(column: ColumnElement, paths: Sequence[str]) -> ColumnElement[bool]:
    """`column` lies in (or is) one of the subtrees; no paths = nothing. Each term uses the GiST index."""
    if not paths:
        return false()
    return or_(*[column.op("<@")(func.text2ltree(cast(p, String))) for p in paths])
