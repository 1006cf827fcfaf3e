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
import collections
import contextlib
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
from simulators.serial_gateway import DtuSim, SerialDevice, SerialLine, TransparentGatewaySim
from simulators.serial_meters import Cjt188WaterMeter, Dlt645Meter, LineTiming, WaterMeter
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
# Modbus TCP convention: unit id 255 addresses the gateway itself rather than a meter behind it.
GATEWAY_UNIT_ID = 255
BUFFER_PENDING_REGISTER = 0x0000
BUFFER_RECORDS_START = 0x0001
BUFFER_RECORD_REGISTERS = 3 + MEASUREMENT_REGISTER_COUNT  # device id, epoch seconds (u32), measurements
BUFFER_RECORDS_PER_READ = 5                               # 5 x 24 + 1 = 121 registers, under the 125 limit
BUFFER_ACK_REGISTER = 0x0100
BUFFER_CAPACITY_RECORDS = 200_000                         # about a month of 30-minute reads for 140 meters
SETTINGS_START = 0x0030  # price (0.0001 yuan), alarm 1 (fen), alarm 2 (fen), overload (W): u32 each
SETTINGS_COUNT = 8
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
    """Bridges a SimDevice register block to a SimulatedMeter (swappable: a replaced meter).

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
        # Settings a price or threshold push writes (plain storage the meter keeps): see docs/register-map.md.
        settings = SimData(address=SETTINGS_START, count=SETTINGS_COUNT, values=0, datatype=DataType.REGISTERS)
        return SimDevice(id=self.meter.device_id, simdata=[measurements, control, settings], action=self.on_access)

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
        if address >= SETTINGS_START:
            return None  # settings are stored and read back as written
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

    def __init__(self, spec: GatewaySpec, meters: list[SimulatedMeter], timing: BusTiming,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.spec = spec
        self.timing = timing
        self.meters: dict[int, SimulatedMeter] = {m.device_id: m for m in meters}
        self.dead_devices: set[int] = set()  # meters that stopped answering (fault injection)
        self.bus_transactions = 0
        self.buffer = StoreAndForwardBuffer(wall_clock)
        self._banks = {device_id: MeterRegisterBank(m) for device_id, m in self.meters.items()}
        self._bus = asyncio.Lock()
        self._server: _GatewayTcpServer | None = None
        self.port = spec.port
        self.uplink_up = False
        self._storing: asyncio.Task[None] | None = None

    @property
    def host(self) -> str:
        return self.spec.host

    @property
    def name(self) -> str:
        return self.spec.name

    def meter(self, device_id: int) -> SimulatedMeter:
        """The live meter model behind a device id (read or force relay_open, guarantee...)."""
        return self.meters[device_id]

    def swap_meter(self, device_id: int, new_meter: SimulatedMeter) -> SimulatedMeter:
        """Replace the meter on a device id (a new meter, new registers); returns the old one."""
        old = self.meters[device_id]
        self.meters[device_id] = new_meter
        self._banks[device_id].meter = new_meter
        return old

    async def start(self) -> None:
        devices = [bank.sim_device() for bank in self._banks.values()] + [self.buffer.sim_device()]
        await self._listen(devices, self.spec.port)

    async def _listen(self, devices: list[SimDevice], port: int) -> None:
        self._devices = devices
        self._server = _GatewayTcpServer(self, devices, address=(self.spec.host, port))
        try:
            await self._server.serve_forever(background=True)
        except RuntimeError as exc:
            raise OSError(f"gateway {self.name}: cannot listen on {self.spec.host}:{port}") from exc
        self.port = self._server.transport.sockets[0].getsockname()[1]
        self.uplink_up = True

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.shutdown()
            self._server = None
        self.uplink_up = False

    async def uplink_down(self, store_every_s: float | None = None) -> None:
        """The gateway's uplink fails (4G drop, cable cut): TCP closed, the bus keeps working.

        With `store_every_s` the gateway reads its meters into its buffer on that period
        (real seconds) until the uplink is restored; tests call store_readings() themselves.
        """
        await self.stop()
        if store_every_s:
            self._storing = asyncio.create_task(self._store_periodically(store_every_s))

    async def _store_periodically(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            self.store_readings()

    async def uplink_restored(self) -> None:
        """The uplink comes back on the same port; buffered readings wait at unit id 255."""
        if self._storing is not None:
            self._storing.cancel()
            self._storing = None
        await self._listen(self._devices, self.port)

    def store_readings(self) -> int:
        """The gateway reads its live meters into its buffer (what it does every cycle while cut off)."""
        stored = 0
        for device_id, meter in self.meters.items():
            if device_id not in self.dead_devices:
                self.buffer.append(device_id, meter.holding_registers())
                stored += 1
        return stored

    async def exchange(
        self, request: ModbusPDU, execute: Callable[[ModbusPDU], Awaitable[ModbusPDU]]
    ) -> ModbusPDU:
        """Carry one request over the bus and bring back the meter's reply (or the gateway's 0x0B)."""
        if request.dev_id == GATEWAY_UNIT_ID:
            return await execute(request)  # the gateway's own memory: no RS-485 traffic
        async with self._bus:
            self.bus_transactions += 1
            started = time.monotonic()
            busy_s = self.timing.frame_time_s(rtu_frame_bytes(request)) + self.timing.turnaround_s
            if request.dev_id not in self.meters or request.dev_id in self.dead_devices:
                await self._occupy_bus(busy_s + self.timing.response_timeout_s)
                return ExceptionResponse(request.function_code, ExcCodes.GATEWAY_NO_RESPONSE)
            # The meter's values are those of the moment the request arrives; the bus is then held
            # for request, turnaround and reply in one wait (one timer per request, not three).
            response = await execute(request)
            busy_s += self.timing.frame_time_s(rtu_frame_bytes(response))
            await self._occupy_bus(busy_s - (time.monotonic() - started))
            return response

    async def _occupy_bus(self, seconds: float) -> None:
        if self.timing.enabled and seconds > 0:
            await asyncio.sleep(seconds)


class StoreAndForwardBuffer:
    """Readings the gateway took while its uplink was down, oldest first, served at unit id 255.

    0x0000 pending records; 0x0001 + 24k record k of the head (k < 5): device id, epoch
    seconds (u32, high word first), the 21 measurement registers; write n to 0x0100 to drop
    the n oldest records once they are safely stored upstream.
    """

    def __init__(self, wall_clock: Callable[[], float]) -> None:
        self._wall_clock = wall_clock
        self.records: collections.deque[tuple[int, int, list[int]]] = collections.deque(
            maxlen=BUFFER_CAPACITY_RECORDS)

    def append(self, device_id: int, registers: list[int]) -> None:
        self.records.append((device_id, int(self._wall_clock()), registers))

    def sim_device(self) -> SimDevice:
        span = BUFFER_RECORDS_START + BUFFER_RECORD_REGISTERS * BUFFER_RECORDS_PER_READ
        records = SimData(address=0, count=span, values=0, datatype=DataType.REGISTERS, readonly=True)
        ack = SimData(address=BUFFER_ACK_REGISTER, values=0, datatype=DataType.REGISTERS)
        return SimDevice(id=GATEWAY_UNIT_ID, simdata=[records, ack], action=self.on_access)

    async def on_access(self, function_code: int, start_address: int, address: int, count: int,
                        current_registers: list[int], set_values: list[int] | list[bool] | None) -> ExcCodes | None:
        if set_values is not None:
            return self._acknowledge(address, set_values)
        if start_address != 0:  # the ack register reads as 0
            return None
        block = [min(len(self.records), 0xFFFF)]
        for k in range(BUFFER_RECORDS_PER_READ):
            block += self._record_registers(k)
        current_registers[: len(block)] = block
        return None

    def _record_registers(self, k: int) -> list[int]:
        if k >= len(self.records):
            return [0] * BUFFER_RECORD_REGISTERS
        device_id, epoch_s, registers = self.records[k]
        return [device_id, (epoch_s >> 16) & 0xFFFF, epoch_s & 0xFFFF, *registers]

    def _acknowledge(self, address: int, set_values: list[int] | list[bool]) -> ExcCodes | None:
        count = int(set_values[0]) if len(set_values) == 1 else -1
        if address != BUFFER_ACK_REGISTER or not 1 <= count <= BUFFER_RECORDS_PER_READ:
            return ExcCodes.ILLEGAL_VALUE
        for _ in range(min(count, len(self.records))):
            self.records.popleft()
        return None


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
    """Handle on a running site: its gateways, DTUs and meters; stop() closes every endpoint."""

    def __init__(self, spec: SiteSpec, gateways: list[GatewaySim],
                 serial_gateways: list[TransparentGatewaySim] | None = None, dtus: list[DtuSim] | None = None) -> None:
        self.spec = spec
        self.gateways = gateways
        self.serial_gateways = serial_gateways or []
        self.dtus = dtus or []

    def gateway(self, name: str) -> GatewaySim:
        for gateway in self.gateways:
            if gateway.name == name:
                return gateway
        raise KeyError(f"no gateway named {name!r}")

    def serial_gateway(self, name: str) -> TransparentGatewaySim:
        for gateway in self.serial_gateways:
            if gateway.name == name:
                return gateway
        raise KeyError(f"no transparent gateway named {name!r}")

    def dtu(self, dtu_id: str) -> DtuSim:
        for dtu in self.dtus:
            if dtu.dtu_id == dtu_id:
                return dtu
        raise KeyError(f"no DTU {dtu_id!r}")

    def meter(self, meter_id: str) -> SimulatedMeter:
        for meter in self.all_meters():
            if meter.meter_id == meter_id:
                return meter
        raise KeyError(f"no meter {meter_id!r}")

    def serial_device(self, meter_id: str) -> Dlt645Meter | Cjt188WaterMeter:
        for line in self._serial_lines():
            with contextlib.suppress(KeyError):
                return line.device(meter_id)  # type: ignore[return-value]
        raise KeyError(f"no serial meter {meter_id!r}")

    def _serial_lines(self) -> list[SerialLine]:
        return [g.line for g in self.serial_gateways] + [d.line for d in self.dtus]

    def all_meters(self) -> Iterator[SimulatedMeter]:
        for gateway in self.gateways:
            yield from gateway.meters.values()

    def status(self) -> dict[str, dict[str, object]]:
        """{meter_id: {total_wh, relay_open, power_w, guarantee}} (water: volume_l, valve_closed)."""
        status = {meter.meter_id: meter.status() for meter in self.all_meters()}
        for line in self._serial_lines():
            for device in line.devices:
                status[device.meter_id] = _serial_status(device)
        return status

    async def stop(self) -> None:
        for gateway in self.gateways:
            await gateway.stop()
        for serial in self.serial_gateways:
            await serial.stop()
        for dtu in self.dtus:
            await dtu.stop()

    async def __aenter__(self) -> SiteSim:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


def _serial_status(device: object) -> dict[str, object]:
    if isinstance(device, Dlt645Meter):
        return device.meter.status()
    assert isinstance(device, Cjt188WaterMeter)
    return {"volume_l": device.meter.volume_l, "valve_closed": device.meter.valve_closed}


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
    wall_clock: Callable[[], float] = time.time,
    platform: tuple[str, int] | None = None,
) -> SiteSim:
    """Start every gateway of the site (listening when this returns) and return the handle.

    `clock` (monotonic seconds) and `start_local` (the meters' local wall time at start,
    default now in the site's timezone) make energy and bands deterministic in tests;
    `wall_clock` stamps store-and-forward records; `platform` overrides where DTUs dial.
    """
    start_local = start_local or datetime.now(ZoneInfo(site.timezone)).replace(tzinfo=None)
    tou = site.tou_schedule()
    gateways = [
        GatewaySim(
            spec,
            [build_meter(m, site, tou, clock, start_local) for m in spec.meters],
            BusTiming.of_gateway(spec, enabled=site.bus_delay),
            wall_clock,
        )
        for spec in site.gateways if spec.protocol == "modbus"
    ]
    serial = [TransparentGatewaySim(spec.name, _serial_line(spec, site, tou, clock, start_local), spec.host, spec.port)
              for spec in site.gateways if spec.protocol == "transparent"]
    host, port = platform or _platform_address(site.platform)
    dtus = [DtuSim(spec.name, _serial_line(spec, site, tou, clock, start_local), host, port)
            for spec in site.gateways if spec.protocol == "dtu"]
    sim = SiteSim(site, gateways, serial, dtus)
    try:
        for gateway in [*gateways, *serial]:
            await gateway.start()
        for dtu in dtus:
            dtu.start()
    except BaseException:
        await sim.stop()
        raise
    return sim


def _platform_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def _serial_line(spec: GatewaySpec, site: SiteSpec, tou: TouSchedule, clock: Clock,
                 start_local: datetime) -> SerialLine:
    devices: list[SerialDevice] = []
    for meter in spec.meters:
        if meter.protocol == "dlt645":
            devices.append(Dlt645Meter(meter.address, build_meter(meter, site, tou, clock, start_local)))
        else:
            start_s = start_local.hour * 3600 + start_local.minute * 60 + start_local.second
            water = WaterMeter(meter.meter_id, meter.load_profile(), time_scale=site.time_scale,
                               initial_l=meter.initial_total_wh, clock=clock, start_second_of_day=start_s)
            devices.append(Cjt188WaterMeter(meter.address, water))
    timing = LineTiming(baud=spec.baud, bits_per_byte=spec.bits_per_byte, turnaround_s=spec.turnaround_ms / 1000,
                        enabled=site.bus_delay)
    return SerialLine(devices, timing, spec.response_timeout_ms / 1000)
