"""Console room list and room detail under 50 concurrent operators, on a 15,000-room group.

A console database on the embedded PostgreSQL (built by the console's migrations) is seeded in bulk
SQL with a group of 3 regions and 50 properties (3 buildings x 10 floors each, rooms on every floor),
a meter and an account (with its tenant) in nearly every room, live state, 30 days of meter_days and
some commands; operators are made through the console's own code (service.operators.ensure_operator):
a park manager per property, a regional manager per region, one HQ admin. The console HTTP app then
runs under uvicorn in its own process (ports are fakes that fail if called: the room list and detail
answer from the read models only), and --operators operators, each logged in through POST
/api/v1/session with his own httpx.AsyncClient, loop for --seconds over their scope's room list pages
(50 a page, walking the cursor) and the detail of a room from the last page, back to back (--think-ms
adds a pause). Ends with one JSON line; besides latency and throughput it apportions CPU per request to
the console, this driver and PostgreSQL (they share the machine: with back-to-back operators the latency
is mostly waiting for the CPU, i.e. operators / throughput).

    .venv/bin/python bench/console_load.py --seconds 30 --operators 50
    .venv/bin/python bench/console_load.py --database-url ... --redis-url ...   # measure a seeded group again
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.console.domain.live import china_day  # noqa: E402
from services.kit import db  # noqa: E402
from services.kit.embedded import EmbeddedStack, free_port  # noqa: E402
from services.kit.settings import as_asyncpg  # noqa: E402

MIGRATIONS = str(ROOT / "services" / "console" / "migrations")
PASSWORD = "bench-console-pw"
PROPERTIES, BUILDINGS, FLOORS = 50, 3, 10
DAYS = 30
OPERATOR_GRANTS = [("hq", "hq_admin", "G")] + [(f"region-r{r}", "regional_manager", f"R{r}") for r in (1, 2, 3)] + [
    (f"mgr-p{p:02d}", "park_manager", f"P{p:02d}") for p in range(1, PROPERTIES + 1)]
OPERATORS = [username for username, _, _ in OPERATOR_GRANTS]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


# ---- seeding ----------------------------------------------------------------------------------------------

SEED_SQL = (
    # the rooms of the group, with their ids, names and paths
    """CREATE TEMP TABLE bench_rooms AS
       SELECT x.*, abs(hashtext(x.rid)) % 1000 AS h,
              'G.R' || x.region || '.' || x.pid || '.' || x.bid || '.' || x.fid || '.' || x.rid AS path,
              'G.R' || x.region || '.' || x.pid AS ppath, row_number() OVER (ORDER BY x.rid) AS n
       FROM (SELECT (p - 1) % 3 + 1 AS region, 'P' || lpad(p::text, 2, '0') AS pid,
                    'P' || lpad(p::text, 2, '0') || 'B' || b AS bid,
                    'P' || lpad(p::text, 2, '0') || 'B' || b || 'F' || lpad(f::text, 2, '0') AS fid,
                    'P' || lpad(p::text, 2, '0') || 'B' || b || 'F' || lpad(f::text, 2, '0') || 'R'
                        || lpad(r::text, 2, '0') AS rid,
                    b || '栋' || lpad(f::text, 2, '0') || lpad(r::text, 2, '0') || '室' AS name
             FROM generate_series(1, :properties) p, generate_series(1, :buildings) b,
                  generate_series(1, :floors) f, generate_series(1, :per_floor) r) x""",
    "INSERT INTO nodes (node_id, kind, name, path) VALUES ('G', 'group', '集团', 'G')",
    """INSERT INTO nodes (node_id, kind, name, parent_id, path)
       SELECT 'R' || r, 'region', '区域' || r, 'G', text2ltree('G.R' || r) FROM generate_series(1, 3) r""",
    """INSERT INTO nodes (node_id, kind, name, parent_id, path, property_id)
       SELECT DISTINCT pid, 'property', '项目' || pid, 'R' || region, text2ltree(ppath), pid FROM bench_rooms""",
    """INSERT INTO nodes (node_id, kind, name, parent_id, path, property_id)
       SELECT DISTINCT bid, 'building', bid, pid, text2ltree(ppath || '.' || bid), pid FROM bench_rooms""",
    """INSERT INTO nodes (node_id, kind, name, parent_id, path, property_id)
       SELECT DISTINCT fid, 'floor', fid, bid, text2ltree(ppath || '.' || bid || '.' || fid), pid FROM bench_rooms""",
    """INSERT INTO nodes (node_id, kind, name, parent_id, path, property_id, area_m2, room_use)
       SELECT rid, 'room', name, fid, text2ltree(path), pid, 20 + h % 200, 'shop' FROM bench_rooms""",
    """INSERT INTO gateways (gateway_id, property_id, path, online, changed_at)
       SELECT DISTINCT 'GW' || bid, pid, text2ltree(ppath), (abs(hashtext(bid)) % 50) <> 0, now() FROM bench_rooms""",
    """INSERT INTO meters (meter_id, room_id, property_id, path, kind, gateway_id, online, relay_state,
           control_mode, last_read_at, total_wh, voltage_dv, current_ca, power_w, power_factor_milli,
           status_changed_at)
       SELECT 'M' || rid, rid, pid, text2ltree(path), 'electricity', 'GW' || bid, h % 100 < 97,
              CASE WHEN h % 100 BETWEEN 90 AND 92 THEN 'open' ELSE 'closed' END,
              CASE WHEN h % 100 = 98 THEN 'guarantee' ELSE 'prepaid' END,
              now() - interval '1 minute', 1000000 + h * 1000, 2200 + h % 40, 100 + h % 900, 200 + h,
              900 + h % 100, now() - interval '1 hour'
       FROM bench_rooms""",
    # nearly every room is opened: a tenant and an account per room (2% not opened)
    """INSERT INTO tenants (tenant_id, name, phone, property_id, path)
       SELECT 'T' || rid, '租户' || rid, '139' || lpad(n::text, 8, '0'), pid, text2ltree(ppath)
       FROM bench_rooms WHERE h % 50 <> 7""",
    """INSERT INTO accounts (account_id, tenant_id, property_id, path, balance_fen, balance_at, alarm_level,
           in_arrears)
       SELECT 'A' || rid, 'T' || rid, pid, text2ltree(path), (h * 97) % 60000 - 1000, now(),
              CASE WHEN (h * 97) % 60000 - 1000 < 1000 THEN 2 WHEN (h * 97) % 60000 - 1000 < 5000 THEN 1 ELSE 0 END,
              (h * 97) % 60000 - 1000 <= 0
       FROM bench_rooms WHERE h % 50 <> 7""",
    """INSERT INTO account_meters (meter_id, account_id)
       SELECT 'M' || rid, 'A' || rid FROM bench_rooms WHERE h % 50 <> 7""",
    """INSERT INTO meter_days (meter_id, day, property_id, path, first_wh, last_wh, energy_wh, amount_fen,
           last_charge_to)
       SELECT 'M' || rid, CAST(:today AS date) - d, pid, text2ltree(path), 1000000 + (29 - d) * 3000,
              1000000 + (29 - d) * 3000 + 500 + (h * d) % 2500, 500 + (h * d) % 2500,
              (500 + (h * d) % 2500) * 8 / 100, now()
       FROM bench_rooms, generate_series(0, :days - 1) d""",
    """INSERT INTO commands (command_id, meter_id, property_id, path, action, status, requested_by, reason,
           created_at, completed_at)
       SELECT 'C' || rid || '-' || k, 'M' || rid, pid, text2ltree(path),
              CASE WHEN k = 1 THEN 'trip' ELSE 'close' END, 'confirmed', 'wallet-event:bench', '欠费 arrears',
              now() - k * interval '1 day', now() - k * interval '1 day' + interval '5 seconds'
       FROM bench_rooms, generate_series(1, 2) k WHERE h % 10 = 0""",
    "DROP TABLE bench_rooms",
)


async def seed(url: str, rooms: int) -> int:
    """The group in bulk SQL; returns the number of rooms."""
    per_floor = max(1, -(-rooms // (PROPERTIES * BUILDINGS * FLOORS)))
    params = {"properties": PROPERTIES, "buildings": BUILDINGS, "floors": FLOORS, "per_floor": per_floor,
              "today": china_day(datetime.now(UTC)), "days": DAYS}
    engine = db.make_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            for sql in SEED_SQL:
                used = {k: v for k, v in params.items() if f":{k}" in sql}
                await conn.execute(text(sql), used)
        async with engine.connect() as conn:
            await conn.execute(text("COMMIT"))
            await conn.execute(text("VACUUM ANALYZE"))
            return int(await conn.scalar(text("SELECT count(*) FROM nodes WHERE kind = 'room'")))
    finally:
        await engine.dispose()


async def make_operators(url: str) -> list[str]:
    """HQ admin, a regional manager per region, a park manager per property (argon2id, as in production)."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from services.console.service.operators import ensure_operator
    from services.console.unit_of_work import ConsoleUnitOfWork

    engine = db.make_engine(url, pool_size=1)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    wanted = OPERATOR_GRANTS
    try:
        for username, role, node in wanted:
            uow = ConsoleUnitOfWork(sessions, on_commit=lambda: None)
            async with uow:
                await ensure_operator(uow, username, username, PASSWORD, [(role, node)])
                await uow.commit()
    finally:
        await engine.dispose()
    return [u for u, _, _ in wanted]


