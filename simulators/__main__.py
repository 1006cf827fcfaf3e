"""Run a simulated site until Ctrl-C or SIGTERM.

    python -m simulators --site simulators/sites/demo.yaml
    python -m simulators --demo 3 --port 15020 --time-scale 600 --status-file .run/meters.json

SIGUSR1 logs the state of every meter; --status-file rewrites it as JSON every interval.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path

import yaml

from simulators.faults import apply_faults, read_faults
from simulators.fleet import PRESETS, preset, site_as_dict
from simulators.modbus_gateway import SiteSim, serve_site
from simulators.site import SiteConfigError, SiteSpec, demo_site, load_site

log = logging.getLogger("simulators")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulators", description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--site", type=Path, help="site description (.yaml, .yml or .json)")
    source.add_argument("--demo", type=int, metavar="METERS", help="one demo gateway with this many meters")
    source.add_argument("--preset", choices=PRESETS, help="building (353 meters) or park (15,000 meters)")
    parser.add_argument("--host", default="127.0.0.1", help="demo gateway host (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=15020, help="demo gateway port (default 15020)")
    parser.add_argument(
        "--time-scale", type=float, help="simulated seconds per real second (overrides the site's)"
    )
    parser.add_argument("--no-bus-delay", action="store_true", help="answer at once, without RS-485 timing")
    parser.add_argument("--status-file", type=Path, help="write {meter_id: state} JSON here every interval")
    parser.add_argument("--status-interval-s", type=float, default=1.0)
    parser.add_argument("--faults-file", type=Path,
                        help='JSON {"dead": [meter ids], "garbage": [...], "uplink_down": [gateway names]}, '
                             're-read every second (see simulators/faults.py)')
    parser.add_argument("--write-site", type=Path, help="write the site as JSON/YAML to this file and exit")
    parser.add_argument("--platform", help="host:port where DTUs dial in (overrides the site's)")
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def site_from_args(args: argparse.Namespace) -> SiteSpec:
    if args.site is not None:
        site = load_site(args.site)
    elif args.preset is not None:
        site = preset(args.preset, host=args.host)
    else:
        site = demo_site(args.demo, port=args.port, host=args.host)
    if args.time_scale is not None:
        site = replace(site, time_scale=args.time_scale)
    if args.no_bus_delay:
        site = replace(site, bus_delay=False)
    if args.platform:
        site = replace(site, platform=args.platform)
    return site


def write_site(site: SiteSpec, path: Path) -> None:
    data = site_as_dict(site)
    if path.suffix == ".json":
        text = json.dumps(data, indent=1)
    else:
        text = yaml.safe_dump(data, sort_keys=False, width=200, default_flow_style=None)
    path.write_text(text, encoding="utf-8")


def write_status_file(sim: SiteSim, path: Path) -> None:
    """Replace the file atomically so a reader never sees half a JSON document."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(sim.status(), sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)


async def keep_status_file(sim: SiteSim, path: Path, interval_s: float) -> None:
    while True:
        write_status_file(sim, path)
        await asyncio.sleep(interval_s)


async def follow_faults(sim: SiteSim, path: Path, interval_s: float = 1.0) -> None:
    applied: dict[str, list[str]] | None = None
    while True:
        wanted = read_faults(path)
        if wanted is not None and wanted != applied:
            await apply_faults(sim, wanted)
            log.info("faults now %s", json.dumps(wanted))
            applied = wanted
        await asyncio.sleep(interval_s)


def log_started(sim: SiteSim) -> None:
    spec = sim.spec
    log.info("site %s: time_scale=%g bus_delay=%s", spec.name, spec.time_scale, spec.bus_delay)
    if len(spec.gateways) > 20:
        log.info("%d gateways, %d meters listening (ports %d..%d)", len(spec.gateways), len(spec.all_meters()),
                 min(g.port for g in spec.gateways), max(g.port for g in spec.gateways))
        return
    for serial in sim.serial_gateways:
        log.info("transparent gateway %s listening on %s:%d meters: %s", serial.name, serial.host, serial.port,
                 ", ".join(d.meter_id for d in serial.line.devices))
    for dtu in sim.dtus:
        log.info("DTU %s dials %s:%d", dtu.dtu_id, *dtu.platform)
    for gateway in sim.gateways:
        meters = ", ".join(f"{m.device_id}={m.meter_id}" for m in gateway.meters.values())
        log.info("gateway %s listening on %s:%d (%d baud) meters: %s",
                 gateway.name, gateway.host, gateway.port, gateway.timing.baud, meters)


async def run(args: argparse.Namespace) -> None:
    sim = await serve_site(site_from_args(args))
    log_started(sim)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, lambda: log.info("status %s", json.dumps(sim.status())))
    status_task = None
    if args.status_file is not None:
        status_task = asyncio.create_task(keep_status_file(sim, args.status_file, args.status_interval_s))
    faults_task = asyncio.create_task(follow_faults(sim, args.faults_file)) if args.faults_file else None
    try:
        await stop.wait()
    finally:
        for task in (status_task, faults_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await sim.stop()
        log.info("site %s stopped", sim.spec.name)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format=LOG_FORMAT)
    logging.getLogger("pymodbus").setLevel(logging.WARNING)
    try:
        if args.write_site is not None:
            write_site(site_from_args(args), args.write_site)
            return 0
        asyncio.run(run(args))
    except (SiteConfigError, OSError) as exc:
        log.error("%s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
