"""The directory of organisations: loading and updating it from a CSV or XLSX file.

File format
-----------
One organisation per row; the first non-empty row is the header. Columns (by header name, in any order;
other columns are ignored):

- `code` (or `код`): the unique external code, up to 64 characters;
- `kind` (`тип`, `вид`): region/регион, institute/институт, municipality/муниципалитет, school/школа,
  partner/партнёр (any case);
- `name` (`название`, `наименование`): the full name, up to 500 characters;
- `municipality_code` (`код_муниципалитета`, `муниципалитет`): the code of the municipality — required for
  a school, optional for a partner, empty for the others.

Example (`examples/organisations.csv`):

    code;kind;name;municipality_code
    mo-vyazma;муниципалитет;муниципальное образование «Вяземский район» Смоленской области;
    sch-vyazma-1;школа;МБОУ «Средняя школа № 1» г. Вязьмы;mo-vyazma

- Up to four title lines above the header are skipped.
- CSV: the delimiter (`;`, `,` or tab) is detected from the header; the encoding is UTF-8 (with or without
  BOM) or Windows-1251 (what Excel saves as «CSV (разделители — точка с запятой)»).
- XLSX: the first worksheet, same columns. The old binary .xls is not supported.
- A school names the code of a municipality that is in the same file or already in the directory.
- Rejected rows (reported with their line number and the reason; the rest is imported): empty code,
  unknown kind, empty name, a code repeated in the file (the first occurrence wins), a school without a
  municipality or with an unknown one, a change of kind for an organisation that already has members or
  tasks, or for a municipality that schools belong to.
- The code identifies the organisation: re-importing the same file changes nothing, a changed name,
  kind or municipality updates the row in place (its members and tasks stay with it).
- Nothing is deleted unless asked (`prune=True`): then organisations that have a
  code but are absent from the file are deleted — except those with members (approved, pending or
  former), invitations, tasks or addressed resolutions, and municipalities that schools still belong to.
  Organisations created without a code are never touched.
- Limits: 10 MB, 20 000 rows. Anything else (a picture, an archive, a file without the header) is refused
  with a `DirectoryError` whose message is shown to the admin as is.

Transactions: `import_rows` (and `import_file`) commit once at the end — or roll back with `dry_run=True`.
"""

from __future__ import annotations

import asyncio
import csv
import io
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from sqlalchemy import Column, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.db import Base
from models.entities import Organisation, OrgKind
from models.timeutil import utcnow

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_XLSX_UNPACKED = 200 * 1024 * 1024  # a zip bomb is refused before openpyxl inflates it
MAX_CODE = 64
MAX_NAME = 500
_MAX_COLUMNS = 64  # an XLSX may claim thousands of formatted but empty columns
_HEADER_SEARCH = 5  # non-empty rows in which the header is looked for
_CHUNK = 500  # bound parameters per statement stay far below SQLite's limit

_QUOTES = str.maketrans({"«": '"', "»": '"', "“": '"', "”": '"', "„": '"', "ё": "е"})


def fold(text: str) -> str:
    """Search form of a name: whitespace collapsed, case folded, ё → е, every kind of quote → ".

    SQLite's lower() leaves Cyrillic alone, so `Organisation.name_folded` stores this and searches
    compare against `fold(query)`.
    """
    return " ".join(text.split()).casefold().translate(_QUOTES)


def _clean(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores the code 101 as 101.0
    return " ".join(str(value).split())


KIND_ALIASES: dict[str, OrgKind] = {
    fold(alias): kind
    for kind, aliases in {
        OrgKind.REGION: ("region", "регион", "департамент"),
        OrgKind.INSTITUTE: ("institute", "институт", "соиро"),
        OrgKind.MUNICIPALITY: ("municipality", "муниципалитет", "муниципальный орган"),
        OrgKind.SCHOOL: ("school", "школа", "образовательная организация"),
        OrgKind.PARTNER: ("partner", "партнёр", "социальный партнёр"),
    }.items()
    for alias in aliases
}

KIND_NAMES: dict[str, str] = {
    OrgKind.REGION: "регион",
    OrgKind.INSTITUTE: "институт",
    OrgKind.MUNICIPALITY: "муниципалитет",
    OrgKind.SCHOOL: "школа",
    OrgKind.PARTNER: "партнёр",
}

_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "код"),
    "kind": ("kind", "тип", "вид"),
    "name": ("name", "название", "наименование"),
    "municipality_code": ("municipality_code", "код_муниципалитета", "муниципалитет", "municipality"),
}
_REQUIRED = ("code", "kind", "name")


