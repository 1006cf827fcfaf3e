"""Test support shared by every service's tests: fresh databases and real processes.

Lives in the kit (not in tests/) so that tests, benches and the e2e harness use one
implementation. Nothing here is imported by production code.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from services.kit import db
from services.kit.settings import as_asyncpg


async def fresh_database(server_url: str, service: str, migrations: str) -> str:
    """A new, empty database on the server with the service's migrations applied; returns its URL."""
    url = make_url(as_asyncpg(server_url)).set(database=f"test_{service}_{uuid.uuid4().hex[:10]}")
    rendered = url.render_as_string(hide_password=False)
    await db.migrate(rendered, migrations, service)
    return rendered


@dataclass
class ProcessGroup:
    """Real processes for end-to-end tests and benches: started with an environment, logged to files."""

    log_dir: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, argv: list[str], extra_env: dict[str, str] | None = None) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            argv, env={**os.environ, **self.env, **(extra_env or {})}, stdout=log, stderr=subprocess.STDOUT)

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_for_log(self, name: str, needle: str, timeout_s: float = 90.0) -> None:
        self.wait_until(lambda: needle in self.log(name), timeout_s, f"{name} never logged {needle!r}")

    def wait_until(self, condition: Callable[[], bool], timeout_s: float, message: str) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if condition():
                return
            dead = [n for n, p in self.processes.items() if p.poll() is not None]
            if dead:
                raise RuntimeError(f"process exited: {dead}\n" + "\n".join(self.log(n)[-3000:] for n in dead))
            time.sleep(0.1)
        raise TimeoutError(message)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
