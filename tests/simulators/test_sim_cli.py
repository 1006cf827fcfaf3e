"""`python -m simulators` as a process: serves Modbus, writes the status file, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from pathlib import Path

from pymodbus.client import AsyncModbusTcpClient
from sim_helpers import free_tcp_port

from simulators.modbus_gateway import ControlCode, Reg

REPO_ROOT = Path(__file__).resolve().parents[2]


def read_status(path: Path) -> dict | None:
    """The simulator replaces the file atomically, so it is absent or whole, never half written."""
    return json.loads(path.read_text()) if path.exists() else None


async def wait_for_status(path: Path, done, timeout_s: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = read_status(path)
        if status is not None and done(status):
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"status file {path} never satisfied the condition")


async def test_cli_serves_demo_and_reports_relay_state(tmp_path):
    port, status_file = free_tcp_port(), tmp_path / "meters.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "simulators", "--demo", "2", "--port", str(port), "--no-bus-delay",
        "--status-file", str(status_file), "--status-interval-s", "0.05",
        cwd=REPO_ROOT, stderr=asyncio.subprocess.PIPE,
    )
    try:
        status = await wait_for_status(status_file, lambda s: "M-0002" in s)
        assert status["M-0002"]["relay_open"] is False
        client = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=3, retries=0)
        assert await client.connect()
        await client.write_register(Reg.CONTROL, ControlCode.TRIP, device_id=2)
        client.close()
        status = await wait_for_status(status_file, lambda s: s["M-0002"]["relay_open"])
        assert status["M-0002"]["power_w"] == 0 and status["M-0001"]["relay_open"] is False
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=5)
    assert process.returncode == 0
    assert f"127.0.0.1:{port}" in stderr.decode() and "2=M-0002" in stderr.decode()


async def test_cli_rejects_a_broken_site_file(tmp_path):
    site_file = tmp_path / "broken.yaml"
    site_file.write_text("gateways:\n  - name: gw\n    meters: [{device_id: 0, meter_id: M-1}]\n")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "simulators", "--site", str(site_file),
        cwd=REPO_ROOT, stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=10)
    assert process.returncode == 2
    assert "device_id 0 is not in 1..247" in stderr.decode()
