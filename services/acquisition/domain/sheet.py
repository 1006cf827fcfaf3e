"""Bulk commissioning (批量导入): rows of a meter sheet checked all at once, before anything is written.

One row per meter; the gateway columns repeat on every row of that gateway and must agree.
Every bad row is reported with its line number (as the spreadsheet shows it, header = 1).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.acquisition.domain.errors import AcquisitionError
from services.acquisition.domain.registry import (
    MAX_DEVICE_ID,
    PROTOCOLS_BEHIND,
    Gateway,
    GatewayTransport,
    Meter,
    MeterKind,
    MeterProtocol,
    address_problem,
)

TRANSPORTS = {transport.value: transport for transport in GatewayTransport}
KINDS = {"electricity": MeterKind.ELECTRICITY, "电": MeterKind.ELECTRICITY, "water": MeterKind.WATER,
         "水": MeterKind.WATER}
REQUIRED = ("meter_id", "gateway_id", "gateway_transport", "protocol", "device_id")
# Column titles a commissioning sheet may use in Chinese, mapped to ours.
HEADER_ALIASES = {"表号": "meter_id", "网关": "gateway_id", "网关类型": "gateway_transport", "协议": "protocol",
                  "地址": "address", "设备号": "device_id", "总线": "bus", "变比": "ct_ratio", "类型": "kind",
                  "网关地址": "gateway_host", "网关端口": "gateway_port", "项目": "project_id"}
MAX_ROWS = 20_000


@dataclass(frozen=True)
class Commissioning:
    """A checked sheet: the gateways and meters to write."""

    gateways: list[Gateway]
    meters: list[Meter]


class SheetRejected(AcquisitionError):
    """The sheet has bad rows; nothing of it is imported. `problems` = [(line, message)]."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        shown = "; ".join(f"第{line}行 line {line}: {text}" for line, text in problems[:20])
        more = f" (+{len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"导入被拒绝 sheet rejected, {len(problems)} bad rows: {shown}{more}")


class _RowProblem(AcquisitionError):
    """What is wrong with one row (collected with its line number into SheetRejected)."""


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
    gateways: dict[str, tuple[int, Gateway]] = {}
    meters: dict[str, int] = {}
    positions: dict[tuple[str, int, int], int] = {}
    entries: list[Meter] = []
    for line, row in rows:
        try:
            gateway, meter = _parse_row(row)
            _check_unique(line, gateway, meter, gateways, meters, positions)
        except _RowProblem as exc:
            problems.append((line, str(exc)))
            continue
        entries.append(meter)
    if problems:
        raise SheetRejected(problems)
    return Commissioning([entry for _, entry in gateways.values()], entries)


def _check_unique(line: int, gateway: Gateway, meter: Meter, gateways: dict, meters: dict,
                  positions: dict) -> None:
    seen = gateways.get(gateway.gateway_id)
    if seen is not None and seen[1] != gateway:
        raise _RowProblem(f"gateway {gateway.gateway_id} differs from line {seen[0]} (transport, host, port, project)")
    if meter.meter_id in meters:
        raise _RowProblem(f"meter {meter.meter_id} already on line {meters[meter.meter_id]}")
    position = (meter.gateway_id, meter.bus, meter.device_id)
    if position in positions:
        raise _RowProblem(f"device id {meter.device_id} on bus {meter.bus} of {meter.gateway_id} "
                         f"already used on line {positions[position]}")
    gateways.setdefault(gateway.gateway_id, (line, gateway))
    meters[meter.meter_id] = line
    positions[position] = line


def _parse_row(row: dict[str, str]) -> tuple[Gateway, Meter]:
    value = {k: (v or "").strip() for k, v in row.items()}
    missing = [name for name in REQUIRED if not value.get(name)]
    if missing:
        raise _RowProblem(f"missing {', '.join(missing)}")
    transport = TRANSPORTS.get(value["gateway_transport"].lower())
    if transport is None:
        raise _RowProblem(f"gateway_transport {value['gateway_transport'].lower()!r} is not one of "
                         f"{', '.join(TRANSPORTS)}")
    gateway = Gateway(value["gateway_id"], transport, value.get("gateway_host", ""),
                      _integer(value, "gateway_port", 0, 0, 65535), project_id=value.get("project_id") or None)
    if not gateway.dials_in and (not gateway.host or not gateway.port):
        raise _RowProblem(f"a {transport} gateway needs gateway_host and gateway_port")
    meter = _meter(value, transport)
    return gateway, meter


def _meter(value: dict[str, str], transport: GatewayTransport) -> Meter:
    protocol_text = value["protocol"].lower()
    if protocol_text not in PROTOCOLS_BEHIND[transport]:
        raise _RowProblem(f"protocol {protocol_text!r} cannot sit behind a {transport} gateway")
    protocol = MeterProtocol(protocol_text)
    address = value.get("address", "")
    problem = address_problem(protocol, address)
    if problem:
        raise _RowProblem(problem)
    kind_text = value.get("kind") or ("water" if protocol == MeterProtocol.CJT188 else "electricity")
    if kind_text.lower() not in KINDS:
        raise _RowProblem(f"kind {kind_text!r} is not electricity or water")
    return Meter(
        meter_id=value["meter_id"], gateway_id=value["gateway_id"], protocol=protocol, address=address,
        device_id=_integer(value, "device_id", None, 1, MAX_DEVICE_ID), bus=_integer(value, "bus", 1, 1, 16),
        ct_ratio=_integer(value, "ct_ratio", 1, 1, 10_000), kind=KINDS[kind_text.lower()])


def _integer(value: dict[str, str], name: str, default: int | None, low: int, high: int) -> int:
    text = value.get(name, "")
    if not text:
        if default is None:
            raise _RowProblem(f"missing {name}")
        return default
    try:
        number = int(float(text)) if text.replace(".", "", 1).isdigit() and float(text).is_integer() else int(text)
    except ValueError:
        raise _RowProblem(f"{name} {text!r} is not a whole number") from None
    if not low <= number <= high:
        raise _RowProblem(f"{name} {number} is not in {low}..{high}")
    return number
