"""What every link shares: its errors, and turns (one conversation at a time on a bus).

A link has no I/O of its own: `async with link.turn() as bus` waits for the link's lock
and hands out the only object that talks on it, valid until the block ends, so a request
that forgot the lock cannot be written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Generic, TypeVar

LINK_DOWN_AFTER_TIMEOUTS = 3   # consecutive silent requests before the whole link counts as down


class FieldError(Exception):
    """The device did not answer, refused, or answered something unreadable: a missed poll."""


class NoReply(FieldError):
    """A request went out and nothing (whole) came back in time."""


class LinkDown(FieldError):
    """The gateway (or DTU) cannot be reached at all; its meters are not to blame."""


class BusHandle:
    """The handle on a link's I/O for one turn; it stops working when the turn ends."""

    __slots__ = ("_link", "_valid")

    def __init__(self, link: Any) -> None:
        self._link, self._valid = link, True

    def _io(self) -> Any:
        if not self._valid:
            raise RuntimeError("a bus handle used after its turn ended")
        return self._link


H = TypeVar("H", bound=BusHandle)


class Turn(Generic[H]):
    """`async with link.turn() as bus`: the link's lock held, and `bus` the only way to talk on it."""

    __slots__ = ("_handle", "_lock", "_make")

    def __init__(self, lock: asyncio.Lock, make: Callable[[], H]) -> None:
        self._lock, self._make = lock, make
        self._handle: H | None = None

    async def __aenter__(self) -> H:
        await self._lock.acquire()
        self._handle = self._make()
        return self._handle

    async def __aexit__(self, *exc_info: object) -> None:
        self._handle._valid = False  # type: ignore[union-attr]
        self._lock.release()


class TakesTurns(Generic[H]):
    """A link: its lock, and turns that hand out handles of type H (the link's I/O)."""

    def __init__(self, handle: Callable[[Any], H]) -> None:
        self._lock = asyncio.Lock()
        self._handle = handle

    def turn(self) -> Turn[H]:
        return Turn(self._lock, lambda: self._handle(self))

    @property
    def busy(self) -> bool:
        return self._lock.locked()
