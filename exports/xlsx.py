"""The execution report as XLSX: «Сводка» plus a sheet per resolution with a row per organisation × item.

XlsxWriter in constant_memory mode rather than openpyxl's write-only mode: both stream rows to disk, but
XlsxWriter is about twice as fast per cell, keeps per-cell formats (the row fills) and frozen panes,
autofilter and column widths in that mode, and never builds a shared-strings table in memory. Rows come
from the database `stream_items` chunk by chunk, so memory stays flat however large the region is.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import xlsxwriter
from sqlalchemy.ext.asyncio import AsyncSession

from exports.common import (
    ITEM_COLUMNS,
    MAX_UPLOAD_BYTES,
    SUMMARY_COLUMNS,
    WHOLE_REGION,
    Export,
    Part,
    due_history,
    filename,
    resolutions_of,
    row_state,
)
from models import execution
from models.execution import Figures, Group, Row
from ui.texts import STATUS_NAMES

SHEET_NAME_MAX = 31  # Excel's limit
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
ITEM_WIDTHS = (24, 40, 8, 60, 12, 12, 26, 22, 14, 28, 40, 10)
FILLS = {"overdue": "#F8CBAD", "at_risk": "#FFE699", "closed": "#C6EFCE"}


def sheet_name(title: str, used: set[str]) -> str:
    """An Excel sheet name: without []:*?/\\, at most 31 characters, unique (case-insensitively) in `used`,
    which it is added to."""
    clean = _SHEET_FORBIDDEN.sub(" ", title)
    clean = re.sub(r"\s+", " ", clean).strip().strip("'") or "Резолюция"
    if clean.lower() == "history":  # reserved by Excel
        clean = "History_"
    name = clean[:SHEET_NAME_MAX].rstrip().strip("'")
    n = 1
    while name.lower() in used:
        n += 1
        tail = f" ({n})"
        name = clean[: SHEET_NAME_MAX - len(tail)].rstrip() + tail
    used.add(name.lower())
    return name


def _resolution_label(title: str, when: date | None) -> str:
    # Titles start with «Резолюция …» and are long: the date and the distinctive words fit 31 characters.
    words = re.sub(r"^\s*резолюция\s*", "", title, flags=re.IGNORECASE)
    return f"{when:%d.%m.%Y} {words}" if when else words or title


class _Formats:
    """Per-cell formats: header, and text/date/number cells in each row colour."""

    def __init__(self, workbook: Any) -> None:
        border = {"border": 1, "border_color": "#BFBFBF", "valign": "top"}
        self.header = workbook.add_format(
            {"bold": True, "bg_color": "#D9E1F2", "text_wrap": True, "valign": "vcenter", "border": 1}
        )
        self.bold = workbook.add_format({"bold": True, **border})
        self.bold_number = workbook.add_format({"bold": True, "num_format": "0.0", **border})
        self.cells: dict[tuple[str | None, str], Any] = {}
        for state in (None, *FILLS):
            fill = {"bg_color": FILLS[state]} if state else {}
            self.cells[state, "text"] = workbook.add_format({**border, **fill})
            self.cells[state, "date"] = workbook.add_format({**border, **fill, "num_format": "dd.mm.yyyy"})
            self.cells[state, "int"] = workbook.add_format({**border, **fill, "num_format": "0"})
            self.cells[state, "number"] = workbook.add_format({**border, **fill, "num_format": "0.0"})


def _open(path: Path) -> Any:
    # No formula, URL or number guessing: a comment starting with «=» or «http» stays text.
    options = {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "tmpdir": str(path.parent),
    }
    return xlsxwriter.Workbook(str(path), options)


def _header(sheet: Any, columns: Sequence[str], widths: Sequence[int], fmt: Any) -> None:
    for col, (name, width) in enumerate(zip(columns, widths, strict=True)):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, name, fmt)
    sheet.set_row(0, 32)
    sheet.freeze_panes(1, 0)


def _write_summary(sheet: Any, formats: _Formats, rows: Sequence[Row], total: Figures, *, by_school: bool) -> None:
    first = "Организация" if by_school else "Муниципалитет"
    _header(sheet, (first, *SUMMARY_COLUMNS), (40, 12, 12, 12, 12, 14, 12, 10, 14), formats.header)
    n = 0
    for n, row in enumerate(rows, 1):
        _summary_row(sheet, n, row.name, row.figures, formats.cells[None, "text"], formats.cells[None, "int"], formats)
    label = "Итого по муниципалитету" if by_school else "Итого по области"
    _summary_row(sheet, n + 1, label, total, formats.bold, formats.bold, formats, bold=True)
    sheet.autofilter(0, 0, max(n, 1), len(SUMMARY_COLUMNS))


def _summary_row(
    sheet: Any, r: int, name: str, f: Figures, text: Any, number: Any, formats: _Formats, *, bold: bool = False
) -> None:
    sheet.write_string(r, 0, name, text)
    values = (f.organisations, f.connected, f.due_so_far, f.closed_on_time, f.closed_late, f.overdue)
    for col, value in enumerate(values, 1):
        sheet.write_number(r, col, value, number)
    real = formats.bold_number if bold else formats.cells[None, "number"]
    for col, share in ((7, f.ko), (8, f.avg_days_overdue)):
        if share is None:
            sheet.write_string(r, col, "—", text)
        else:
            sheet.write_number(r, col, round(share, 1), real)


async def _write_items(
    session: AsyncSession, sheet: Any, formats: _Formats, resolution_id: int, groups: Sequence[Group], today: date
) -> int:
    _header(sheet, ITEM_COLUMNS, ITEM_WIDTHS, formats.header)
    r = 0
    for group in groups:
        extended = await execution.extensions(session, resolution_id, group)
        async for item in execution.stream_items(session, resolution_id, group, today):
            r += 1
            state = row_state(item, today)
            text, day, num = formats.cells[state, "text"], formats.cells[state, "date"], formats.cells[state, "int"]
            sheet.write_string(r, 0, item.municipality, text)
            sheet.write_string(r, 1, item.organisation, text)
            sheet.write_string(r, 2, item.number, text)
            sheet.write_string(r, 3, item.text, text)
            _date(sheet, r, 4, item.original_due, day, text)
            _date(sheet, r, 5, item.due, day, text)
            sheet.write_string(r, 6, due_history(item, extended.get(item.assignment_id)), text)
            sheet.write_string(r, 7, STATUS_NAMES.get(item.status, item.status), text)
            _date(sheet, r, 8, item.last_report_at.date() if item.last_report_at else None, day, text)
            sheet.write_string(r, 9, item.reported_by or "", text)
            sheet.write_string(r, 10, item.comment or "", text)
            sheet.write_number(r, 11, item.days_overdue, num)
    sheet.autofilter(0, 0, max(r, 1), len(ITEM_COLUMNS) - 1)
    return r


def _date(sheet: Any, r: int, c: int, value: date | None, fmt: Any, blank: Any) -> None:
    if value is None:
        sheet.write_blank(r, c, None, blank)
    else:
        sheet.write_datetime(r, c, value, fmt)


async def write_xlsx(
    session: AsyncSession,
    path: Path,
    *,
    today: date,
    resolutions: Sequence[tuple[int, str, date | None]],
    groups: Sequence[Group],
    summary_rows: Sequence[Row],
    by_school: bool = False,
) -> int:
    """One workbook: «Сводка» from `summary_rows` (+ their total), then a sheet per resolution with the rows
    of `groups`. Returns the number of item rows written."""
    workbook = _open(path)
    formats = _Formats(workbook)
    used: set[str] = set()
    total = Figures()
    for row in summary_rows:
        total += row.figures
    _write_summary(
        workbook.add_worksheet(sheet_name("Сводка", used)), formats, summary_rows, total, by_school=by_school
    )
    written = 0
    for rid, title, when in resolutions:
        sheet = workbook.add_worksheet(sheet_name(_resolution_label(title, when), used))
        written += await _write_items(session, sheet, formats, rid, groups, today)
    # Zipping a large workbook takes seconds: off the event loop.
    await asyncio.to_thread(workbook.close)
    return written


async def export_xlsx(
    session: AsyncSession,
    folder: Path,
    *,
    today: date,
    resolution_id: int | None = None,
    municipality_id: int | None = None,
    max_bytes: int | None = MAX_UPLOAD_BYTES,
    stem: str = "ispolnenie",
) -> Export:
    """The report for the region (municipality_id None, admins) or one municipality (its officer), for one
    resolution or every published one, written into `folder`.

    When the file exceeds `max_bytes` (Telegram's upload limit by default) and the scope is the region, it
    is written again as one file per municipality (plus the regional level), each with its own «Сводка»:
    `Export.split` says so. A single part that is still too big is listed in `Export.oversized`."""
    resolutions = await resolutions_of(session, resolution_id)
    groups = await execution.groups(session, municipality_id=municipality_id)
    summary = await execution.summary(session, [r[0] for r in resolutions], today, municipality_id=municipality_id)
    by_school = municipality_id is not None
    whole = folder / filename(stem, today, ".xlsx")
    await write_xlsx(
        session,
        whole,
        today=today,
        resolutions=resolutions,
        groups=groups,
        summary_rows=summary.rows,
        by_school=by_school,
    )
    title = groups[0].name if by_school else WHOLE_REGION
    part = Part(whole, title, whole.stat().st_size)
    if max_bytes is None or part.size <= max_bytes:
        return Export((part,), split=False)
    if by_school:
        return Export((part,), split=False, oversized=(part,))
    whole.unlink()
    parts: list[Part] = []
    for n, group in enumerate(groups, 1):
        rows = [r for r in summary.rows if r.key == group.municipality_id]
        if not rows:
            continue  # nothing addressed there
        path = folder / filename(stem, today, ".xlsx", n)
        await write_xlsx(session, path, today=today, resolutions=resolutions, groups=[group], summary_rows=rows)
        parts.append(Part(path, group.name, path.stat().st_size))
    return Export(tuple(parts), split=True, oversized=tuple(p for p in parts if p.size > max_bytes))