def _header_key(cell: str) -> str:
    return fold(cell).replace(" ", "_").replace("-", "_")


_HEADER_ALIASES = {_header_key(alias): column for column, aliases in _COLUMNS.items() for alias in aliases}


class DirectoryError(Exception):
    """The file as a whole cannot be imported; `message` (Russian) is shown to the admin."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class DirectoryRow:
    """One data row of the file, cleaned of extra whitespace; `line` is its line (row) number."""

    line: int
    code: str
    kind: str
    name: str
    municipality_code: str = ""


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the report: an added, changed, rejected, deleted or kept organisation."""

    line: int  # 0 when the organisation is not in the file (prune)
    code: str
    name: str
    detail: str = ""  # what changed, or why it was rejected / kept


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    added: list[Entry] = field(default_factory=list)
    changed: list[Entry] = field(default_factory=list)
    unchanged: int = 0
    rejected: list[Entry] = field(default_factory=list)
    deleted: list[Entry] = field(default_factory=list)
    kept: list[Entry] = field(default_factory=list)  # prune wanted them, but they are in use
    missing: int = 0  # in the directory but not in the file, left alone (no prune)
    dry_run: bool = False

    @property
    def changes_anything(self) -> bool:
        return bool(self.added or self.changed or self.deleted)


# --- reading -----------------------------------------------------------------------------------


