"""Links to the field: Modbus TCP gateways, transparent TCP gateways, and DTUs that dialled in.

One request at a time per link: the RS-485 bus behind a gateway carries one
conversation at a time, so polls, commands and heartbeats take turns
(`async with link.turn() as bus`, fieldbus/turns.py). Every wait is bounded (request
timeout, retries); a link that stops answering altogether is reported as LinkDown so
the poller stops blaming its meters.
"""

from __future__ import annotations

from services.acquisition.fieldbus.modbus import BUFFER_RECORD_REGISTERS, ModbusBus, ModbusLink
from services.acquisition.fieldbus.serial import FrameStream, SerialBus, SerialLink
from services.acquisition.fieldbus.turns import FieldError, LinkDown, NoReply

__all__ = ["BUFFER_RECORD_REGISTERS", "FieldBus", "FieldError", "FrameStream", "LinkDown", "ModbusBus", "ModbusLink",
           "NoReply", "SerialBus", "SerialLink"]


class FieldBus:
    """The links this instance talks through, made on first use; DTU links appear when they dial in."""

    def __init__(self, timeout_s: float, retries: int) -> None:
        self.timeout_s = timeout_s
        self._retries = retries
        self._links: dict[str, ModbusLink | SerialLink] = {}

    def modbus(self, gateway_id: str, host: str, port: int) -> ModbusLink:
        current = self._links.get(gateway_id)
        if not isinstance(current, ModbusLink) or current.address != (host, port):
            if current is not None:
                current.close()
            current = self._links[gateway_id] = ModbusLink(host, port, self.timeout_s, self._retries)
        return current

    def transparent(self, gateway_id: str, host: str, port: int) -> SerialLink:
        current = self._links.get(gateway_id)
        if not isinstance(current, SerialLink) or current.address != (host, port):
            if current is not None:
                current.close()
            current = self._links[gateway_id] = SerialLink(gateway_id, self.timeout_s, (host, port))
        return current

    def dtu(self, gateway_id: str) -> SerialLink:
        current = self._links.get(gateway_id)
        if not isinstance(current, SerialLink):
            current = self._links[gateway_id] = SerialLink(gateway_id, self.timeout_s)
        return current

    def dtu_ids(self) -> list[str]:
        return [gid for gid, link in self._links.items() if isinstance(link, SerialLink) and link.address is None]

    def forget(self, gateway_id: str) -> None:
        link = self._links.pop(gateway_id, None)
        if link is not None:
            link.close()

    def close(self) -> None:
        for link in self._links.values():
            link.close()
        self._links.clear()
