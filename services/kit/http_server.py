"""An ASGI app served by uvicorn inside a service's own event loop (next to its consumers and gRPC)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import uvicorn


class _InLoopServer(uvicorn.Server):
    """uvicorn inside a service process: the process (ServiceRuntime), not uvicorn, owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


async def serve_asgi(app: Any, host: str, port: int, on_bound: Callable[[int], None] | None = None) -> None:
    """Serve until cancelled; on_bound gets the bound port (port 0 = any free one)."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    server = _InLoopServer(config)
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():  # noqa: ASYNC110 - uvicorn offers no started event
        await asyncio.sleep(0.05)
    if server.started and on_bound:
        on_bound(server.servers[0].sockets[0].getsockname()[1])
    try:
        await task
    finally:
        server.should_exit = True
        await asyncio.gather(task, return_exceptions=True)