# ---- the console under uvicorn (a process of its own) -------------------------------------------------------

class Unreachable:
    """A port the room list and detail must not call."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str):
        async def call(*args, **kwargs):
            from services.console.domain.errors import Unavailable

            raise Unavailable(f"{self._name} 不可用", f"{self._name}.{attr} is not part of the bench")

        return call


def app_factory():
    """The console app on BENCH_DATABASE_URL / BENCH_REDIS_URL (uvicorn calls this in each worker)."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from services.console.entrypoints.http.app import create_app
    from services.console.entrypoints.http.deps import AppDeps
    from services.console.identity import Identity
    from services.console.ports import Ports
    from services.console.settings import ConsoleSettings
    from services.console.unit_of_work import ConsoleUnitOfWork
    from services.kit.clock import SystemClock

    settings = ConsoleSettings()
    engine = db.make_engine(os.environ["BENCH_DATABASE_URL"], pool_size=int(os.environ.get("BENCH_POOL", "10")))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    clock = SystemClock()
    identity = Identity.from_url(os.environ["BENCH_REDIS_URL"], settings, clock, prefix="bench:",
                                 scope_cache_s=float(os.environ.get("BENCH_SCOPE_CACHE_S", "1.0")))
    ports = Ports(*(Unreachable(n) for n in ("acquisition", "wallet", "control", "tariff", "sms")))
    return create_app(AppDeps(lambda: ConsoleUnitOfWork(sessions, on_commit=lambda: None), ports, clock,
                              identity, settings))


