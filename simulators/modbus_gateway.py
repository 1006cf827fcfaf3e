"""Simulated Modbus TCP gateways fronting prepaid meters on an RS-485 bus.

One `GatewaySim` is one TCP endpoint (a communication manager) with N meters behind it,
addressed by Modbus device id. The bus is emulated honestly: a gateway handles one request
at a time (a real RS-485 line is half duplex), and each request holds the bus for the byte
time of the RTU request and reply at the configured baud rate plus the meter's turnaround.
A request for a device id that is not on the bus waits the gateway's response timeout and
gets exception 0x0B (gateway target device failed to respond), as a real gateway answers.

Register values are computed at read time by the meter model (simulators.meter) through
the SimDevice `action` hook, so thousands of idle meters cost nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from pymodbus.constants import ExcCodes
from pymodbus.pdu import ExceptionResponse, ModbusPDU
from pymodbus.server import ModbusTcpServer
from pymodbus.server.requesthandler import ServerRequestHandler
from pymodbus.simulator import DataType, SimData, SimDevice

from simulators.meter import (
    MEASUREMENT_REGISTER_COUNT,
    Band,
    Clock,
    ControlCode,
    Reg,
    SimulatedMeter,
    TouSchedule,
    UnknownControlCode,
    decode_i32,
    decode_u32,
)
from simulators.site import GatewaySpec, MeterSpec, SiteSpec

__all__ = [
    "Band",
    "BusTiming",
    "ControlCode",
    "GatewaySim",
    "Reg",
    "SimulatedMeter",
    "SiteSim",
    "decode_i32",
    "decode_u32",
    "rtu_frame_bytes",
    "serve_site",
]

log = logging.getLogger("simulators.gateway")

READ_FUNCTION_CODES = frozenset({3, 4})
RTU_OVERHEAD_BYTES = 4  # device address + function code + CRC16 around the PDU data


@dataclass(frozen=True)
class BusTiming:
    """RS-485 timing of one gateway's line; `enabled=False` answers at once (unit tests)."""

    baud: int = 9600
    bits_per_byte: int = 11
    turnaround_s: float = 0.005
    response_timeout_s: float = 0.5
    enabled: bool = True

    @classmethod
    def of_gateway(cls, spec: GatewaySpec, enabled: bool) -> BusTiming:
        return cls(
            baud=spec.baud,
            bits_per_byte=spec.bits_per_byte,
            turnaround_s=spec.turnaround_ms / 1000,
            response_timeout_s=spec.response_timeout_ms / 1000,
            enabled=enabled,
        )

    def frame_time_s(self, frame_bytes: int) -> float:
        return frame_bytes * self.bits_per_byte / self.baud

    def read_transaction_s(self, register_count: int) -> float:
        """Bus time of one function 3 read: 8-byte request, 5 + 2n byte reply, one turnaround."""
        return self.frame_time_s(8) + self.turnaround_s + self.frame_time_s(5 + 2 * register_count)


def rtu_frame_bytes(pdu: ModbusPDU) -> int:
    """Size the PDU would have as a Modbus RTU frame on the serial line."""
    try:
        return RTU_OVERHEAD_BYTES + len(pdu.encode())
    except Exception:  # a request pymodbus cannot re-encode still occupied the line
        return 8


# --------------------------------------------------------------------------- SimDevice wiring


