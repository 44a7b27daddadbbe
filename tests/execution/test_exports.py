"""XLSX read back cell by cell, CSV as Excel in a Russian locale opens it, the chart as a PNG."""

from __future__ import annotations

import csv
import io
import struct
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from exports import chart
from exports.common import ITEM_COLUMNS
from exports.csv_export import COLUMNS, export_csv
from exports.xlsx import FILLS, export_xlsx, sheet_name
from models import execution
from models.entities import Status
from tests.dbutil import migrated_db
from tests.execution.data import TODAY, Ids, build
from ui.texts import STATUS_NAMES

Db = tuple[async_sessionmaker[AsyncSession], Ids]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Db]:
    async with migrated_db(database_url) as (_engine, factory):
        async with factory() as session:
            ids = await build(session)
        yield factory, ids


def _fill(cell: object) -> str:
    rgb = str(cell.fill.fgColor.rgb)  # type: ignore[attr-defined]
    return "#" + rgb[-6:]


async def test_xlsx_region_report(db: Db, tmp_path: Path) -> None:
    factory, ids = db
    async with factory() as session:
        result = await export_xlsx(session, tmp_path, today=TODAY, resolution_id=ids.resolution)
    assert not result.split
    (part,) = result.parts
    book = openpyxl.load_workbook(part.path)
    assert book.sheetnames[0] == "Сводка"
    assert len(book.sheetnames) == 2
    assert all(len(name) <= 31 for name in book.sheetnames)

    summary = book["Сводка"]
    assert summary.freeze_panes == "A2"
    rows = [[c.value for c in row] for row in summary.iter_rows(min_row=2)]
    assert [r[0] for r in rows] == ["Вяземский район", "Гагаринский округ", "Региональный уровень", "Итого по области"]
    # addressed, connected, due so far, on time, late, overdue, Ко, average days overdue
    assert rows[0][1:] == [4, 2, 7, 2, 1, 4, pytest.approx(28.6), 12]
    assert rows[-1][1:] == [7, 5, 10, 2, 2, 6, 20, 12]

    sheet = book[book.sheetnames[1]]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:L18"  # header + 17 items
    assert [c.value for c in sheet[1]] == list(ITEM_COLUMNS)
    items = {(r[0].value, r[1].value, r[2].value): r for r in sheet.iter_rows(min_row=2)}
    late = items["Вяземский район", "МБОУ «Средняя школа № 2» г. Вязьмы", "1"]
    # status, last report, who, comment (text even when it looks like a formula), days overdue
    assert [c.value for c in late][7:] == [
        STATUS_NAMES[Status.IN_PROGRESS],
        datetime(2025, 3, 2),
        "Сотрудник v2",
        "=СУММ(A1)",
        19,
    ]
    assert late[4].value == datetime(2025, 3, 1)  # a real date…
    assert late[4].is_date  # …shown as one
    assert late[8].data_type == "d" or late[8].is_date
    assert late[10].data_type == "s"
    assert _fill(late[0]) == FILLS["overdue"]
    assert _fill(late[11]) == FILLS["overdue"]
    risky = items["Вяземский район", "МБОУ «Средняя школа № 2» г. Вязьмы", "2"]
    assert risky[6].value == "15.03.2025 → 22.03.2025"
    assert _fill(risky[3]) == FILLS["at_risk"]
    closed = items["Вяземский район", "МБОУ «Средняя школа № 1» г. Вязьмы", "1"]
    assert _fill(closed[0]) == FILLS["closed"]
    plain = items["Вяземский район", "МБОУ «Средняя школа № 1» г. Вязьмы", "3"]
    assert plain[0].fill.fill_type is None
    assert plain[4].value is None
    # Municipalities by name, then the regional level.
    municipalities = [r[0].value for r in sheet.iter_rows(min_row=2)]
    assert municipalities == sorted(municipalities[:-2]) + ["Региональный уровень"] * 2


