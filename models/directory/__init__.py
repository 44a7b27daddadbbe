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

from models.directory.importing import Entry, ImportReport, import_file, import_rows
from models.directory.reading import (
    KIND_ALIASES,
    MAX_FILE_BYTES,
    MAX_ROWS,
    DirectoryError,
    DirectoryRow,
    fold,
    read_bytes,
    read_file,
)

__all__ = [
    "KIND_ALIASES",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "DirectoryError",
    "DirectoryRow",
    "Entry",
    "ImportReport",
    "fold",
    "import_file",
    "import_rows",
    "read_bytes",
    "read_file",
]
