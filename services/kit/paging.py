"""Pages of a list: every list call takes a limit and a keyset cursor, and hands back the next cursor.

A cursor carries the sort key of a page's last row, encoded so that it is opaque to everyone but
the repository that made it ("" = from the start); next_cursor is "" on the last page. A negative
limit, or a cursor the service never handed out, is the caller's mistake: InvalidPage, which every
service's entrypoints answer with INVALID_ARGUMENT.

Pure Python: domain modules may import it (no framework, no database, nothing generated).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")

KeyPart = str | int | datetime
_INT64 = range(-(2**63), 2**63)   # every integer key is a BIGINT or narrower


class InvalidPage(Exception):
    """A negative limit, or a cursor this service never handed out."""


@dataclass(frozen=True)
class PageSize:
    """A list's page size: 0 asks for the default, more than the maximum gets the maximum."""

    default: int
    maximum: int

    def of(self, limit: int) -> int:
        if limit < 0:
            raise InvalidPage(f"分页大小不能为负 limit must not be negative: {limit}")
        return min(limit, self.maximum) if limit > 0 else self.default


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    next_cursor: str = ""      # "" on the last page; otherwise pass it back to get the next one


def encode_cursor(*key: KeyPart) -> str:
    """The opaque cursor of a sort key (the last row's of a page)."""
    return base64.urlsafe_b64encode(json.dumps(key, default=datetime.isoformat).encode()).decode()


def decode_cursor(cursor: str, *types: type) -> tuple[Any, ...]:
    """The sort key a cursor carries, each part of the type given; only cursors encode_cursor made decode."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(key, list) or len(key) != len(types):
            raise ValueError(cursor)
        return tuple(_part(value, kind) for value, kind in zip(key, types, strict=True))
    except (binascii.Error, UnicodeError, ValueError, TypeError, RecursionError):
        raise InvalidPage(f"无效的分页游标 invalid page cursor {cursor[:40]!r}") from None


def _part(value: Any, kind: type) -> Any:
    if kind is datetime:
        return datetime.fromisoformat(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(value)
    if (kind is int and value not in _INT64) or (kind is str and "\x00" in value):
        raise ValueError(value)   # no key of ours: PostgreSQL could not even compare it
    return value


def page_of(rows: Sequence[Any], limit: int, item: Callable[[Any], T],
            key: Callable[[Any], tuple[KeyPart, ...]]) -> Page[T]:
    """rows holds up to limit + 1 rows: the one past the page says that a next page exists."""
    more = len(rows) > limit
    return Page(tuple(item(r) for r in rows[:limit]), encode_cursor(*key(rows[limit - 1])) if more else "")


async def every_item(fetch: Callable[[int, str], Awaitable[Page[T]]], page_size: int) -> AsyncIterator[T]:
    """Walk a keyset-paged list to its end, one page in memory at a time."""
    cursor = ""
    while True:
        page = await fetch(page_size, cursor)
        for item in page.items:
            yield item
        if not page.next_cursor:
            return
        cursor = page.next_cursor