async def test_xlsx_of_an_officer_holds_only_their_municipality(db: Db, tmp_path: Path) -> None:
    factory, ids = db
    async with factory() as session:
        result = await export_xlsx(
            session, tmp_path, today=TODAY, resolution_id=ids.resolution, municipality_id=ids.orgs["G"]
        )
    book = openpyxl.load_workbook(result.parts[0].path)
    cells = {str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value is not None}
    assert "МБОУ «Средняя школа № 1» г. Гагарина" in cells
    assert not any("Вязьм" in c or "Вяземск" in c or "Министерство" in c for c in cells)
    summary = [[c.value for c in row] for row in book["Сводка"].iter_rows(min_row=2)]
    assert [r[0] for r in summary] == ["МБОУ «Средняя школа № 1» г. Гагарина", "Итого по муниципалитету"]


async def test_oversized_export_is_split_per_municipality(db: Db, tmp_path: Path) -> None:
    factory, ids = db
    async with factory() as session:
        result = await export_xlsx(session, tmp_path, today=TODAY, max_bytes=1000)
        officer = await export_csv(session, tmp_path, today=TODAY, municipality_id=ids.orgs["V"], max_bytes=10)
    assert result.split
    assert [p.title for p in result.parts] == ["Вяземский район", "Гагаринский округ", "Региональный уровень"]
    assert {p.path.name for p in result.parts} == {f"ispolnenie_2025-03-20_{n:02d}.xlsx" for n in (1, 2, 3)}
    assert result.oversized == result.parts  # each still over 1000 bytes: the caller is told
    gagarin = openpyxl.load_workbook(result.parts[1].path)
    organisations = {r[1].value for r in gagarin.worksheets[1].iter_rows(min_row=2)}
    assert organisations == {"МБОУ «Средняя школа № 1» г. Гагарина"}
    # One municipality cannot be split further: one part, flagged.
    assert not officer.split
    assert officer.oversized == officer.parts


async def test_csv_opens_in_excel_with_a_russian_locale(db: Db, tmp_path: Path) -> None:
    factory, ids = db
    async with factory() as session:
        result = await export_csv(session, tmp_path, today=TODAY, resolution_id=ids.resolution)
    data = result.parts[0].path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == list(COLUMNS)
    assert len(rows) == 1 + 17
    row = next(r for r in rows if r[2] == "МБОУ «Средняя школа № 2» г. Вязьмы" and r[3] == "2")
    assert row[5:9] == ["15.03.2025", "22.03.2025", "15.03.2025 → 22.03.2025", "новое"]


async def test_chart_is_a_png_with_a_bar_per_municipality(db: Db) -> None:
    factory, ids = db
    async with factory() as session:
        region = await execution.region_view(session, ids.resolution, TODAY)
        municipality = await execution.municipality_view(session, ids.resolution, ids.orgs["V"], TODAY)
    drawn = chart.render(region, title="Резолюция августовского совещания")
    assert drawn.png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", drawn.png[16:24])
    assert (width, height) == drawn.size
    assert 1000 <= width <= 1600
    assert 300 <= height <= 2000
    assert drawn.bars == len(region.rows) == 3
    # The worst (smallest share closed) on top: Vyazma (3 of 12), Gagarin (1 of 3), the region (1 of 2).
    assert drawn.labels == ("Вяземский район", "Гагаринский округ", "Региональный уровень")
    officer = chart.render(municipality, title="Вяземский район", max_bars=3)
    assert officer.bars == 3
    assert officer.labels[-1] == "остальные (3)"


def test_sheet_names_are_valid_and_unique() -> None:
    used: set[str] = set()
    long = "Резолюция [форума]: итоги/планы? * " + "очень длинное название " * 3
    first, second = sheet_name(long, used), sheet_name(long, used)
    for name in (first, second):
        assert len(name) <= 31
        assert not set("[]:*?/\\") & set(name)
    assert first != second
    assert second.endswith("(2)")
    assert sheet_name("History", used) != "History"