def read_file(path: str | Path) -> list[DirectoryRow]:
    """Rows of a CSV or XLSX file on disk (blocking: call it in a thread from async code)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DirectoryError(f"Не удалось открыть файл {path.name}: {exc.strerror}.") from exc
    if size > MAX_FILE_BYTES:
        raise DirectoryError(_too_big(size))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DirectoryError(f"Не удалось прочитать файл {path.name}: {exc.strerror}.") from exc
    return read_bytes(data, path.name)


def read_bytes(data: bytes, filename: str = "") -> list[DirectoryRow]:
    """Rows of a CSV or XLSX file held in memory (a document the admin sent to the bot)."""
    if len(data) > MAX_FILE_BYTES:
        raise DirectoryError(_too_big(len(data)))
    if not data.strip():
        raise DirectoryError("Файл пустой.")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0") or filename.lower().endswith(".xls"):
        raise DirectoryError("Формат .xls не поддерживается: сохраните таблицу как .xlsx или CSV.")
    if filename.lower().endswith(".xlsx"):
        raise DirectoryError("Файл .xlsx повреждён: откройте его в Excel и сохраните заново.")
    return _read_csv(data)


def _too_big(size: int) -> str:
    return (
        f"Файл слишком большой: {size / 1024 / 1024:.1f} МБ, допустимо до {MAX_FILE_BYTES // 1024 // 1024} МБ. "
        "Разбейте справочник на части."
    )


def _decode(data: bytes) -> str:
    if b"\x00" in data[:65536]:
        raise DirectoryError(
            "Это не похоже на таблицу CSV: в файле двоичные данные. Нужен CSV (UTF-8 или 1251) или XLSX."
        )
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DirectoryError(f"Файл повреждён: неверная кодировка UTF-8 (байт {exc.start}).") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251")
    except UnicodeDecodeError as exc:
        raise DirectoryError("Не удалось определить кодировку: сохраните файл в UTF-8 или Windows-1251.") from exc


def _read_csv(data: bytes) -> list[DirectoryRow]:
    text = _decode(data)
    head = [line for line in text.splitlines()[:50] if line.strip()][:_HEADER_SEARCH]
    delimiter = max(";,\t", key=lambda d: max((line.count(d) for line in head), default=0))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def records() -> Iterator[tuple[int, Sequence[object]]]:
        try:
            for record in reader:
                yield reader.line_num, record
        except csv.Error as exc:
            raise DirectoryError(f"Строка {reader.line_num}: не удалось разобрать CSV ({exc}).") from exc

    return _rows(records())


def _read_xlsx(data: bytes) -> list[DirectoryRow]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise DirectoryError("Файл .xlsx повреждён: откройте его в Excel и сохраните заново.") from exc
    if unpacked > MAX_XLSX_UNPACKED:
        raise DirectoryError("Файл .xlsx слишком большой в распакованном виде: разбейте справочник на части.")
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it does not read
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                records = (
                    (number, row)
                    for number, row in enumerate(sheet.iter_rows(values_only=True, max_col=_MAX_COLUMNS), start=1)
                )
                return _rows(records)
            finally:
                workbook.close()
    except DirectoryError:
        raise
    except Exception as exc:  # openpyxl raises many kinds of errors on a damaged workbook
        raise DirectoryError("Не удалось прочитать .xlsx: это не книга Excel или она повреждена.") from exc


def _rows(records: Iterable[tuple[int, Sequence[object]]]) -> list[DirectoryRow]:
    """Map the header onto the columns and turn the records into rows (empty records are skipped)."""
    positions: dict[str, int] | None = None
    no_header: DirectoryError | None = None
    tried = 0
    rows: list[DirectoryRow] = []
    for line, record in records:
        cells = [_clean(c) for c in record]
        if not any(cells):
            continue
        if positions is None:
            # A title or a note above the header (common in Excel sheets) is skipped.
            tried += 1
            try:
                positions = _header(cells)
            except DirectoryError as error:
                no_header = no_header or error
                if tried >= _HEADER_SEARCH:
                    raise no_header from None
            continue
        if len(rows) >= MAX_ROWS:
            raise DirectoryError(f"Слишком много строк: допустимо до {MAX_ROWS}. Разбейте справочник на части.")
        code, kind, name, municipality = (_pick(cells, positions, c) for c in _COLUMNS)
        rows.append(DirectoryRow(line, code, kind, name, municipality))
    if positions is None:
        raise no_header or DirectoryError(
            "В файле нет строки заголовка: нужны столбцы code;kind;name;municipality_code."
        )
    return rows


def _pick(cells: list[str], positions: dict[str, int], column: str) -> str:
    index = positions.get(column)
    return cells[index] if index is not None and index < len(cells) else ""


def _header(cells: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, cell in enumerate(cells):
        column = _HEADER_ALIASES.get(_header_key(cell))
        if column is not None and column not in positions:
            positions[column] = index
    absent = [c for c in _REQUIRED if c not in positions]
    if absent:
        shown = "; ".join(cells[:6])[:200]
        raise DirectoryError(
            f"В первой строке нет столбцов {', '.join(absent)}. Ожидается заголовок "
            f"code;kind;name;municipality_code (или код;тип;название;код_муниципалитета), а в файле: «{shown}»."
        )
    return positions


# --- importing ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Known:
    id: int
    kind: str
    name: str
    name_folded: str
    municipality_id: int | None


@dataclass(slots=True)
class _Valid:
    row: DirectoryRow
    kind: OrgKind
    municipality_id: int | None = None  # resolved reference to an organisation already in the database
    municipality_code: str = ""  # reference to a municipality that this import adds


def _check_row(row: DirectoryRow) -> tuple[OrgKind | None, str]:
    """The row's kind, or None and the reason to reject it (checks that need no database)."""
    if not row.code:
        return None, "не указан код"
    if len(row.code) > MAX_CODE:
        return None, f"код длиннее {MAX_CODE} символов"
    kind = KIND_ALIASES.get(fold(row.kind))
    if kind is None:
        shown = f"«{row.kind[:40]}»" if row.kind else "не указан"
        return None, f"неизвестный тип {shown}; допустимо: регион, институт, муниципалитет, школа, партнёр"
    if not row.name:
        return None, "не указано название"
    if len(row.name) > MAX_NAME:
        return None, f"название длиннее {MAX_NAME} символов"
    if kind == OrgKind.SCHOOL and not row.municipality_code:
        return None, "для школы нужен код муниципалитета (столбец municipality_code)"
    if kind not in {OrgKind.SCHOOL, OrgKind.PARTNER} and row.municipality_code:
        return None, f"у типа «{KIND_NAMES[kind]}» не бывает муниципалитета: оставьте municipality_code пустым"
    return kind, ""


