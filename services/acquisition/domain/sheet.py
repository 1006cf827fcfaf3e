"""Bulk commissioning (批量导入): rows of a meter sheet checked all at once, before anything is written.

One row per meter; the gateway columns repeat on every row of that gateway and must agree.
Every bad row is reported with its line number (as the spreadsheet shows it, header = 1).
"""

from __future__ import annotations

from dataclasses import dataclass

GATEWAY_TRANSPORTS = ("modbus-tcp", "transparent-tcp", "dtu")
METER_PROTOCOLS = {"modbus-tcp": ("modbus",), "transparent-tcp": ("dlt645", "cjt188"), "dtu": ("dlt645", "cjt188")}
ADDRESS_DIGITS = {"dlt645": 12, "cjt188": 14}
KINDS = {"electricity": 1, "电": 1, "water": 2, "水": 2}
REQUIRED = ("meter_id", "gateway_id", "gateway_transport", "protocol", "device_id")
# Column titles a commissioning sheet may use in Chinese, mapped to ours.
HEADER_ALIASES = {"表号": "meter_id", "网关": "gateway_id", "网关类型": "gateway_transport", "协议": "protocol",
                  "地址": "address", "设备号": "device_id", "总线": "bus", "变比": "ct_ratio", "类型": "kind",
                  "网关地址": "gateway_host", "网关端口": "gateway_port", "项目": "project_id"}
MAX_ROWS = 20_000


@dataclass(frozen=True)
class GatewayEntry:
    gateway_id: str
    transport: str
    host: str
    port: int
    project_id: str | None


@dataclass(frozen=True)
class MeterEntry:
    meter_id: str
    gateway_id: str
    protocol: str
    address: str
    device_id: int
    bus: int
    ct_ratio: int
    kind: int


@dataclass(frozen=True)
class Commissioning:
    gateways: list[GatewayEntry]
    meters: list[MeterEntry]


class SheetRejected(ValueError):
    """The sheet has bad rows; nothing of it is imported. `problems` = [(line, message)]."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        shown = "; ".join(f"第{line}行 line {line}: {text}" for line, text in problems[:20])
        more = f" (+{len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"导入被拒绝 sheet rejected, {len(problems)} bad rows: {shown}{more}")


def normalise_header(title: str) -> str:
    key = title.strip()
    return HEADER_ALIASES.get(key, key.lower().replace(" ", "_"))


def check_sheet(rows: list[tuple[int, dict[str, str]]]) -> Commissioning:
    """Validate every (line, row); return what to write, or raise SheetRejected listing each bad row."""
    if len(rows) > MAX_ROWS:
        raise SheetRejected([(1, f"at most {MAX_ROWS} rows per sheet, got {len(rows)}")])
    if not rows:
        raise SheetRejected([(1, "the sheet has no rows")])
    problems: list[tuple[int, str]] = []
    gateways: dict[str, tuple[int, GatewayEntry]] = {}
    meters: dict[str, int] = {}
    positions: dict[tuple[str, int, int], int] = {}
    entries: list[MeterEntry] = []
    for line, row in rows:
        try:
            gateway, meter = _parse_row(row)
            _check_unique(line, gateway, meter, gateways, meters, positions)
        except ValueError as exc:
            problems.append((line, str(exc)))
            continue
        entries.append(meter)
    if problems:
        raise SheetRejected(problems)
    return Commissioning([entry for _, entry in gateways.values()], entries)


def _check_unique(line: int, gateway: GatewayEntry, meter: MeterEntry, gateways: dict, meters: dict,
                  positions: dict) -> None:
    seen = gateways.get(gateway.gateway_id)
    if seen is not None and seen[1] != gateway:
        raise ValueError(f"gateway {gateway.gateway_id} differs from line {seen[0]} (transport, host, port, project)")
    if meter.meter_id in meters:
        raise ValueError(f"meter {meter.meter_id} already on line {meters[meter.meter_id]}")
    position = (meter.gateway_id, meter.bus, meter.device_id)
    if position in positions:
        raise ValueError(f"device id {meter.device_id} on bus {meter.bus} of {meter.gateway_id} "
                         f"already used on line {positions[position]}")
    gateways.setdefault(gateway.gateway_id, (line, gateway))
    meters[meter.meter_id] = line
    positions[position] = line


def _parse_row(row: dict[str, str]) -> tuple[GatewayEntry, MeterEntry]:
    value = {k: (v or "").strip() for k, v in row.items()}
    missing = [name for name in REQUIRED if not value.get(name)]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    transport = value["gateway_transport"].lower()
    if transport not in GATEWAY_TRANSPORTS:
        raise ValueError(f"gateway_transport {transport!r} is not one of {', '.join(GATEWAY_TRANSPORTS)}")
    gateway = GatewayEntry(value["gateway_id"], transport, value.get("gateway_host", ""),
                           _integer(value, "gateway_port", 0, 0, 65535), value.get("project_id") or None)
    if transport != "dtu" and (not gateway.host or not gateway.port):
        raise ValueError(f"a {transport} gateway needs gateway_host and gateway_port")
    meter = _meter(value, transport)
    return gateway, meter


def _meter(value: dict[str, str], transport: str) -> MeterEntry:
    protocol = value["protocol"].lower()
    if protocol not in METER_PROTOCOLS[transport]:
        raise ValueError(f"protocol {protocol!r} cannot sit behind a {transport} gateway")
    address = value.get("address", "")
    digits = ADDRESS_DIGITS.get(protocol)
    if digits and (len(address) != digits or not address.isdigit()):
        raise ValueError(f"a {protocol} address is {digits} digits, got {address!r}")
    kind_text = value.get("kind") or ("water" if protocol == "cjt188" else "electricity")
    if kind_text.lower() not in KINDS:
        raise ValueError(f"kind {kind_text!r} is not electricity or water")
    return MeterEntry(
        meter_id=value["meter_id"], gateway_id=value["gateway_id"], protocol=protocol, address=address,
        device_id=_integer(value, "device_id", None, 1, 247), bus=_integer(value, "bus", 1, 1, 16),
        ct_ratio=_integer(value, "ct_ratio", 1, 1, 10_000), kind=KINDS[kind_text.lower()])


def _integer(value: dict[str, str], name: str, default: int | None, low: int, high: int) -> int:
    text = value.get(name, "")
    if not text:
        if default is None:
            raise ValueError(f"missing {name}")
        return default
    try:
        number = int(float(text)) if text.replace(".", "", 1).isdigit() and float(text).is_integer() else int(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a whole number") from None
    if not low <= number <= high:
        raise ValueError(f"{name} {number} is not in {low}..{high}")
    return number
