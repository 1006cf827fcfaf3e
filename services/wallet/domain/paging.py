"""Keyset pages: every list call takes a limit and the cursor the page before it returned."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 5000


def page_size(limit: int, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE) -> int:
    """A limit of 0 (or less) means the default; a limit over the maximum is capped."""
    return default if limit <= 0 else min(limit, maximum)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str = ""      # "" on the last page; otherwise pass it back to get the next one


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