async def _referenced_org_ids(session: AsyncSession) -> set[int]:
    """Organisations that some other table points at (members, invitations, tasks, addressees…)."""
    organisation = Base.metadata.tables[Organisation.__tablename__]
    columns: list[Column[Any]] = [
        fk.parent
        for table in Base.metadata.tables.values()
        if table is not organisation
        for fk in table.foreign_keys
        if fk.column.table is organisation
    ]
    used: set[int] = set()
    for column in columns:
        used.update(v for v in (await session.scalars(select(column).where(column.is_not(None)).distinct())) if v)
    return used


async def import_rows(
    session: AsyncSession,
    rows: Sequence[DirectoryRow],
    *,
    prune: bool = False,
    dry_run: bool = False,
    now: datetime | None = None,
) -> ImportReport:
    """Add and update organisations by code in one transaction; see the module docstring for the rules.

    Commits once (or rolls back when `dry_run`, so an admin can see the report before applying it).
    """
    now = now or utcnow()
    report = ImportReport(rows=len(rows), dry_run=dry_run)
    known: dict[str, _Known] = {
        code: _Known(id_, kind, name, folded, municipality_id)
        for id_, code, kind, name, folded, municipality_id in (
            await session.execute(
                select(
                    Organisation.id,
                    Organisation.code,
                    Organisation.kind,
                    Organisation.name,
                    Organisation.name_folded,
                    Organisation.municipality_id,
                ).where(Organisation.code.is_not(None))
            )
        ).tuples()
        if code is not None
    }
    code_of = {k.id: code for code, k in known.items()}
    in_use = await _referenced_org_ids(session)
    has_children = {k.municipality_id for k in known.values() if k.municipality_id is not None}
    has_children.update(
        m
        for m in (
            await session.scalars(
                select(Organisation.municipality_id)
                .where(Organisation.code.is_(None), Organisation.municipality_id.is_not(None))
                .distinct()
            )
        )
        if m is not None
    )

    def reject(row: DirectoryRow, reason: str) -> None:
        report.rejected.append(Entry(row.line, row.code, row.name, reason))

    # 1. Checks of each row on its own, duplicates, and kind changes of organisations in use.
    first_line: dict[str, int] = {}
    valid: list[_Valid] = []
    for row in rows:
        if row.code and row.code in first_line:
            reject(row, f"код {row.code} уже встречался в строке {first_line[row.code]}")
            continue
        if row.code:
            first_line[row.code] = row.line
        kind, reason = _check_row(row)
        if kind is None:
            reject(row, reason)
            continue
        old = known.get(row.code)
        if old is not None and old.kind != kind:
            if old.id in in_use:
                reject(row, f"нельзя сменить тип «{KIND_NAMES.get(old.kind, old.kind)}»: есть участники или поручения")
                continue
            if old.kind == OrgKind.MUNICIPALITY and old.id in has_children:
                reject(row, "нельзя сменить тип муниципалитета, к которому привязаны школы")
                continue
        valid.append(_Valid(row, kind))

    # 2. Municipality references: to a municipality of this file or of the directory.
    final_kind = {code: k.kind for code, k in known.items()}
    final_kind.update({v.row.code: v.kind for v in valid})
    resolved: list[_Valid] = []
    for v in valid:
        ref = v.row.municipality_code
        if ref:
            if ref not in final_kind:
                reject(v.row, f"муниципалитет с кодом {ref} не найден ни в файле, ни в справочнике")
                continue
            if final_kind[ref] != OrgKind.MUNICIPALITY:
                reject(v.row, f"код {ref} указан как муниципалитет, но это «{KIND_NAMES.get(final_kind[ref], '?')}»")
                continue
            if ref in known:
                v.municipality_id = known[ref].id
            else:
                v.municipality_code = ref
        resolved.append(v)

    # 3. New municipalities go first: the schools of this file need their ids.
    new = [v for v in resolved if v.row.code not in known]
    new_municipalities = [v for v in new if v.kind == OrgKind.MUNICIPALITY]
    others = [v for v in new if v.kind != OrgKind.MUNICIPALITY]
    await _insert(session, new_municipalities, now)
    pending = [v for v in resolved if v.municipality_code]  # new or existing rows naming a new municipality
    if pending:
        codes = [v.row.code for v in new_municipalities]
        ids: dict[str, int] = {}
        for start in range(0, len(codes), _CHUNK):
            chunk = codes[start : start + _CHUNK]
            found = await session.execute(
                select(Organisation.code, Organisation.id).where(Organisation.code.in_(chunk))
            )
            ids.update((code, id_) for code, id_ in found.tuples() if code is not None)
        for v in pending:
            v.municipality_id = ids[v.municipality_code]
    await _insert(session, others, now)
    report.added.extend(Entry(v.row.line, v.row.code, v.row.name, KIND_NAMES[v.kind]) for v in new)

    # 4. Updates in place.
    updates: list[dict[str, Any]] = []
    for v in resolved:
        old = known.get(v.row.code)
        if old is None:
            continue
        notes: list[str] = []
        if old.name != v.row.name:
            notes.append(f"название: «{old.name}» → «{v.row.name}»")
        if old.kind != v.kind:
            notes.append(f"тип: {KIND_NAMES.get(old.kind, old.kind)} → {KIND_NAMES[v.kind]}")
        if old.municipality_id != v.municipality_id:
            before = code_of.get(old.municipality_id, "—") if old.municipality_id is not None else "—"
            notes.append(f"муниципалитет: {before} → {v.row.municipality_code or '—'}")
        folded = fold(v.row.name)
        if notes or old.name_folded != folded:
            updates.append(
                {
                    "id": old.id,
                    "kind": v.kind.value,
                    "name": v.row.name,
                    "name_folded": folded,
                    "municipality_id": v.municipality_id,
                }
            )
        if notes:
            report.changed.append(Entry(v.row.line, v.row.code, v.row.name, "; ".join(notes)))
        else:
            report.unchanged += 1
    for start in range(0, len(updates), _CHUNK):
        await session.execute(update(Organisation), updates[start : start + _CHUNK])

    # 5. Organisations absent from the file: left alone, or pruned when unused.
    absent = {code: k for code, k in known.items() if code not in first_line}
    if not prune:
        report.missing = len(absent)
    else:
        await _prune(session, report, absent, known, in_use)

    if dry_run:
        await session.rollback()
    else:
        await session.commit()
    return report


