"""Protection windows (保护时段): per project, when an automatic arrears cut must wait."""

from __future__ import annotations

from datetime import datetime

from services.control.domain.windows import ProtectionWindow
from services.control.unit_of_work import ControlUnitOfWork


async def set_protection_window(uow: ControlUnitOfWork, window: ProtectionWindow, now: datetime) -> ProtectionWindow:
    """Store a project's window; meters in arrears are looked at again by the next sweep."""
    async with uow:
        await uow.windows.put(window, now)
        await uow.meters.recheck_arrears(None if window.project == "" else window.project, now)
        await uow.commit()
    return window
