"""Reading a directory file (CSV or XLSX) into rows; an unusable file raises `DirectoryError`, whose
message is for the admin who sent the file (like the resolution parser's `ParseError`)."""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from models.entities import OrgKind

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_XLSX_UNPACKED = 200 * 1024 * 1024  # a zip bomb is refused before openpyxl inflates it
MAX_CODE = 64
MAX_NAME = 500
_MAX_COLUMNS = 64  # an XLSX may claim thousands of formatted but empty columns
_HEADER_SEARCH = 5  # non-empty rows in which the header is looked for

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