async def _insert(session: AsyncSession, items: list[_Valid], now: datetime) -> None:
    values = [
        {
            "code": v.row.code,
            "kind": v.kind.value,
            "name": v.row.name,
            "name_folded": fold(v.row.name),
            "municipality_id": v.municipality_id,
            "created_at": now,
        }
        for v in items
    ]
    for start in range(0, len(values), _CHUNK):
        await session.execute(insert(Organisation), values[start : start + _CHUNK])


async def _prune(
    session: AsyncSession,
    report: ImportReport,
    absent: dict[str, _Known],
    known: dict[str, _Known],
    in_use: set[int],
) -> None:
    removable = {code: k for code, k in absent.items() if k.id not in in_use}
    for code, k in absent.items():
        if code not in removable:
            report.kept.append(Entry(0, code, k.name, "есть участники, заявки, приглашения или поручения"))
    # A municipality stays while any organisation that stays still belongs to it.
    removable_ids = {k.id for k in removable.values()}
    parents = {k.municipality_id for k in known.values() if k.id not in removable_ids}
    parents.update(
        m
        for m in (
            await session.scalars(
                select(Organisation.municipality_id).where(
                    Organisation.code.is_(None), Organisation.municipality_id.is_not(None)
                )
            )
        )
        if m is not None
    )
    doomed: list[_Known] = []
    for code, k in sorted(removable.items()):
        if k.id in parents:
            report.kept.append(Entry(0, code, k.name, "к нему привязаны организации, которые остаются"))
        else:
            doomed.append(k)
            report.deleted.append(Entry(0, code, k.name, KIND_NAMES.get(k.kind, k.kind)))
    # Schools before municipalities, so every statement leaves the foreign keys intact.
    doomed.sort(key=lambda k: k.kind == OrgKind.MUNICIPALITY)
    ids = [k.id for k in doomed]
    for start in range(0, len(ids), _CHUNK):
        await session.execute(delete(Organisation).where(Organisation.id.in_(ids[start : start + _CHUNK])))


