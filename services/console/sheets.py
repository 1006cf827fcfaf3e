"""The onboarding workbook as rows (openpyxl, read-only), and the empty template operators fill in.

Cells become text: whole numbers without ".0", dates as YYYY-MM-DD, other numbers by their shortest
exact decimal (so 12.35 stays "12.35" and money is parsed exactly from it). Blank lines are skipped but
keep their numbers: a line number is the one Excel shows (the header is line 1).
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time

from services.console.domain.errors import ConsoleError
from services.console.domain.onboarding_sheets import (
    MAX_ROWS,
    SHEETS,
    OnboardingRejected,
    Problem,
    SheetRow,
    SheetSpec,
    WorkbookRows,
    sheet_spec,
)

MAX_WORKBOOK_BYTES = 20 * 1024 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class WorkbookTooLarge(ConsoleError):
    status, code = 413, "file_too_large"


class NotAWorkbookType(ConsoleError):
    status, code = 415, "unsupported_media_type"


def _rejected(sheet: str, zh: str, en: str) -> OnboardingRejected:
    return OnboardingRejected([Problem(sheet, 1, zh, en)])


def read_workbook(content: bytes) -> WorkbookRows:
    """The four sheets' rows; OnboardingRejected for a file that is not such a workbook."""
    if len(content) > MAX_WORKBOOK_BYTES:
        size_mb = MAX_WORKBOOK_BYTES // 2**20
        raise WorkbookTooLarge(f"文件超过{size_mb}MB", f"the file is over {size_mb} MB")
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise _rejected("", "不是Excel工作簿(.xlsx)", "not an Excel workbook (.xlsx)")
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a zip that is not a workbook
        raise _rejected("", "无法读取该Excel工作簿(.xlsx)", "not a readable Excel workbook (.xlsx)") from None
    try:
        found: dict[str, tuple[SheetRow, ...]] = {}
        problems: list[Problem] = []
        for sheet in book.worksheets:
            spec = sheet_spec(sheet.title)
            if spec is not None and spec.key not in found:
                found[spec.key] = _sheet_rows(spec, sheet, problems)
    except OnboardingRejected:
        raise
    except Exception:
        raise _rejected("", "无法读取该Excel工作簿(.xlsx)", "not a readable Excel workbook (.xlsx)") from None
    finally:
        book.close()
    for spec in SHEETS:
        if spec.key not in found:
            problems.append(Problem(spec.key, 1, f"缺少工作表 {spec.zh} ({spec.key})",
                                    f"the sheet {spec.key} is missing"))
    if problems:
        raise OnboardingRejected(problems)
    return WorkbookRows(**found)


def _sheet_rows(spec: SheetSpec, sheet, problems: list[Problem]) -> tuple[SheetRow, ...]:
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    keys = [spec.column(str(title)) if title is not None else None for title in header]
    named = [k for k in keys if k]
    repeated = sorted({k for k in named if named.count(k) > 1})
    missing = [k for k in spec.required() if k not in named]
    if repeated or missing:
        for key in missing:
            problems.append(Problem(spec.key, 1, f"缺少列 {key}", f"the column {key} is missing"))
        for key in repeated:
            problems.append(Problem(spec.key, 1, f"列 {key} 出现多次", f"the column {key} appears twice"))
        return ()
    found: list[SheetRow] = []
    for line, cells in enumerate(rows, start=2):
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        if len(found) == MAX_ROWS:
            raise OnboardingRejected([Problem(spec.key, line, f"每个工作表最多{MAX_ROWS}行",
                                              f"at most {MAX_ROWS} rows per sheet")])
        found.append(SheetRow(line, {key: cell_text(cells[i]) for i, key in enumerate(keys)
                                     if key and i < len(cells)}))
    return tuple(found)


def cell_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == time() else cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else repr(cell)
    return str(cell).strip()


def template_workbook() -> bytes:
    """An empty onboarding workbook: the four sheets with their header rows (Chinese and English)."""
    return build_workbook({spec.key: [] for spec in SHEETS})


def build_workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    """A workbook of the four sheets, each with the template header and the rows given (in column order)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for spec in SHEETS:
        sheet = book.create_sheet(f"{spec.zh} {spec.key}")
        sheet.append(spec.titles())
        for row in sheets.get(spec.key, []):
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
