"""One line of each onboarding sheet, checked field by field: every bad field of a line is reported.

The meter columns follow acquisition's commissioning sheet (transport, protocol, device id, address ...),
checked here too, so a bad meter line is reported with the rest before anything is sent anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from services.console.domain.errors import ConsoleError, InvalidRequest
from services.console.domain.onboarding_sheets import Problems, SheetRow
from services.console.domain.people import (
    check_email,
    check_openid,
    check_phone,
    parse_day,
    parse_language,
    split_list,
)
from services.console.domain.placements import MeterKind, parse_meter_kind
from services.console.domain.tree import RoomUse, check_id, check_name, parse_area, parse_room_use

V = TypeVar("V")
TRANSPORTS = ("modbus-tcp", "transparent-tcp", "dtu")
PROTOCOLS_BEHIND = {"modbus-tcp": ("modbus",), "transparent-tcp": ("dlt645", "cjt188"), "dtu": ("dlt645", "cjt188")}
ADDRESS_DIGITS = {"dlt645": 12, "cjt188": 14}
MODES = {"prepaid": "prepaid", "预付费": "prepaid", "postpaid": "postpaid", "后付费": "postpaid"}
SETTLEMENTS = {"realtime": "realtime", "实时": "realtime", "month_end": "month_end", "月结": "month_end"}
MAX_YUAN = Decimal(1_000_000)
MAX_ALARMS = 5
REQUIRED = object()


@dataclass(frozen=True)
class RoomRow:
    line: int
    region_id: str
    region_name: str
    property_id: str
    property_name: str
    building: str
    building_name: str
    floor: str
    floor_name: str
    room_id: str
    room_name: str
    area_m2: Decimal
    use: RoomUse


@dataclass(frozen=True)
class TenantRow:
    line: int
    tenant_id: str
    name: str
    phone: str
    email: str
    wechat_openid: str
    language: str
    property_id: str            # "" = the property of the rooms
    room_ids: tuple[str, ...]
    lease_from: date | None
    lease_to: date | None


@dataclass(frozen=True)
class MeterRow:
    line: int
    meter_id: str
    room_id: str
    kind: MeterKind
    gateway_id: str
    transport: str
    host: str
    port: int
    protocol: str
    device_id: int
    address: str
    bus: int
    ct_ratio: int


@dataclass(frozen=True)
class AccountRow:
    line: int
    account_id: str
    tenant_id: str
    meter_ids: tuple[str, ...]
    opening_balance_fen: int
    cutoff_fen: int
    alarm_thresholds_fen: tuple[int, ...]
    mode: str
    settlement: str


class _Line:
    """Checks the fields of one line, keeping each problem; `ok` says whether the line is usable."""

    def __init__(self, sheet: str, row: SheetRow, problems: Problems) -> None:
        self.sheet, self.row, self.problems, self.ok = sheet, row, problems, True

    def take(self, check: Callable[[str], V], key: str, default: object = REQUIRED) -> V:
        """The checked value of a column; an empty cell is the default, or a problem when there is none."""
        text = self.row.get(key)
        if not text:
            if default is REQUIRED:
                self.problems.add(self.sheet, self.row.line, f"缺少 {key}", f"missing {key}")
                self.ok = False
                return None  # type: ignore[return-value]
            return default  # type: ignore[return-value]
        try:
            return check(text)
        except ConsoleError as error:
            self.problems.of(self.sheet, self.row.line, error)
            self.ok = False
            return None  # type: ignore[return-value]


def node_code(what_zh: str, what_en: str) -> Callable[[str], str]:
    return lambda text: check_id(text, what_zh, what_en)


def room_row(row: SheetRow, problems: Problems) -> RoomRow | None:
    f = _Line("rooms", row, problems)
    region_id = f.take(node_code("区域编号", "region_id"), "region_id")
    property_id = f.take(node_code("项目编号", "property_id"), "property_id")
    building = f.take(node_code("楼栋编号", "building"), "building")
    floor = f.take(node_code("楼层编号", "floor"), "floor")
    room_id = f.take(node_code("房间编号", "room_id"), "room_id")
    names = {key: f.take(check_name, key, row.get(code))
             for key, code in (("region_name", "region_id"), ("property_name", "property_id"),
                               ("building_name", "building"), ("floor_name", "floor"), ("room_name", "room_id"))}
    area = f.take(parse_area, "area_m2")
    use = f.take(parse_room_use, "use")
    if not f.ok:
        return None
    return RoomRow(row.line, region_id, names["region_name"], property_id, names["property_name"], building,
                   names["building_name"], floor, names["floor_name"], room_id, names["room_name"], area, use)


def tenant_row(row: SheetRow, problems: Problems) -> TenantRow | None:
    f = _Line("tenants", row, problems)
    tenant_id = f.take(node_code("租户编号", "tenant_id"), "tenant_id")
    name = f.take(check_name, "name")
    phone = f.take(check_phone, "phone", "")
    email = f.take(check_email, "email", "")
    openid = f.take(check_openid, "wechat_openid", "")
    language = f.take(parse_language, "language", "zh-CN")
    property_id = f.take(node_code("项目编号", "property_id"), "property_id", "")
    rooms = f.take(lambda t: tuple(check_id(r, "房间编号", "room id") for r in split_list(t)), "room_ids", ())
    starts = f.take(lambda t: parse_day(t, "租期开始", "lease_from"), "lease_from", None)
    ends = f.take(lambda t: parse_day(t, "租期结束", "lease_to"), "lease_to", None)
    if not f.ok:
        return None
    return TenantRow(row.line, tenant_id, name, phone, email, openid, language, property_id, rooms, starts, ends)


def whole(what: str, low: int, high: int) -> Callable[[str], int]:
    def check(text: str) -> int:
        try:
            number = Decimal(text)
            if number != number.to_integral_value():
                raise InvalidOperation
        except InvalidOperation:
            raise InvalidRequest(f"{what}应为整数: {text!r}", f"{what} must be a whole number: {text!r}") from None
        if not low <= number <= high:
            raise InvalidRequest(f"{what}应在{low}-{high}之间: {text}", f"{what} must be {low}..{high}: {text}")
        return int(number)
    return check


def choice(what: str, options: dict[str, str] | tuple[str, ...]) -> Callable[[str], str]:
    def check(text: str) -> str:
        key = text.strip().lower()
        found = options.get(key) if isinstance(options, dict) else (key if key in options else None)
        if found is None:
            allowed = ", ".join(sorted(set(options.values() if isinstance(options, dict) else options)))
            raise InvalidRequest(f"{what}应为 {allowed}: {text!r}", f"{what} must be one of {allowed}: {text!r}")
        return found
    return check


def meter_row(row: SheetRow, problems: Problems) -> MeterRow | None:
    f = _Line("meters", row, problems)
    meter_id = f.take(node_code("表号", "meter_id"), "meter_id")
    room_id = f.take(node_code("房间编号", "room_id"), "room_id")
    gateway_id = f.take(node_code("网关编号", "gateway_id"), "gateway_id")
    transport = f.take(choice("gateway_transport", TRANSPORTS), "gateway_transport")
    protocol = f.take(choice("protocol", ("modbus", "dlt645", "cjt188")), "protocol")
    kind = f.take(parse_meter_kind, "kind", MeterKind.WATER if protocol == "cjt188" else MeterKind.ELECTRICITY)
    port = f.take(whole("gateway_port", 1, 65535), "gateway_port", 0)
    device_id = f.take(whole("device_id", 1, 247), "device_id")
    bus = f.take(whole("bus", 1, 16), "bus", 1)
    ct_ratio = f.take(whole("ct_ratio", 1, 10_000), "ct_ratio", 1)
    host, address = row.get("gateway_host"), row.get("address")
    if f.ok:
        for zh, en in _device_problems(transport, protocol, host, port, address):
            problems.add("meters", row.line, zh, en)
            f.ok = False
    if not f.ok:
        return None
    return MeterRow(row.line, meter_id, room_id, kind, gateway_id, transport, host, port, protocol, device_id,
                    address, bus, ct_ratio)


def _device_problems(transport: str, protocol: str, host: str, port: int, address: str) -> list[tuple[str, str]]:
    found = []
    if protocol not in PROTOCOLS_BEHIND[transport]:
        found.append((f"{protocol}表不能接在{transport}网关后",
                      f"a {protocol} meter cannot sit behind a {transport} gateway"))
    if transport != "dtu" and (not host or not port):
        found.append((f"{transport}网关须填写地址和端口", f"a {transport} gateway needs gateway_host and gateway_port"))
    if len(host) > 255:
        found.append(("网关地址过长", "gateway_host is too long"))
    digits = ADDRESS_DIGITS.get(protocol)
    if digits and (len(address) != digits or not address.isdigit()):
        found.append((f"{protocol}表地址应为{digits}位数字: {address!r}",
                      f"a {protocol} address is {digits} digits, got {address!r}"))
    return found


def yuan_fen(what: str, allow_negative: bool = False) -> Callable[[str], int]:
    """Yuan with at most two decimals, to fen exactly (never through a float)."""
    def check(text: str) -> int:
        cleaned = text.replace("¥", "").replace("￥", "").replace("元", "").replace(",", "").strip()
        try:
            yuan = Decimal(cleaned)
            exact = yuan.is_finite() and abs(yuan) <= MAX_YUAN and yuan == yuan.quantize(Decimal("0.01"))
        except InvalidOperation:
            exact = False
        if not exact or (yuan < 0 and not allow_negative):
            sign = "" if allow_negative else "非负"
            raise InvalidRequest(f"{what}应为{sign}金额(元, 最多两位小数, 不超过100万): {text!r}",
                                 f"{what} must be {'an' if allow_negative else 'a non-negative'} amount in yuan "
                                 f"with at most 2 decimals, up to 1,000,000: {text!r}")
        return int(yuan * 100)
    return check


def alarm_list(text: str) -> tuple[int, ...]:
    levels = tuple(yuan_fen("alarm_thresholds", allow_negative=True)(part) for part in split_list(text))
    if len(levels) > MAX_ALARMS or list(levels) != sorted(set(levels), reverse=True):
        raise InvalidRequest(f"报警阈值最多{MAX_ALARMS}级且须从高到低: {text!r}",
                             f"at most {MAX_ALARMS} alarm thresholds, strictly decreasing: {text!r}")
    return levels


def account_row(row: SheetRow, problems: Problems) -> AccountRow | None:
    f = _Line("accounts", row, problems)
    account_id = f.take(node_code("账户编号", "account_id"), "account_id")
    tenant_id = f.take(node_code("租户编号", "tenant_id"), "tenant_id")
    meters = f.take(lambda t: tuple(check_id(m, "表号", "meter id") for m in split_list(t)), "meter_ids")
    opening = f.take(yuan_fen("opening_balance"), "opening_balance", 0)
    cutoff = f.take(yuan_fen("cutoff", allow_negative=True), "cutoff", 0)
    alarms = f.take(alarm_list, "alarm_thresholds", ())
    mode = f.take(choice("mode", MODES), "mode", "prepaid")
    settlement = f.take(choice("settlement", SETTLEMENTS), "settlement", "realtime")
    if f.ok and len(set(meters)) != len(meters):
        problems.add("accounts", row.line, "同一表号重复填写", "a meter is listed twice")
        return None
    if not f.ok:
        return None
    return AccountRow(row.line, account_id, tenant_id, tuple(sorted(meters)), opening, cutoff, alarms, mode,
                      settlement)