async def import_file(
    session: AsyncSession, path: str | Path, *, prune: bool = False, dry_run: bool = False
) -> ImportReport:
    """Read a file (in a worker thread) and import it; raises DirectoryError for an unusable file."""
    rows = await asyncio.to_thread(read_file, path)
    return await import_rows(session, rows, prune=prune, dry_run=dry_run)


# --- the report --------------------------------------------------------------------------------


def format_report(report: ImportReport, *, html: bool, limit: int = 15) -> str:
    """The report as text: counts, then up to `limit` entries per section.

    `html=True` escapes names for Telegram's HTML mode and bolds the title; with the default limit the
    text stays under Telegram's 4096 characters.
    """

    def esc(text: str) -> str:
        return escape(text, quote=False) if html else text

    def short(text: str, size: int = 90) -> str:
        return text if len(text) <= size else text[: size - 1] + "…"

    title = "Проверка справочника (ничего не сохранено)" if report.dry_run else "Справочник организаций загружен"
    lines = [f"<b>{title}</b>" if html else title, f"Строк с данными: {report.rows}"]
    lines.append(f"Добавлено: {len(report.added)}")
    lines.append(f"Изменено: {len(report.changed)}")
    lines.append(f"Без изменений: {report.unchanged}")
    lines.append(f"Отклонено: {len(report.rejected)}")
    if report.deleted or report.kept:
        lines.append(f"Удалено: {len(report.deleted)}; оставлено (используются): {len(report.kept)}")
    if report.missing:
        lines.append(f"Есть в справочнике, но нет в файле: {report.missing} (не удалены)")

    def section(header: str, entries: list[Entry], render: Any) -> None:
        if not entries:
            return
        lines.append("")
        lines.append(header)
        lines.extend(f"• {esc(short(render(e), 200))}" for e in entries[:limit])
        if len(entries) > limit:
            lines.append(f"…и ещё {len(entries) - limit}")

    section("Отклонены:", report.rejected, lambda e: f"строка {e.line}: {e.detail}")
    section("Изменены:", report.changed, lambda e: f"строка {e.line}, код {e.code}: {e.detail}")
    section("Добавлены:", report.added, lambda e: f"{e.code} — {short(e.name)} ({e.detail})")
    section("Удалены:", report.deleted, lambda e: f"{e.code} — {short(e.name)}")
    section("Не удалены:", report.kept, lambda e: f"{e.code} — {short(e.name)}: {e.detail}")
    return "\n".join(lines)


__all__ = [
    "KIND_ALIASES",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "DirectoryError",
    "DirectoryRow",
    "Entry",
    "ImportReport",
    "fold",
    "format_report",
    "import_file",
    "import_rows",
    "read_bytes",
    "read_file",
]