def start_console(url: str, redis_url: str, port: int, workers: int, pool: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "BENCH_DATABASE_URL": url, "BENCH_REDIS_URL": redis_url, "BENCH_POOL": str(pool),
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    argv = [sys.executable, "-m", "uvicorn", "console_load:app_factory", "--factory", "--app-dir",
            str(Path(__file__).parent), "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--log-level", "warning", "--no-access-log"]
    return subprocess.Popen(argv, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


async def wait_up(base: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(f"console did not come up on {base}")


# ---- the operators ---------------------------------------------------------------------------------------

@dataclass
class Tally:
    list_ms: list[float] = field(default_factory=list)
    detail_ms: list[float] = field(default_factory=list)
    errors: int = 0
    problems: list[str] = field(default_factory=list)


async def timed(client: httpx.AsyncClient, path: str, params: dict, tally: Tally, into: list[float]) -> dict | None:
    started = time.perf_counter()
    try:
        answer = await client.get(path, params=params)
    except httpx.HTTPError as error:
        tally.errors += 1
        tally.problems.append(f"{path}: {error!r}"[:200])
        return None
    into.append((time.perf_counter() - started) * 1000)
    if answer.status_code != 200:
        tally.errors += 1
        tally.problems.append(f"{path}: {answer.status_code} {answer.text[:150]}")
        return None
    return answer.json()


async def log_in(base: str, username: str) -> httpx.AsyncClient:
    """An operator's own client, logged in through POST /api/v1/session (Bearer token, no cookie)."""
    client = httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=2))
    login = await client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
    if login.status_code != 200:
        await client.aclose()
        raise RuntimeError(f"login {username}: {login.status_code} {login.text[:150]}")
    client.headers["Authorization"] = f"Bearer {login.json()['token']}"
    client.cookies.clear()
    return client


async def operator_loop(client: httpx.AsyncClient, until: float, tally: Tally, think_s: float = 0.0) -> int:
    """Room list pages (walking the cursor, from the start again at the end) and a room detail after each,
    with think_s between requests (0: as fast as the answers come)."""
    cursor, seen = "", 0
    while time.monotonic() < until:
        page = await timed(client, "/api/v1/rooms", {"limit": 50, "cursor": cursor}, tally, tally.list_ms)
        if not page or not page["items"]:
            cursor = ""
            continue
        seen += len(page["items"])
        cursor = page["next"]
        await asyncio.sleep(think_s * random.uniform(0.5, 1.5))
        room = random.choice(page["items"])["room_id"]
        await timed(client, f"/api/v1/rooms/{room}", {}, tally, tally.detail_ms)
        await asyncio.sleep(think_s * random.uniform(0.5, 1.5))
    return seen


async def drive(clients: list[httpx.AsyncClient], seconds: float, think_s: float = 0.0) -> tuple[Tally, float]:
    tally = Tally()
    started = time.monotonic()
    await asyncio.gather(*(operator_loop(c, started + seconds, tally, think_s) for c in clients))
    return tally, time.monotonic() - started


def pick_operators(all_usernames: list[str], count: int) -> list[str]:
    """HQ and the regional managers first (the biggest scopes), then park managers."""
    return (all_usernames * (count // len(all_usernames) + 1))[:count]


def figures(tally: Tally, elapsed_s: float, rooms: int, operators: int, workers: int, pool: int) -> dict:
    every = tally.list_ms + tally.detail_ms
    return {
        "rooms": rooms, "operators": operators, "workers": workers, "pool": pool,
        "requests": len(every), "requests_per_s": round(len(every) / elapsed_s, 1),
        "p50_ms": round(percentile(every, 0.50), 1), "p99_ms": round(percentile(every, 0.99), 1),
        "mean_ms": round(statistics.fmean(every), 1) if every else None,
        "list_p50_ms": round(percentile(tally.list_ms, 0.50), 1),
        "list_p99_ms": round(percentile(tally.list_ms, 0.99), 1),
        "detail_p50_ms": round(percentile(tally.detail_ms, 0.50), 1),
        "detail_p99_ms": round(percentile(tally.detail_ms, 0.99), 1),
        "errors": tally.errors, "problems": tally.problems[:5],
    }


async def count_rooms(url: str) -> int:
    engine = db.make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(text("SELECT count(*) FROM nodes WHERE kind = 'room'")))
    finally:
        await engine.dispose()


def cpu_times(processes: list[psutil.Process]) -> dict[int, float]:
    """CPU seconds used so far by each process still alive, and by its children that ended (a pool closes
    and opens connections, so PostgreSQL backends come and go: their postmaster keeps their CPU)."""
    used = {}
    for process in processes:
        try:
            times = process.cpu_times()
            used[process.pid] = times.user + times.system
            used[-process.pid] = times.children_user + times.children_system
        except psutil.NoSuchProcess:
            pass
    return used


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """What the processes alive at both moments used in between."""
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys())


def cpu_users(console: subprocess.Popen, database_url: str) -> dict[str, list[psutil.Process]]:
    """The processes whose CPU the figures apportion: the console (and its workers), this driver, and the
    PostgreSQL server of the bench database (its postmaster and the backends alive now)."""
    server = psutil.Process(console.pid)
    socket_dir = make_url(database_url).query.get("host", "")
    postmasters = [p for p in psutil.process_iter(["cmdline"])
                   if socket_dir and "postgres" in " ".join(p.info["cmdline"] or [])
                   and socket_dir in (p.info["cmdline"] or [])]
    return {"console": [server, *server.children(recursive=True)], "driver": [psutil.Process()],
            "postgres": [*postmasters, *(c for p in postmasters for c in p.children())]}


async def measure(args: argparse.Namespace, url: str, redis_url: str, usernames: list[str], rooms: int,
                  log: Path) -> dict:
    port = free_port()
    console = start_console(url, redis_url, port, args.workers, args.pool, log)
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_up(base)
        clients = [await log_in(base, u) for u in pick_operators(usernames, args.operators)]
        try:
            await drive(clients, min(3.0, args.seconds), args.think_ms / 1000)   # warm-up: caches, statements, pool
            users = cpu_users(console, url)
            before = {name: cpu_times(ps) for name, ps in users.items()}
            tally, elapsed = await drive(clients, args.seconds, args.think_ms / 1000)
            used = {name: cpu_used(before[name], cpu_times(ps)) for name, ps in users.items()}
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
        result = figures(tally, elapsed, rooms, args.operators, args.workers, args.pool)
        result["think_ms"] = args.think_ms
        done = max(1, result["requests"])
        result.update({f"{name}_cpu_ms_per_request": round(1000 * s / done, 2) for name, s in used.items()})
        result["machine_load_1m"] = round(os.getloadavg()[0], 2)
        return result
    finally:
        console.terminate()
        console.wait(timeout=10)


async def run(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        if args.database_url:   # a group seeded before (same shape and operators): measure only
            rooms = await count_rooms(args.database_url)
            return await measure(args, args.database_url, args.redis_url, OPERATORS, rooms, Path(tmp) / "console.log")
        stack = EmbeddedStack(Path(tmp) / "embedded")
        infra = stack.start(kafka_bootstrap="unused:9092")   # no broker: the bench reads only
        try:
            url = make_url(as_asyncpg(infra.database_url)).set(database="bench_console").render_as_string(False)
            await db.migrate(url, MIGRATIONS, "console")
            t0 = time.monotonic()
            rooms = await seed(url, args.rooms)
            usernames = await make_operators(url)
            print(f"seeded {rooms} rooms, {len(usernames)} operators in {time.monotonic() - t0:.1f}s", file=sys.stderr)
            return await measure(args, url, infra.redis_url, usernames, rooms, Path(tmp) / "console.log")
        finally:
            stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--operators", type=int, default=50)
    parser.add_argument("--rooms", type=int, default=15_000)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="mean pause of an operator between requests (0: back to back, the issue's loop)")
    parser.add_argument("--pool", type=int, default=10, help="database connections per worker")
    parser.add_argument("--database-url", default="", help="measure only, on a console database seeded before")
    parser.add_argument("--redis-url", default="", help="with --database-url: the Redis for sessions")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(f"{result['rooms']} rooms, {result['operators']} operators: {result['requests']} requests, "
          f"{result['requests_per_s']}/s; p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms "
          f"(list p99 {result['list_p99_ms']} ms, detail p99 {result['detail_p99_ms']} ms); errors {result['errors']}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()

