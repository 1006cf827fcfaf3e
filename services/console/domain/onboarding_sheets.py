"""The onboarding workbook (开通导入表): its four sheets, their columns, and what a rejected one says.

Sheet names and column titles may be English or Chinese, or both in one title ("房间编号 room_id"):
any word of a title that names a column is taken. Unknown columns are ignored (operators keep notes).
Line numbers are the ones Excel shows (the header is line 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.console.domain.errors import ConsoleError

MAX_ROWS = 20_000   # per sheet


@dataclass(frozen=True)
class Column:
    key: str
    zh: tuple[str, ...]            # Chinese titles (the first one is the template's)
    required: bool = False


@dataclass(frozen=True)
class SheetSpec:
    key: str
    zh: str
    columns: tuple[Column, ...]

    def column(self, title: str) -> str | None:
        """The column a header title names, or None."""
        for word in re.split(r"[\s/|()（）\[\]【】:：]+", title.strip()):
            lowered = word.lower()
            for column in self.columns:
                if lowered == column.key or word in column.zh:
                    return column.key
        return None

    def required(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns if c.required)

    def titles(self) -> list[str]:
        """The template's header row: Chinese then English."""
        return [f"{c.zh[0]} {c.key}" for c in self.columns]


ROOMS = SheetSpec("rooms", "房间", (
    Column("region_id", ("区域编号",), True), Column("region_name", ("区域名称", "区域")),
    Column("property_id", ("项目编号",), True), Column("property_name", ("项目名称", "项目")),
    Column("building", ("楼栋编号", "楼栋"), True), Column("building_name", ("楼栋名称",)),
    Column("floor", ("楼层编号", "楼层"), True), Column("floor_name", ("楼层名称",)),
    Column("room_id", ("房间编号",), True), Column("room_name", ("房间名称", "房号")),
    Column("area_m2", ("面积", "面积m2", "面积㎡", "建筑面积"), True), Column("use", ("用途", "房间用途"), True),
))
TENANTS = SheetSpec("tenants", "租户", (
    Column("tenant_id", ("租户编号",), True), Column("name", ("租户名称", "名称", "姓名"), True),
    Column("phone", ("手机号", "电话", "手机")), Column("email", ("邮箱", "电子邮件")),
    Column("wechat_openid", ("微信openid", "微信", "openid")), Column("language", ("语言",)),
    Column("property_id", ("项目编号",)), Column("room_ids", ("房间编号", "房间", "租赁房间")),
    Column("lease_from", ("租期开始", "起租日")), Column("lease_to", ("租期结束", "到期日")),
))
METERS = SheetSpec("meters", "表计", (
    Column("meter_id", ("表号", "表计编号"), True), Column("room_id", ("房间编号", "房间"), True),
    Column("kind", ("类型", "表计类型")), Column("gateway_id", ("网关编号", "网关"), True),
    Column("gateway_transport", ("网关类型",), True), Column("gateway_host", ("网关地址", "网关IP")),
    Column("gateway_port", ("网关端口",)), Column("protocol", ("协议",), True),
    Column("device_id", ("设备号", "站号"), True), Column("address", ("地址", "表地址")),
    Column("bus", ("总线", "总线号")), Column("ct_ratio", ("变比", "互感器变比")),
))
ACCOUNTS = SheetSpec("accounts", "账户", (
    Column("account_id", ("账户编号", "账号"), True), Column("tenant_id", ("租户编号", "租户"), True),
    Column("meter_ids", ("表号", "表计"), True), Column("opening_balance", ("开户金额", "期初余额")),
    Column("cutoff", ("断电阈值", "透支额度", "断电金额")), Column("alarm_thresholds", ("报警阈值", "报警金额")),
    Column("mode", ("模式", "计费模式")), Column("settlement", ("结算", "结算方式")),
))
SHEETS = (ROOMS, TENANTS, METERS, ACCOUNTS)
SHEET_ORDER = {spec.key: n for n, spec in enumerate(SHEETS)}


def sheet_spec(title: str) -> SheetSpec | None:
    """The sheet a worksheet's title names ("rooms", "房间", "房间 rooms", ...), or None."""
    words = {w.lower() for w in re.split(r"[\s/|()（）_-]+", title.strip()) if w}
    for spec in SHEETS:
        if spec.key in words or spec.zh in words or spec.zh in title:
            return spec
    return None


@dataclass(frozen=True)
class SheetRow:
    line: int
    values: dict[str, str]

    def get(self, key: str) -> str:
        return self.values.get(key, "").strip()


@dataclass(frozen=True)
class WorkbookRows:
    rooms: tuple[SheetRow, ...] = ()
    tenants: tuple[SheetRow, ...] = ()
    meters: tuple[SheetRow, ...] = ()
    accounts: tuple[SheetRow, ...] = ()


@dataclass(frozen=True)
class Problem:
    """One bad line: which sheet, which line (as Excel shows it), what is wrong, in Chinese and English."""

    sheet: str
    line: int
    message_zh: str
    message_en: str


class OnboardingRejected(ConsoleError):
    """The workbook has bad lines; nothing of it was written anywhere."""

    status, code = 422, "import_rejected"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (SHEET_ORDER.get(p.sheet, -1), p.line))
        super().__init__(f"导入被拒绝: {len(problems)}处错误, 未写入任何内容",
                         f"import rejected: {len(problems)} problems, nothing was written")


@dataclass
class Problems:
    """Collects the problems of a workbook while it is checked."""

    found: list[Problem] = field(default_factory=list)

    def add(self, sheet: str, line: int, zh: str, en: str) -> None:
        self.found.append(Problem(sheet, line, zh, en))

    def of(self, sheet: str, line: int, error: ConsoleError) -> None:
        self.found.append(Problem(sheet, line, error.message_zh, error.message_en))

    def __bool__(self) -> bool:
        return bool(self.found)
