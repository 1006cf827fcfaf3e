"""`make run`: embedded PostgreSQL, Redis and Kafka, every service, a simulated site, and the console.

Processes run under honcho (one coloured, prefixed log stream); Ctrl-C stops them
all and then the embedded infrastructure. A URL in DATABASE_URL / REDIS_URL /
KAFKA_BOOTSTRAP replaces the embedded part with the real one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

# The seeding thread talks gRPC while honcho forks the processes; gRPC's fork handlers only warn about it.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
import grpc

from services.console.demo_site import DEMO_OPERATORS, DEMO_PASSWORD, DemoPorts
from services.contracts.meterpay.v1 import acquisition_pb2, acquisition_pb2_grpc, wallet_pb2, wallet_pb2_grpc
from services.demo_seed import seed_demo_group
from services.kit.embedded import EmbeddedStack, free_port
from services.kit.grpc import wait_healthy

SERVICES = ("acquisition", "tariff", "wallet", "control")
SMS_KEY_ID, SMS_KEY_SECRET = "LTAI-sandbox-key-id", "sandbox-access-key-secret"
SITES = Path(__file__).resolve().parent.parent / "simulators" / "sites"


@dataclass(frozen=True)
class Ports:
    acquisition: int
    tariff: int
    wallet: int
    control: int
    console: int
    gateway: int
    wallet_http: int
    dtu: int
    sms: int

    @classmethod
    def pick(cls, preferred: bool) -> Ports:
        wanted = dict(acquisition=50051, tariff=50052, wallet=50053, control=50054, console=8080, gateway=15020,
                      wallet_http=8090, dtu=16020, sms=18110)
        return cls(**{k: (v if preferred and _free(v) else free_port()) for k, v in wanted.items()})


def _free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def platform_env(infra: dict[str, str], ports: Ports, poll_interval_s: float, time_scale: float) -> dict[str, str]:
    """Environment for every process: infrastructure URLs, ports, and where the others are.

    The simulated meters run time_scale times faster than the wall clock, so the energy a
    meter can physically draw between two polls is time_scale times larger too.
    """
    env = dict(os.environ, **infra, PYTHONUNBUFFERED="1")
    env.update({
        "ACQUISITION_GRPC_PORT": str(ports.acquisition), "TARIFF_GRPC_PORT": str(ports.tariff),
        "WALLET_GRPC_PORT": str(ports.wallet), "CONTROL_GRPC_PORT": str(ports.control),
        "CONSOLE_HTTP_PORT": str(ports.console), "WALLET_HTTP_PORT": str(ports.wallet_http),
        "ACQUISITION_DTU_PORT": str(ports.dtu),
        "CONSOLE_ACQUISITION_TARGET": f"127.0.0.1:{ports.acquisition}",
        "CONSOLE_TARIFF_TARGET": f"127.0.0.1:{ports.tariff}",
        "CONSOLE_WALLET_TARGET": f"127.0.0.1:{ports.wallet}",
        "CONSOLE_CONTROL_TARGET": f"127.0.0.1:{ports.control}",
        "ACQUISITION_POLL_INTERVAL_S": str(poll_interval_s),
        "TARIFF_MAX_POWER_W": str(int(200_000 * max(1.0, time_scale))),
        # The console sends tenants' login codes through the Alibaba Cloud SMS sandbox (simulators/sms).
        "CONSOLE_SMS_ENDPOINT": f"127.0.0.1:{ports.sms}", "CONSOLE_SMS_PROTOCOL": "http",
        "CONSOLE_SMS_ACCESS_KEY_ID": SMS_KEY_ID, "CONSOLE_SMS_ACCESS_KEY_SECRET": SMS_KEY_SECRET,
        "CONSOLE_BOOTSTRAP_ADMIN_USERNAME": "hq", "CONSOLE_BOOTSTRAP_ADMIN_PASSWORD": DEMO_PASSWORD,
    })
    return env


def process_commands(ports: Ports, time_scale: float, status_file: Path) -> dict[str, list[str]]:
    """make run: the demo group's three simulated properties, the SMS sandbox, every service, the console."""
    py = sys.executable
    scale = ["--time-scale", str(time_scale)]
    commands = {
        "sim-riverside": [py, "-m", "simulators", "--site", str(SITES / "building-353.yaml"), *scale,
                          "--status-file", str(status_file)],
        "sim-eastlake": [py, "-m", "simulators", "--demo", "3", "--port", str(ports.gateway), *scale],
        "sim-nansha": [py, "-m", "simulators", "--site", str(SITES / "demo-south.yaml"), *scale],
        "sms-sandbox": [py, "-m", "simulators.sms", "--port", str(ports.sms), "--access-key-id", SMS_KEY_ID,
                        "--access-key-secret", SMS_KEY_SECRET],
    }
    commands.update({name: [py, "-m", f"services.{name}.main"] for name in SERVICES})
    commands["console"] = [py, "-m", "services.console.main"]
    return commands


