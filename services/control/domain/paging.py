"""Pages of a list: every list call takes a limit and a keyset cursor, and hands back the next cursor.

A cursor is opaque to everyone but the repository that made it ("" = from the start);
next_cursor is "" on the last page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    next_cursor: str = ""


@dataclass(frozen=True)
class PageSize:
    """A list's page size: 0 asks for the default, more than the maximum gets the maximum."""

    default: int
    maximum: int

    def of(self, limit: int) -> int:
        return min(limit, self.maximum) if limit > 0 else self.default