class MeterRegisterBank:
    """Bridges a SimDevice register block to a SimulatedMeter.

    Registers 0x0000..0x0014 are read-only (pymodbus rejects writes with exception 0x02);
    0x0020 is the control register: a write executes the command, a read returns 0.
    """

    def __init__(self, meter: SimulatedMeter) -> None:
        self.meter = meter

    def sim_device(self) -> SimDevice:
        measurements = SimData(
            address=0, count=Reg.CONTROL, values=0, datatype=DataType.REGISTERS, readonly=True
        )
        control = SimData(address=Reg.CONTROL, values=0, datatype=DataType.REGISTERS)
        return SimDevice(id=self.meter.device_id, simdata=[measurements, control], action=self.on_access)

    async def on_access(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        current_registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        """pymodbus calls this before every read or write of this device's registers."""
        if set_values is not None:
            return self._execute_control(address, set_values)
        first = Reg.TOTAL_WH - start_address
        current_registers[first : first + MEASUREMENT_REGISTER_COUNT] = self.meter.holding_registers()
        if function_code in READ_FUNCTION_CODES:
            # The echo of a function 6 write must show the written value; plain reads show 0.
            current_registers[Reg.CONTROL - start_address] = 0
        return None

    def _execute_control(self, address: int, set_values: list[int] | list[bool]) -> ExcCodes | None:
        # Only 0x0020 is writable, so a write reaching here starts at the control register.
        if address != Reg.CONTROL or len(set_values) != 1:
            return ExcCodes.ILLEGAL_ADDRESS
        try:
            self.meter.apply_control(int(set_values[0]))
        except UnknownControlCode as exc:
            log.warning("meter %s: %s", self.meter.meter_id, exc)
            return ExcCodes.ILLEGAL_VALUE
        log.info("meter %s: control %#06x -> relay_open=%s guarantee=%s", self.meter.meter_id,
                 int(set_values[0]), self.meter.relay_open, self.meter.guarantee)
        return None


# --------------------------------------------------------------------------- the gateway


class GatewaySim:
    """One simulated gateway: a Modbus TCP endpoint and the meters on its RS-485 bus."""

    def __init__(self, spec: GatewaySpec, meters: list[SimulatedMeter], timing: BusTiming) -> None:
        self.spec = spec
        self.timing = timing
        self.meters: dict[int, SimulatedMeter] = {m.device_id: m for m in meters}
        self.bus_transactions = 0
        self._bus = asyncio.Lock()
        self._server: _GatewayTcpServer | None = None
        self.port = spec.port

    @property
    def host(self) -> str:
        return self.spec.host

    @property
    def name(self) -> str:
        return self.spec.name

    def meter(self, device_id: int) -> SimulatedMeter:
        """The live meter model behind a device id (read or force relay_open, guarantee...)."""
        return self.meters[device_id]

    async def start(self) -> None:
        devices = [MeterRegisterBank(m).sim_device() for m in self.meters.values()]
        self._server = _GatewayTcpServer(self, devices, address=(self.spec.host, self.spec.port))
        try:
            await self._server.serve_forever(background=True)
        except RuntimeError as exc:
            raise OSError(f"gateway {self.name}: cannot listen on {self.spec.host}:{self.spec.port}") from exc
        self.port = self._server.transport.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.shutdown()
            self._server = None

    async def exchange(
        self, request: ModbusPDU, execute: Callable[[ModbusPDU], Awaitable[ModbusPDU]]
    ) -> ModbusPDU:
        """Carry one request over the bus and bring back the meter's reply (or the gateway's 0x0B)."""
        async with self._bus:
            self.bus_transactions += 1
            request_s = self.timing.frame_time_s(rtu_frame_bytes(request))
            await self._occupy_bus(request_s + self.timing.turnaround_s)
            if request.dev_id not in self.meters:
                await self._occupy_bus(self.timing.response_timeout_s)
                return ExceptionResponse(request.function_code, ExcCodes.GATEWAY_NO_RESPONSE)
            response = await execute(request)
            await self._occupy_bus(self.timing.frame_time_s(rtu_frame_bytes(response)))
            return response

    async def _occupy_bus(self, seconds: float) -> None:
        if self.timing.enabled and seconds > 0:
            await asyncio.sleep(seconds)


class _BusRequestHandler(ServerRequestHandler):
    """pymodbus' per-connection handler, with every request routed through the gateway's bus."""

    gateway: GatewaySim

    async def handle_request(self) -> None:
        # Captured now: the connection may parse the next frame while this one waits for the bus.
        request, reply_to = self.last_pdu, self.last_addr
        if request is None:
            return
        response = await self.gateway.exchange(request, self._execute)
        response.transaction_id = request.transaction_id
        response.dev_id = request.dev_id
        if self.transport:  # the client may have gone while the bus was busy
            self.server_send(response, reply_to)

    async def _execute(self, request: ModbusPDU) -> ModbusPDU:
        try:
            return await request.datastore_update(self.server.context, request.dev_id)
        except Exception:
            log.exception("gateway %s: meter %s failed on %s", self.gateway.name, request.dev_id, request)
            return ExceptionResponse(request.function_code, ExcCodes.DEVICE_FAILURE)


class _GatewayTcpServer(ModbusTcpServer):
    def __init__(self, gateway: GatewaySim, devices: list[SimDevice], address: tuple[str, int]) -> None:
        super().__init__(devices, address=address)
        self.gateway = gateway

    def callback_new_connection(self) -> _BusRequestHandler:
        handler = _BusRequestHandler(self, self.trace_packet, self.trace_pdu, self.trace_connect)
        handler.gateway = self.gateway
        return handler


# --------------------------------------------------------------------------- the site


class SiteSim:
    """Handle on a running site: its gateways and meters; stop() closes every endpoint."""

    def __init__(self, spec: SiteSpec, gateways: list[GatewaySim]) -> None:
        self.spec = spec
        self.gateways = gateways

    def gateway(self, name: str) -> GatewaySim:
        for gateway in self.gateways:
            if gateway.name == name:
                return gateway
        raise KeyError(f"no gateway named {name!r}")

    def meter(self, meter_id: str) -> SimulatedMeter:
        for meter in self.all_meters():
            if meter.meter_id == meter_id:
                return meter
        raise KeyError(f"no meter {meter_id!r}")

    def all_meters(self) -> Iterator[SimulatedMeter]:
        for gateway in self.gateways:
            yield from gateway.meters.values()

    def status(self) -> dict[str, dict[str, object]]:
        """{meter_id: {total_wh, relay_open, power_w, guarantee}} for every meter."""
        return {meter.meter_id: meter.status() for meter in self.all_meters()}

    async def stop(self) -> None:
        for gateway in self.gateways:
            await gateway.stop()

    async def __aenter__(self) -> SiteSim:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


def build_meter(
    spec: MeterSpec, site: SiteSpec, tou: TouSchedule, clock: Clock, start_local: datetime
) -> SimulatedMeter:
    return SimulatedMeter(
        spec.device_id,
        spec.meter_id,
        spec.load_profile(),
        tou=tou,
        time_scale=site.time_scale,
        initial_total_wh=spec.initial_total_wh,
        reversed_wiring=spec.reversed_wiring,
        clock=clock,
        start_local=start_local,
    )


async def serve_site(
    site: SiteSpec,
    *,
    clock: Clock = time.monotonic,
    start_local: datetime | None = None,
) -> SiteSim:
    """Start every gateway of the site (listening when this returns) and return the handle.

    `clock` (monotonic seconds) and `start_local` (the meters' local wall time at start,
    default now in the site's timezone) make energy and bands deterministic in tests.
    """
    start_local = start_local or datetime.now(ZoneInfo(site.timezone)).replace(tzinfo=None)
    tou = site.tou_schedule()
    gateways = [
        GatewaySim(
            spec,
            [build_meter(m, site, tou, clock, start_local) for m in spec.meters],
            BusTiming.of_gateway(spec, enabled=site.bus_delay),
        )
        for spec in site.gateways
    ]
    sim = SiteSim(site, gateways)
    try:
        for gateway in gateways:
            await gateway.start()
    except BaseException:
        await sim.stop()
        raise
    return sim
