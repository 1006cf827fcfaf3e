"""The console's read models: meters' live state, meter days, gateways, accounts' balance state and commands,
projected from the other services' topics (write side: live_projections.py) and read through the caller's
scope (rooms and meters: live_rooms.py, live_meters.py; reports: live_reports.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.console.repository.live_meters import MeterQueries
from services.console.repository.live_projections import ProjectionStatements
from services.console.repository.live_reports import ReportQueries
from services.console.repository.live_rooms import RoomQueries


class LiveRepository(ProjectionStatements, RoomQueries, MeterQueries, ReportQueries):
    """Every read takes the caller's Scope; an object outside it is None, as an absent one."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
