"""What operators and the console read: commands with their attempts, meters, batches, windows.

Every list is a page: a limit (0 = the default, capped at the maximum) and a cursor.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.control.domain.batches import Batch, BatchProgress, Selection
from services.control.domain.commands import CommandQuery
from services.control.domain.errors import UnknownBatch
from services.control.domain.lifecycle import Attempt, Command
from services.control.domain.meter import MeterControl
from services.control.domain.operations import MAX_BATCH_METERS
from services.control.domain.windows import ProtectionWindow
from services.control.service.batches import unknown_batch
from services.control.unit_of_work import ControlUnitOfWork
from services.kit.paging import Page, PageSize

COMMAND_PAGE = PageSize(default=100, maximum=5000)
METER_PAGE = PageSize(default=50_000, maximum=50_000)   # the console's overview asks for every meter at once
BATCH_PAGE = PageSize(default=50, maximum=500)
BATCH_ITEM_PAGE = PageSize(default=MAX_BATCH_METERS, maximum=MAX_BATCH_METERS)  # default: all of a batch's items
WINDOW_PAGE = PageSize(default=1000, maximum=1000)
MAX_EXPORT_ROWS = 50_000


@dataclass(frozen=True)
class CommandHistory:
    command: Command
    attempts: tuple[Attempt, ...] = ()    # only when asked for


@dataclass(frozen=True)
class BatchSummary:
    batch: Batch
    progress: BatchProgress


@dataclass(frozen=True)
class BatchDetail:
    summary: BatchSummary
    items: Page[Command]                  # empty unless asked for


async def list_commands(uow: ControlUnitOfWork, query: CommandQuery, limit: int = 0,
                        cursor: str = "") -> Page[CommandHistory]:
    """Commands by meter, batch or status, newest first; with their attempts when asked."""
    async with uow:
        page = await uow.commands.list(query, COMMAND_PAGE.of(limit), cursor)
        ids = [c.command_id for c in page.items]
        attempts = await uow.commands.attempts_of(ids) if query.with_attempts else {}
    return Page(tuple(CommandHistory(c, tuple(attempts.get(c.command_id, ()))) for c in page.items),
                page.next_cursor)


async def list_meters(uow: ControlUnitOfWork, selection: Selection, limit: int = 0,
                      cursor: str = "") -> Page[MeterControl]:
    """The meters of a selection (empty: all), by meter id."""
    async with uow:
        return await uow.meters.select(selection, METER_PAGE.of(limit), cursor)


async def meters_to_export(uow: ControlUnitOfWork, selection: Selection) -> tuple[MeterControl, ...]:
    """F-43: the meters of a selection for the workbook, at most MAX_EXPORT_ROWS."""
    async with uow:
        return (await uow.meters.select(selection, MAX_EXPORT_ROWS)).items


async def list_batches(uow: ControlUnitOfWork, limit: int = 0, cursor: str = "") -> Page[BatchSummary]:
    """Batches newest first, each with its progress."""
    async with uow:
        page = await uow.batches.list(BATCH_PAGE.of(limit), cursor)
        summaries = [BatchSummary(b, await uow.commands.progress(b.batch_id)) for b in page.items]
    return Page(tuple(summaries), page.next_cursor)


async def get_batch(uow: ControlUnitOfWork, batch_id: str, with_items: bool = False, items_limit: int = 0,
                    items_cursor: str = "") -> BatchDetail:
    """A batch's progress, and its items (by meter) when asked."""
    async with uow:
        batch = await uow.batches.get(batch_id)
        if batch is None:
            raise UnknownBatch(unknown_batch(batch_id))
        progress = await uow.commands.progress(batch_id)
        items = await uow.commands.of_batch(batch_id, (), BATCH_ITEM_PAGE.of(items_limit), items_cursor) \
            if with_items else Page(())
    return BatchDetail(BatchSummary(batch, progress), items)


async def list_windows(uow: ControlUnitOfWork, limit: int = 0, cursor: str = "") -> Page[ProtectionWindow]:
    async with uow:
        return await uow.windows.list(WINDOW_PAGE.of(limit), cursor)
