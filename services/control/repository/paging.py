"""Keyset pages: a cursor carries the sort key of a page's last row, encoded so callers treat it as opaque."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from services.control.domain.errors import InvalidCursor
from services.control.domain.paging import Page

T = TypeVar("T")


def encode_cursor(*key: str | int | datetime) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, default=datetime.isoformat).encode()).decode()


def decode_cursor(cursor: str, *types: type) -> tuple[Any, ...]:
    """The sort key a cursor carries, each part of the type given; only cursors handed out here decode."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(key, list) or len(key) != len(types):
            raise ValueError(cursor)
        return tuple(_part(value, kind) for value, kind in zip(key, types, strict=True))
    except (binascii.Error, UnicodeError, ValueError, TypeError):
        raise InvalidCursor(f"无效的分页游标 invalid page cursor {cursor[:40]!r}") from None


def _part(value: Any, kind: type) -> Any:
    if kind is datetime:
        return datetime.fromisoformat(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(value)
    return value


def page_of(rows: Sequence[Any], limit: int, item: Callable[[Any], T],
            key: Callable[[Any], tuple[str | int | datetime, ...]]) -> Page[T]:
    """rows holds up to limit + 1 rows: the one past the page says that a next page exists."""
    more = len(rows) > limit
    return Page(tuple(item(r) for r in rows[:limit]), encode_cursor(*key(rows[limit - 1])) if more else "")
