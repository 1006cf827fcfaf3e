"""F-43: the current state of every meter in a scope as an Excel workbook (headers zh-CN, then English)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Font

from services.control.domain.meter import MeterControl
from services.control.domain.policy import Kind, Mode, Supply, desired_supply

HEADERS = (
    "表号 Meter", "项目 Project", "楼栋 Building", "楼层 Floor", "租户 Tenant", "类型 Kind",
    "控制模式 Mode", "欠费 In arrears", "期望状态 Desired", "已知状态 Known", "在线 Online",
    "功率(W) Power (W)", "过载阈值(W) Overload threshold (W)", "过载跳闸 Overload tripped",
    "延后断电至 Cut deferred until", "更新时间 Updated at",
)
MODE_NAMES = {Mode.PREPAID: "预付费 prepaid", Mode.POWER_GUARANTEE: "保电 power guarantee",
              Mode.FORCED_OFF: "拉闸 forced off"}
SUPPLY_NAMES = {Supply.UNKNOWN: "未知 unknown", Supply.ON: "合闸 on", Supply.OFF: "断开 off"}
KIND_NAMES = {Kind.ELECTRICITY: "电表 electricity", Kind.WATER: "水表 water"}
YES_NO = {True: "是 yes", False: "否 no"}


def meter_row(meter: MeterControl) -> list[object]:
    tags = meter.tags
    return [
        meter.meter_id, tags.project, tags.building, tags.floor, tags.tenant,
        KIND_NAMES.get(meter.kind, str(int(meter.kind))), MODE_NAMES[meter.mode], YES_NO[meter.in_arrears],
        SUPPLY_NAMES[desired_supply(meter.state)], SUPPLY_NAMES[meter.known_state], YES_NO[meter.online],
        meter.last_power_w, meter.overload_threshold_w, YES_NO[meter.overload_tripped],
        _local(meter.cut_check_at), _local(meter.updated_at),
    ]


def _local(at: datetime | None) -> str:
    return at.isoformat(timespec="seconds") if at else ""


def meter_states_workbook(meters: Sequence[MeterControl]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "表计状态 Meter states"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for meter in meters:
        sheet.append(meter_row(meter))
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