@dataclass(frozen=True)
class DemoAccount:
    account_id: str
    tenant_name: str
    meter_id: str
    opening_balance_fen: int


def demo_accounts(meters: int) -> list[DemoAccount]:
    """Tenants with different balances so that one runs into arrears within minutes."""
    names = ["一楼便利店 Ground-floor shop", "二楼办公室 2F office", "公寓 1201 Apartment 1201"]
    balances = [500, 3000, 10000]
    return [DemoAccount(f"A-{i:04d}", names[(i - 1) % 3], f"M-{i:04d}", balances[(i - 1) % 3])
            for i in range(1, meters + 1)]


async def seed_site(acquisition: str, wallet: str, gateway_port: int, accounts: list[DemoAccount],
                    cutoff_fen: int = 0) -> None:
    """Register the simulated gateway and meters, and open a prepaid account per meter."""
    await wait_healthy(acquisition, 120)
    await wait_healthy(wallet, 120)
    async with grpc.aio.insecure_channel(acquisition) as ach, grpc.aio.insecure_channel(wallet) as wch:
        acq, wal = acquisition_pb2_grpc.AcquisitionServiceStub(ach), wallet_pb2_grpc.WalletServiceStub(wch)
        await acq.RegisterGateway(acquisition_pb2.Gateway(
            gateway_id="GW-0001", host="127.0.0.1", port=gateway_port, protocol="modbus-tcp"))
        for i, account in enumerate(accounts, start=1):
            await acq.RegisterMeter(acquisition_pb2.Meter(meter_id=account.meter_id, gateway_id="GW-0001", device_id=i))
            try:
                await wal.OpenAccount(wallet_pb2.OpenAccountRequest(
                    account_id=account.account_id, tenant_name=account.tenant_name, meter_ids=[account.meter_id],
                    opening_balance_fen=account.opening_balance_fen, cutoff_fen=cutoff_fen))
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.ALREADY_EXISTS:  # kept data from an earlier run
                    raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-scale", type=float, default=120.0, help="simulated seconds per real second")
    parser.add_argument("--poll-interval-s", type=float, default=5.0)
    parser.add_argument("--keep-data", action="store_true", help="keep the embedded database of the last run")
    args = parser.parse_args()

    from honcho.manager import Manager
    from honcho.printer import Printer

    root = Path(".run")
    if not args.keep_data:
        shutil.rmtree(root / "embedded", ignore_errors=True)
    stack = EmbeddedStack(root / "embedded")
    urls = stack.start(os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL"), os.environ.get("KAFKA_BOOTSTRAP"))
    ports = Ports.pick(preferred=True)
    env = platform_env(urls.as_env(), ports, args.poll_interval_s, args.time_scale)
    manager = Manager(Printer(sys.stdout))
    for name, argv in process_commands(ports, args.time_scale, root / "meters.json").items():
        manager.add_process(name, " ".join(argv), env=env)
    threading.Thread(target=_seed_and_announce, args=(ports,), daemon=True).start()
    try:
        manager.loop()
    finally:
        stack.stop()
    sys.exit(manager.returncode)


async def _seed_and_wait(ports: Ports) -> dict:
    """Seed the demo group through the console's API, then wait for every service, so the address
    printed next already answers."""
    await wait_healthy(f"127.0.0.1:{ports.acquisition}", 120)
    await wait_healthy(f"127.0.0.1:{ports.wallet}", 120)
    report = await seed_demo_group(f"http://127.0.0.1:{ports.console}", DemoPorts(property_b=ports.gateway))
    for port in (ports.tariff, ports.control):
        await wait_healthy(f"127.0.0.1:{port}", 120)
    return report


def _seed_and_announce(ports: Ports) -> None:
    report = asyncio.run(_seed_and_wait(ports))
    url = f"http://127.0.0.1:{ports.console}"
    logins = "\n".join(f"    {op.username:<10} {op.display_name}  ({op.role_id} @ {op.node_id})"
                       for op in DEMO_OPERATORS)
    print(f"\n  meterpay is up.  控制台 console: {url}/   API: {url}/api/docs   (OpenAPI {url}/api/openapi.json)\n"
          f"  演示集团 demo group imported: {report.get('counts', report)}\n"
          f"  演示账号 demo logins (密码 password: {DEMO_PASSWORD}):\n{logins}\n"
          f"  租户短信验证码 tenant SMS codes: http://127.0.0.1:{ports.sms}/inbox?phone=13900000001\n",
          flush=True)


if __name__ == "__main__":
    main()


class Platform:
    """The whole platform as real processes on its own embedded stack: for e2e tests and benches.

    Each Platform has its own PostgreSQL, Redis and broker, so tests never share state.
    Usage: with Platform(tmp, simulator_args=[...]) as p: p.start(); ... p.acquisition (gRPC target)
    "{gateway_port}" in simulator_args is replaced by the port picked for the simulated gateway.
    """

    def __init__(self, root: Path, simulator_args: list[str] | None = None, env: dict[str, str] | None = None,
                 services: tuple[str, ...] = SERVICES, poll_interval_s: float = 1.0, time_scale: float = 1.0) -> None:
        from services.kit.testing import ProcessGroup

        self.root = root
        self.ports = Ports.pick(preferred=False)
        self._stack = EmbeddedStack(root / "embedded")
        self._simulator_args = simulator_args
        self._services = services
        self._env_overrides = env or {}
        self._poll_interval_s = poll_interval_s
        self._time_scale = time_scale
        self.processes = ProcessGroup(root / "logs", {})
        self.infra: dict[str, str] = {}

    @property
    def acquisition(self) -> str:
        return f"127.0.0.1:{self.ports.acquisition}"

    @property
    def wallet(self) -> str:
        return f"127.0.0.1:{self.ports.wallet}"

    @property
    def tariff(self) -> str:
        return f"127.0.0.1:{self.ports.tariff}"

    @property
    def control(self) -> str:
        return f"127.0.0.1:{self.ports.control}"

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.console}"

    def start(self) -> Platform:
        self.infra = self._stack.start(os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL"),
                                       os.environ.get("KAFKA_BOOTSTRAP")).as_env()
        env = platform_env(self.infra, self.ports, self._poll_interval_s, self._time_scale)
        env.update(self._env_overrides)
        self.processes.env = env
        if self._simulator_args is not None:
            args = [a.format(gateway_port=self.ports.gateway) for a in self._simulator_args]
            self.processes.start("simulator", [sys.executable, "-m", "simulators", *args])
        for name in self._services:
            self.processes.start(name, [sys.executable, "-m", f"services.{name}.main"])
        for name in self._services:
            self.processes.wait_for_log(name, '"http ready"' if name == "console" else '"service ready"',
                                        timeout_s=120)
        return self

    def stop(self) -> None:
        self.processes.stop()
        self._stack.stop()

    def __enter__(self) -> Platform:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
