"""Modbus TCP links to gateways. One request at a time per gateway: the RS-485 bus behind it
carries one conversation at a time, so polls and commands take turns on a lock."""

from __future__ import annotations

import asyncio

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from services.acquisition.domain.registers import CONTROL_REGISTER, READ_COUNT, READ_START


class FieldError(Exception):
    """The device did not answer, or answered with an exception."""


class GatewayLink:
    def __init__(self, host: str, port: int, timeout_s: float, retries: int) -> None:
        self.address = (host, port)
        self._client = AsyncModbusTcpClient(host, port=port, timeout=timeout_s, retries=retries)
        self._lock = asyncio.Lock()

    async def _connected(self) -> AsyncModbusTcpClient:
        if not self._client.connected and not await self._client.connect():
            raise FieldError(f"gateway {self.address[0]}:{self.address[1]} unreachable")
        return self._client

    async def read_meter(self, device_id: int) -> list[int]:
        async with self._lock:
            try:
                client = await self._connected()
                reply = await client.read_holding_registers(READ_START, count=READ_COUNT, device_id=device_id)
            except ModbusException as exc:
                raise FieldError(f"device {device_id}: {exc}") from exc
        if reply.isError():
            raise FieldError(f"device {device_id} answered {reply}")
        return list(reply.registers)

    async def write_control(self, device_id: int, code: int) -> None:
        async with self._lock:
            try:
                client = await self._connected()
                reply = await client.write_register(CONTROL_REGISTER, code, device_id=device_id)
            except ModbusException as exc:
                raise FieldError(f"device {device_id}: {exc}") from exc
        if reply.isError():
            raise FieldError(f"device {device_id} refused control code {code}: {reply}")

    def close(self) -> None:
        self._client.close()


class FieldBus:
    """The links to every gateway this instance talks to, made on first use."""

    def __init__(self, timeout_s: float, retries: int) -> None:
        self._timeout_s = timeout_s
        self._retries = retries
        self._links: dict[str, GatewayLink] = {}

    def link(self, gateway_id: str, host: str, port: int) -> GatewayLink:
        current = self._links.get(gateway_id)
        if current is None or current.address != (host, port):
            if current is not None:
                current.close()
            current = self._links[gateway_id] = GatewayLink(host, port, self._timeout_s, self._retries)
        return current

    def close(self) -> None:
        for link in self._links.values():
            link.close()
        self._links.clear()
