"""Commissioning sheets as rows: CSV (UTF-8, with or without BOM) or Excel .xlsx (first sheet).

Line numbers are the ones the operator sees in the spreadsheet (header on line 1).
"""

from __future__ import annotations

import csv
import io

from services.acquisition.domain.sheet import SheetRejected, normalise_header

MAX_SHEET_BYTES = 20 * 1024 * 1024


def read_rows(content: bytes, filename: str) -> list[tuple[int, dict[str, str]]]:
    if len(content) > MAX_SHEET_BYTES:
        raise SheetRejected([(1, f"file larger than {MAX_SHEET_BYTES // 1024 // 1024} MB")])
    name = filename.lower()
    if name.endswith(".xlsx"):
        table = _xlsx_table(content)
    elif name.endswith(".csv") or not name:
        table = _csv_table(content)
    else:
        raise SheetRejected([(1, f"不支持的文件类型 unsupported file type {filename!r}: use .csv or .xlsx")])
    if not table:
        raise SheetRejected([(1, "the sheet is empty")])
    header = [normalise_header(str(title or "")) for title in table[0]]
    rows = []
    for line, cells in enumerate(table[1:], start=2):
        if all(c in (None, "") for c in cells):
            continue  # blank lines between blocks are common in hand-made sheets
        rows.append((line, {header[i]: _text(c) for i, c in enumerate(cells) if i < len(header) and header[i]}))
    return rows


def _csv_table(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SheetRejected([(1, "CSV must be UTF-8 encoded")]) from None
    return [row for row in csv.reader(io.StringIO(text))]


def _xlsx_table(content: bytes) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise SheetRejected([(1, f"not a readable .xlsx workbook: {exc}")]) from None
    try:
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()
