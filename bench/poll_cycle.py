"""One full poll cycle of the 15,000-meter park: simulator in its own process, acquisition in this one.

    .venv/bin/python bench/poll_cycle.py            # park preset, 3 cycles (the first cold)
    .venv/bin/python bench/poll_cycle.py --preset building --cycles 3

Prints the cycle time, readings per second, the physical lower bound of the slowest bus
(its meters x the bus time of one poll's requests and replies at its baud rate, plus the
meters' turnaround), the CPU each process used, and ends with one JSON line.

The acquisition side is the real poller and use case: pymodbus / raw TCP to every gateway
in parallel, one transaction per gateway batch into PostgreSQL (readings partitioned by
month, the outbox rows of meter.readings.v1, meter states). No Kafka relay runs here: the
events stay in the outbox, which is the durable hand-off point.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy.ext.asyncio import async_sessionmaker  # noqa: E402

from services.acquisition import service  # noqa: E402
from services.acquisition.domain import cjt188, dlt645  # noqa: E402
from services.acquisition.domain.registry import Gateway, GatewayTransport, Meter, MeterKind, MeterProtocol  # noqa: E402
from services.acquisition.domain.sheet import Commissioning  # noqa: E402
from services.acquisition.entrypoints.events import to_outgoing  # noqa: E402
from services.acquisition.entrypoints.poller import Poller, PollPolicy  # noqa: E402
from services.acquisition.fieldbus import FieldBus  # noqa: E402
from services.acquisition.main import MIGRATIONS  # noqa: E402
from services.acquisition.unit_of_work import AcquisitionUnitOfWork  # noqa: E402
from services.kit import db  # noqa: E402
from services.kit.clock import SystemClock  # noqa: E402
from services.kit.embedded import EmbeddedStack  # noqa: E402
from services.kit.testing import fresh_database  # noqa: E402
from simulators.fleet import preset, site_as_dict  # noqa: E402
from simulators.modbus_gateway import BusTiming  # noqa: E402
from simulators.serial_meters import Cjt188WaterMeter, Dlt645Meter, WaterMeter  # noqa: E402
from simulators.site import GatewaySpec, SiteSpec  # noqa: E402

TRANSPORT = {"modbus": GatewayTransport.MODBUS_TCP, "transparent": GatewayTransport.TRANSPARENT_TCP,
             "dtu": GatewayTransport.DTU}
TICKS_PER_S = os.sysconf("SC_CLK_TCK")
PG_DATA_DIR = ["?"]  # set once the embedded server is up


# --------------------------------------------------------------------------- physical bound


def meter_bus_s(gateway: GatewaySpec) -> float:
    """Bus time of one meter's poll on this gateway: every request and reply byte plus turnarounds."""
    timing = BusTiming.of_gateway(gateway, enabled=True)
    meter = gateway.meters[0]
    if meter.protocol == "modbus":
        return timing.read_transaction_s(21)
    frames = _serial_exchanges(meter.protocol, meter.address)
    return sum(timing.frame_time_s(len(req) + len(rep)) + timing.turnaround_s for req, rep in frames)


def _serial_exchanges(protocol: str, address: str) -> list[tuple[bytes, bytes]]:
    """The poll's requests (our codec) and the replies a meter sends (the simulator), by their real sizes."""
    from simulators.meter import LoadProfile, SimulatedMeter

    profile = LoadProfile.of_kind("constant", 1000)
    if protocol == "dlt645":
        device = Dlt645Meter(address, SimulatedMeter(1, "x", profile))
        requests = [dlt645.read_request(address, data_id) for data_id in
                    (dlt645.DataId.COMBINED_ACTIVE_BLOCK, dlt645.DataId.ACTIVE_POWER_TOTAL,
                     dlt645.DataId.STATUS_WORD_3)]
    else:
        device = Cjt188WaterMeter(address, WaterMeter("x", profile))
        requests = [cjt188.read_request(address, 0)]
    return [(request, device.answer(request) or b"") for request in requests]


def slowest_bus(site: SiteSpec) -> tuple[GatewaySpec, float]:
    bounds = [(g, len(g.meters) * meter_bus_s(g)) for g in site.gateways]
    return max(bounds, key=lambda item: item[1])


# --------------------------------------------------------------------------- processes


