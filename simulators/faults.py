"""Faults on demand for a running site, from a JSON file the operator edits (CLI: --faults-file).

    {"dead": ["M-0002"], "garbage": ["E-1"], "uplink_down": ["gw-demo-1"]}

dead: the meter stops answering; garbage: a serial meter answers noise; uplink_down: the
gateway's uplink is cut and it stores a reading of each meter every `store_every_s` until
the name leaves the list (then its buffer waits at unit id 255). Listed names that do not
exist are logged and ignored. Rollover and meter swap are site-file and Python-API faults
(`initial_total_wh` near 2^32, `GatewaySim.swap_meter`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from simulators.modbus_gateway import SiteSim

log = logging.getLogger("simulators.faults")
FAULT_KINDS = ("dead", "garbage", "uplink_down")


async def apply_faults(sim: SiteSim, wanted: dict[str, list[str]], store_every_s: float = 60.0) -> None:
    """Make the site's faults exactly `wanted` (names not listed are healed)."""
    unknown = set(wanted) - set(FAULT_KINDS)
    if unknown:
        log.warning("unknown fault kinds ignored: %s", sorted(unknown))
    dead, garbage = set(wanted.get("dead", [])), set(wanted.get("garbage", []))
    for gateway in sim.gateways:
        gateway.dead_devices = {d for d, m in gateway.meters.items() if m.meter_id in dead}
        down = gateway.name in wanted.get("uplink_down", [])
        if down and gateway.uplink_up:
            await gateway.uplink_down(store_every_s=store_every_s)
        elif not down and not gateway.uplink_up:
            await gateway.uplink_restored()
    for line in [g.line for g in sim.serial_gateways] + [d.line for d in sim.dtus]:
        for device in line.devices:
            device.dead = device.meter_id in dead  # type: ignore[attr-defined]
            device.garbage = device.meter_id in garbage  # type: ignore[attr-defined]


def read_faults(path: Path) -> dict[str, list[str]] | None:
    """The faults file, or None when it is missing or not valid JSON (logged, the site keeps its faults)."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except json.JSONDecodeError as exc:
        log.warning("faults file %s is not JSON: %s", path, exc)
        return None
    return {kind: [str(name) for name in names] for kind, names in data.items()}
