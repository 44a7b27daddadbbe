"""Loading the directory of organisations from CSV and XLSX files."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.directory import (
    MAX_FILE_BYTES,
    DirectoryError,
    DirectoryRow,
    fold,
    import_file,
    import_rows,
    read_bytes,
    read_file,
)
from models.entities import Approval, Invite, Member, Organisation
from tests.dbutil import migrated_db
from ui.texts import directory_report

EXAMPLE = Path(__file__).parents[2] / "examples" / "organisations.csv"

Factory = async_sessionmaker[AsyncSession]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Factory]:
    async with migrated_db(database_url) as (_engine, factory):
        yield factory


def csv_rows(text: str) -> list[DirectoryRow]:
    return read_bytes(text.encode(), "orgs.csv")


async def snapshot(session: AsyncSession) -> list[tuple[Any, ...]]:
    rows = await session.execute(
        select(
            Organisation.id,
            Organisation.code,
            Organisation.kind,
            Organisation.name,
            Organisation.name_folded,
            Organisation.municipality_id,
            Organisation.created_at,
        ).order_by(Organisation.id)
    )
    return [tuple(r) for r in rows]


async def by_code(session: AsyncSession) -> dict[str, Organisation]:
    return {o.code: o for o in await session.scalars(select(Organisation)) if o.code}


BAD = """code;kind;name;municipality_code
mo-v;муниципалитет;муниципальное образование «Вяземский район» Смоленской области;
v1;школа;МБОУ «Средняя школа № 1» г. Вязьмы;mo-v
v2;лицей;МБОУ «Лицей № 2»;mo-v
v3;школа;;mo-v
v1;школа;Повтор кода;mo-v
v4;школа;Школа без муниципалитета;
v5;школа;Школа с чужим кодом;mo-x
;партнёр;Без кода;
v6;школа;Школа при школе;v1
g1;School;МБОУ «Средняя школа № 1» г. Гагарина;mo-g
mo-g;Municipality;Гагаринский муниципальный округ;
p1;Партнер;ФГБОУ ВО «Смоленский государственный университет»;
"""


async def test_bad_rows_are_rejected_with_line_numbers_and_the_rest_imported(db: Factory) -> None:
    async with db() as session:
        report = await import_rows(session, csv_rows(BAD))
        orgs = await by_code(session)
    assert sorted(orgs) == ["g1", "mo-g", "mo-v", "p1", "v1"]
    # The school refers to a municipality defined further down the file.
    assert orgs["g1"].municipality_id == orgs["mo-g"].id
    assert orgs["v1"].municipality_id == orgs["mo-v"].id
    assert orgs["p1"].kind == "partner"
    assert orgs["v1"].name_folded == 'мбоу "средняя школа № 1" г. вязьмы'
    rejected = {e.line: e.detail for e in report.rejected}
    assert sorted(rejected) == [4, 5, 6, 7, 8, 9, 10]
    assert "неизвестный тип «лицей»" in rejected[4]
    assert "не указано название" in rejected[5]
    assert "уже встречался в строке 3" in rejected[6]
    assert "нужен код муниципалитета" in rejected[7]
    assert "mo-x не найден" in rejected[8]
    assert "не указан код" in rejected[9]
    assert "v1 указан как муниципалитет" in rejected[10]
    assert len(report.added) == 5
    text = directory_report(report, html=False)
    assert "Добавлено: 5" in text
    assert "Отклонено: 7" in text
    assert "строка 4: неизвестный тип «лицей»" in text
    html = directory_report(report, html=True)
    assert html.startswith("<b>")
    assert "«Средняя школа № 1»" in html


async def test_reimporting_the_same_file_changes_nothing(db: Factory) -> None:
    async with db() as session:
        first = await import_file(session, EXAMPLE)
        before = await snapshot(session)
    assert first.rejected == []
    assert len(first.added) == 17
    async with db() as session:
        again = await import_file(session, EXAMPLE)
        after = await snapshot(session)
    assert (len(again.added), len(again.changed), len(again.rejected), again.unchanged) == (0, 0, 0, 17)
    assert not again.changes_anything
    assert after == before


async def test_a_changed_name_and_municipality_update_the_row_in_place(db: Factory) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    async with db() as session:
        await import_rows(session, csv_rows(text))
        before = await by_code(session)
    changed = text.replace("МБОУ «Средняя школа № 7» города Смоленска", "МБОУ «Лицей № 7» города Смоленска").replace(
        "roslavl-sh2;школа;МБОУ «Средняя школа № 2» г. Рославля;mo-roslavl",
        "roslavl-sh2;школа;МБОУ «Средняя школа № 2» г. Рославля;mo-new\nmo-new;муниципалитет;Новый округ;",
    )
    async with db() as session:
        report = await import_rows(session, csv_rows(changed))
        after = await by_code(session)
    assert [e.code for e in report.added] == ["mo-new"]
    details = {e.code: e.detail for e in report.changed}
    assert set(details) == {"smolensk-sh7", "roslavl-sh2"}
    old, new = "МБОУ «Средняя школа № 7» города Смоленска", "МБОУ «Лицей № 7» города Смоленска"
    assert f"название: «{old}» → «{new}»" in details["smolensk-sh7"]
    assert "муниципалитет: mo-roslavl → mo-new" in details["roslavl-sh2"]
    assert after["smolensk-sh7"].id == before["smolensk-sh7"].id
    assert after["smolensk-sh7"].name_folded == fold("МБОУ «Лицей № 7» города Смоленска")
    assert after["roslavl-sh2"].municipality_id == after["mo-new"].id


async def test_prune_never_deletes_organisations_in_use(db: Factory) -> None:
    async with db() as session:
        await import_file(session, EXAMPLE)
        orgs = await by_code(session)
        session.add(Member(user_id=5, organisation_id=orgs["vyazma-sh1"].id, role="school", approval=Approval.APPROVED))
        session.add(Member(user_id=6, organisation_id=orgs["smolgu"].id, role="partner", approval=Approval.REMOVED))
        session.add(
            Invite(
                code="x" * 16,
                organisation_id=orgs["gagarin-sh1"].id,
                role="school",
                created_by=1,
                expires_at=orgs["region"].created_at,
            )
        )
        await session.commit()
    only_region = "code;kind;name\nregion;регион;Департамент Смоленской области по образованию и науке\n"
    async with db() as session:
        kept_all = await import_rows(session, csv_rows(only_region))
        assert kept_all.missing == 16
        assert set(await by_code(session)) == set(orgs)  # without prune nothing is deleted
    async with db() as session:
        report = await import_rows(session, csv_rows(only_region), prune=True)
        left = await by_code(session)
    kept = {e.code: e.detail for e in report.kept}
    assert set(kept) == {"vyazma-sh1", "smolgu", "gagarin-sh1", "mo-vyazma", "mo-gagarin"}
    assert "привязаны" in kept["mo-vyazma"]
    assert sorted(left) == sorted({"region", *kept})
    assert {e.code for e in report.deleted} == set(orgs) - set(left)
    assert "Удалено: 11; оставлено (используются): 5" in directory_report(report, html=False)


async def test_kind_of_an_organisation_with_members_cannot_change(db: Factory) -> None:
    async with db() as session:
        await import_file(session, EXAMPLE)
        orgs = await by_code(session)
        session.add(Member(user_id=5, organisation_id=orgs["smolgu"].id, role="partner", approval=Approval.PENDING))
        await session.commit()
    text = "code;kind;name\nsmolgu;институт;Смоленский университет\nmo-gagarin;партнёр;Гагарин\n"
    async with db() as session:
        report = await import_rows(session, csv_rows(text))
        after = await by_code(session)
    assert {e.line: e.detail for e in report.rejected} == {
        2: "нельзя сменить тип «партнёр»: есть участники или поручения",
        3: "нельзя сменить тип муниципалитета, к которому привязаны школы",
    }
    assert after["smolgu"].kind == "partner"


async def test_dry_run_reports_without_saving(db: Factory) -> None:
    async with db() as session:
        report = await import_file(session, EXAMPLE, dry_run=True)
        assert len(report.added) == 17
        assert await by_code(session) == {}
    assert directory_report(report, html=False).startswith("Проверка справочника (ничего не сохранено)")


async def test_xlsx_with_the_same_columns(db: Factory, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Справочник организаций Смоленской области"])  # a title above the header is skipped
    sheet.append(["Код", "Тип", "Наименование", "Код муниципалитета", "Комментарий"])
    sheet.append([67001, "муниципалитет", "город Смоленск", None, "областной центр"])
    sheet.append([67101.0, "школа", "МБОУ «Гимназия № 4» города Смоленска", 67001, None])
    sheet.append([None, None, None, None, None])
    sheet.append([67102, "школа", "МБОУ «Средняя школа № 33» города Смоленска", 99999, None])
    path = tmp_path / "orgs.xlsx"
    book.save(path)
    async with db() as session:
        report = await import_file(session, path)
        orgs = await by_code(session)
    assert sorted(orgs) == ["67001", "67101"]
    assert orgs["67101"].municipality_id == orgs["67001"].id
    assert [(e.line, e.code) for e in report.rejected] == [(6, "67102")]


def test_excel_csv_in_cp1251_with_commas_and_quotes() -> None:
    text = 'Код,Вид,Название,Муниципалитет\r\nmo,Муниципалитет,"Гагаринский округ, Смоленская область",\r\n'
    rows = read_bytes(text.encode("cp1251"))
    assert rows == [DirectoryRow(2, "mo", "Муниципалитет", "Гагаринский округ, Смоленская область", "")]
    titled = "Справочник\n\ncode,kind,name\nr,region,Департамент\n"
    assert read_bytes(titled.encode()) == [DirectoryRow(4, "r", "region", "Департамент", "")]
    bom = ("\ufeffcode;kind;name\n\n  r ; регион ;  Департамент   Смоленской области \n").encode()
    assert read_bytes(bom) == [DirectoryRow(3, "r", "регион", "Департамент Смоленской области", "")]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "a.csv", "Файл пустой"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a.png", "двоичные данные"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "a.xls", ".xls не поддерживается"),
        (b"PK\x03\x04garbage", "a.xlsx", ".xlsx повреждён"),
        ("Привет, это письмо, а не таблица\n".encode(), "a.csv", "нет столбцов code, kind, name"),
        (b"x" * (MAX_FILE_BYTES + 1), "a.csv", "слишком большой"),
    ],
)
def test_garbage_is_refused_with_a_clear_message(data: bytes, name: str, message: str) -> None:
    with pytest.raises(DirectoryError) as error:
        read_bytes(data, name)
    assert message in error.value.message


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    path = tmp_path / "a.xlsx"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(DirectoryError, match="не книга Excel"):
        read_file(path)
    with pytest.raises(DirectoryError, match="Не удалось открыть файл"):
        read_file(tmp_path / "missing.csv")


def test_too_many_rows() -> None:
    text = "code;kind;name\n" + "".join(f"c{i};школа;Школа {i}\n" for i in range(20_001))
    with pytest.raises(DirectoryError, match="Слишком много строк"):
        read_bytes(text.encode())


def test_long_reports_are_cut() -> None:
    rows = [DirectoryRow(i, f"c{i}", "лицей", "Лицей") for i in range(2, 200)]
    from models.directory import Entry, ImportReport

    report = ImportReport(rows=len(rows), rejected=[Entry(r.line, r.code, "<b>" * 100, "x" * 500) for r in rows])
    text = directory_report(report, html=True)
    assert "…и ещё 183" in text
    assert len(text) < 4096