def cpu_s_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S  # utime + stime


def start_simulator(site: SiteSpec, workdir: Path) -> subprocess.Popen[bytes]:
    path = workdir / "site.json"
    path.write_text(json.dumps(site_as_dict(site)))
    log = (workdir / "simulator.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "simulators", "--site", str(path), "--log-level", "WARNING"],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def wait_listening(site: SiteSpec, process: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    for gateway in site.gateways:
        while True:
            if process.poll() is not None:
                raise RuntimeError("simulator exited; see its log")
            try:
                socket.create_connection((gateway.host, gateway.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{gateway.name} never listened") from None
                time.sleep(0.1)


def commissioning_of(site: SiteSpec) -> Commissioning:
    gateways, meters = [], []
    for g in site.gateways:
        gid = g.name.upper()
        gateways.append(Gateway(gid, TRANSPORT[g.protocol], g.host, g.port, project_id="PARK"))
        meters += [Meter(m.meter_id, gid, m.device_id, protocol=MeterProtocol(m.protocol), address=m.address,
                         kind=MeterKind.WATER if m.protocol == "cjt188" else MeterKind.ELECTRICITY)
                   for m in g.meters]
    return Commissioning(gateways, meters)


# --------------------------------------------------------------------------- the bench


async def bench(args: argparse.Namespace, database_url: str, simulator_pid: int, site: SiteSpec) -> dict:
    url = await fresh_database(database_url, "acquisition", MIGRATIONS)
    engine = db.make_engine(url, pool_size=args.pool)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    def new_uow() -> AcquisitionUnitOfWork:
        return AcquisitionUnitOfWork(sessions, lambda: None, to_outgoing)

    await service.import_commissioning(new_uow(), commissioning_of(site))
    bus = FieldBus(timeout_s=2.0, retries=1)
    poller = Poller(new_uow, bus, SystemClock().now, PollPolicy(max_parallel_gateways=args.parallel,
                                                                    store_every_s=args.store_every_s))
    await service.ensure_partitions_ahead(new_uow(), SystemClock().now(), poller.partitions)
    results = []
    for cycle in range(1, args.cycles + 1):
        if args.profile and cycle == args.cycles:
            import cProfile
            import pstats

            profiler = cProfile.Profile(time.process_time)  # CPU, not waiting
            profiler.enable()
        results.append(await one_cycle(poller, simulator_pid, cycle))
    if args.profile:
        profiler.disable()
        pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(35)
    bus.close()
    await engine.dispose()
    return results[-1] | {"cold_cycle_s": results[0]["cycle_s"], "cycles_s": [r["cycle_s"] for r in results]}


class PhaseClock:
    """Wall time of every gateway's bus phase and store phase (where a slow cycle spends its time)."""

    def __init__(self, poller: Poller) -> None:
        self.read_s: list[float] = []
        self.store_s: list[float] = []
        read, store = poller._read_gateway, service.record_gateway_cycle

        async def timed_read(*a, **k):
            t = time.perf_counter()
            try:
                return await read(*a, **k)
            finally:
                self.read_s.append(time.perf_counter() - t)

        async def timed_store(*a, **k):
            t = time.perf_counter()
            try:
                return await store(*a, **k)
            finally:
                self.store_s.append(time.perf_counter() - t)

        poller._read_gateway = timed_read
        service.record_gateway_cycle = timed_store

    def summary(self) -> str:
        read, store = sorted(self.read_s), sorted(self.store_s)
        text = (f"bus phase max {read[-1]:.2f} s, median {read[len(read) // 2]:.2f} s; "
                f"store phase max {store[-1]:.2f} s, median {store[len(store) // 2]:.2f} s")
        self.read_s.clear()
        self.store_s.clear()
        return text


def postgres_cpu_s(data_dir: str) -> float:
    """CPU of our embedded PostgreSQL: its postmaster (found by data dir) and every backend under it."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            own, reaped = int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
            stats[int(entry.name)] = (cmdline, int(fields[1]), own / TICKS_PER_S, reaped / TICKS_PER_S)
    masters = {pid for pid, (cmd, *_) in stats.items() if data_dir in cmd and "postgres" in cmd}
    # live backends, plus what backends that already exited used (the postmaster's reaped children)
    return sum(cpu + (reaped if pid in masters else 0)
               for pid, (_, ppid, cpu, reaped) in stats.items() if pid in masters or ppid in masters)


def busy_cpu_s() -> float:
    """CPU seconds all cores spent busy so far (for PostgreSQL and everything else on the machine)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / TICKS_PER_S


async def one_cycle(poller: Poller, simulator_pid: int, cycle: int) -> dict:
    phases = getattr(poller, "_phases", None) or PhaseClock(poller)
    poller._phases = phases
    busy0, pg0 = busy_cpu_s(), postgres_cpu_s(PG_DATA_DIR[0])
    sim_cpu0, own_cpu0, started = cpu_s_of(simulator_pid), time.process_time(), time.perf_counter()
    count = await poller.poll_all()
    cycle_s = time.perf_counter() - started
    machine_cpu, pg_cpu = busy_cpu_s() - busy0, postgres_cpu_s(PG_DATA_DIR[0]) - pg0
    print(f"  {phases.summary()}; PostgreSQL {pg_cpu:.2f} CPU-s; whole machine busy {machine_cpu:.2f} "
          f"of {os.cpu_count() * cycle_s:.2f} CPU-s (other work on the machine included)", flush=True)
    sim_cpu, own_cpu = cpu_s_of(simulator_pid) - sim_cpu0, time.process_time() - own_cpu0
    print(f"cycle {cycle}: {cycle_s:.2f} s, read {count.read}, failed {count.failed}, "
          f"gateways down {count.gateways_down}, {count.read / cycle_s:.0f} readings/s; "
          f"CPU acquisition {own_cpu:.2f} s, simulator {sim_cpu:.2f} s", flush=True)
    return {"cycle_s": round(cycle_s, 3), "read": count.read, "failed": count.failed,
            "readings_per_s": round(count.read / cycle_s, 1), "acq_cpu_s": round(own_cpu, 2),
            "sim_cpu_s": round(sim_cpu, 2), "pg_cpu_s": round(pg_cpu, 2), "machine_busy_cpu_s": round(machine_cpu, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="park", choices=("park", "building"))
    parser.add_argument("--cycles", type=int, default=3, help="the first is cold (connects); the JSON is the last")
    parser.add_argument("--parallel", type=int, default=1000, help="gateways polled at once")
    parser.add_argument("--pool", type=int, default=10, help="database connections (x2 overflow)")
    parser.add_argument("--store-every-s", type=float, default=PollPolicy.store_every_s,
                        help="store a gateway's readings every N s of its cycle (0: once a cycle, fewest transactions)")
    parser.add_argument("--profile", action="store_true", help="cProfile the last cycle (slows it down)")
    args = parser.parse_args()
    site = preset(args.preset)
    gateway, bound_s = slowest_bus(site)
    print(f"site {site.name}: {len(site.gateways)} gateways, {len(site.all_meters())} meters", flush=True)
    print(f"slowest bus: {gateway.name} ({gateway.meters[0].protocol}, {len(gateway.meters)} meters at "
          f"{gateway.baud} baud): lower bound {bound_s:.2f} s per cycle", flush=True)
    with tempfile.TemporaryDirectory(prefix="poll-cycle-") as tmp:
        workdir = Path(tmp)
        stack = EmbeddedStack(workdir / "embedded")
        database_url = os.environ.get("DATABASE_URL") or stack.start(None, "redis://unused", "unused").database_url
        PG_DATA_DIR[0] = str(workdir / "embedded")
        simulator = start_simulator(site, workdir)
        try:
            wait_listening(site, simulator)
            result = asyncio.run(bench(args, database_url, simulator.pid, site))
        finally:
            simulator.terminate()
            simulator.wait(timeout=30)
            stack.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result |= {"bound_s": round(bound_s, 3), "ratio": round(result["cycle_s"] / bound_s, 2),
               "rss_mb": round(rss_mb, 1), "meters": len(site.all_meters()), "gateways": len(site.gateways)}
    print(f"cycle {result['cycle_s']:.2f} s = {result['ratio']:.2f} x the slowest bus bound ({bound_s:.2f} s); "
          f"{result['readings_per_s']:.0f} readings/s; acquisition max RSS {rss_mb:.0f} MB")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
