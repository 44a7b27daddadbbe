"""Export benchmark: the XLSX execution report of one resolution over 40,000 schools × 20 items (800,000
rows, dataset from benchmarks/_execution_data.py) against the bare writer writing the same rows.

    python benchmarks/export.py [--keep PATH]

Both run in a child process of their own, one after the other, so the peak RSS of each is its own: the
parent waits for each with os.wait4, whose rusage is that child's alone (ru_maxrss, KiB on Linux). The
bare writer is XlsxWriter in the same mode with the same formats, fed rows made in memory one at a time
from the dataset's rules instead of read from the database. Targets: export within 1.2× of the bare
writer, peak RSS under 100 MB.
The last line is the summary: `export: <s> s export, <s> s bare writer, <ratio>x, <MB> MB peak RSS, N rows`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import _execution_data as dataset  # noqa: E402 - the sibling module: this folder is the script's path

from exports.common import ITEM_COLUMNS, fmt_date  # noqa: E402
from exports.xlsx import ITEM_WIDTHS, _Formats, _header, _open, export_xlsx  # noqa: E402
from models.db import create_engine, create_session_factory  # noqa: E402
from ui.texts import STATUS_NAMES  # noqa: E402


async def child_export(db: Path, out: Path) -> dict[str, Any]:
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    factory = create_session_factory(engine)
    started = time.perf_counter()
    async with factory() as session:
        result = await export_xlsx(
            session, out, today=dataset.TODAY, resolution_id=dataset.RESOLUTION_ID, max_bytes=None
        )
    seconds = time.perf_counter() - started
    await engine.dispose()
    return {"seconds": seconds, "bytes": result.parts[0].size}


def bare_rows() -> Iterator[tuple[Any, ...]]:
    """The export's rows rebuilt from the dataset's rules, one at a time (same strings, dates, states)."""
    recs = dataset.recommendations()
    today = dataset.TODAY
    for s in range(dataset.SCHOOLS):
        org = dataset.FIRST_SCHOOL + s
        muni = f"Муниципалитет {1 + s % dataset.MUNICIPALITIES:02d}"
        for n, rec in enumerate(recs):
            status = dataset.status_for(s, n)
            original: date | None = rec["due"]
            due = original + timedelta(days=14) if original and (s + n) % 50 == 0 else original
            history = f"{fmt_date(original)} → {fmt_date(due)}" if due != original else ""
            report = None if status == "new" else datetime(2026, 4, 4 + n % 10)
            overdue = (today - due).days if due and due < today and status != "accepted" else 0
            at_risk = due is not None and 0 <= (due - today).days <= 3
            state = "closed" if status == "accepted" else "overdue" if overdue else "at_risk" if at_risk else None
            yield (
                muni,
                f"МБОУ «Средняя школа № {s + 1}»",
                str(n + 1),
                rec["text"],
                original,
                due,
                history,
                STATUS_NAMES[status],
                report,
                f"Иванова Мария Петровна {org}" if report else "",
                "Работа ведётся по плану, ответственный назначен" if report and n % 3 == 0 else "",
                overdue,
                state,
            )


def child_bare(out: Path) -> dict[str, Any]:
    started = time.perf_counter()
    workbook = _open(out / "bare.xlsx")
    formats = _Formats(workbook)
    sheet = workbook.add_worksheet("bare")
    _header(sheet, ITEM_COLUMNS, ITEM_WIDTHS, formats.header)
    r = 0
    for r, (*values, state) in enumerate(bare_rows(), 1):
        text, day, num = formats.cells[state, "text"], formats.cells[state, "date"], formats.cells[state, "int"]
        for c in (0, 1, 2, 3, 6, 7, 9, 10):
            sheet.write_string(r, c, values[c], text)
        for c in (4, 5, 8):
            if values[c] is None:
                sheet.write_blank(r, c, None, text)
            else:
                sheet.write_datetime(r, c, values[c], day)
        sheet.write_number(r, 11, values[11], num)
    sheet.autofilter(0, 0, r, len(ITEM_COLUMNS) - 1)
    workbook.close()
    return {"seconds": time.perf_counter() - started, "bytes": (out / "bare.xlsx").stat().st_size, "rows": r}


def in_child(*args: str) -> tuple[dict[str, Any], float]:
    """Run this script as `--child ...`; its JSON result and its own peak RSS in MB."""
    proc = subprocess.Popen([sys.executable, __file__, "--child", *args], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"child {args[0]} failed ({proc.returncode})")
    return json.loads(output.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def run(db: Path, *, build: bool) -> None:
    if build:
        started = time.perf_counter()
        asyncio.run(dataset.build(db))
        print(f"loaded in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        exported, export_mb = in_child("export", str(db), folder)
        print(
            f"export: {exported['seconds']:.1f} s, {exported['bytes'] / 1e6:.1f} MB file, peak RSS {export_mb:.0f} MB"
        )
        bare, bare_mb = in_child("bare", folder)
        print(f"bare writer: {bare['seconds']:.1f} s, {bare['bytes'] / 1e6:.1f} MB file, peak RSS {bare_mb:.0f} MB")
    ratio = exported["seconds"] / bare["seconds"]
    ok = ratio <= 1.2 and export_mb < 100
    print(f"targets (export within 1.2x of the bare writer, peak RSS < 100 MB): {'met' if ok else 'MISSED'}")
    print(
        f"export: {exported['seconds']:.1f} s export, {bare['seconds']:.1f} s bare writer, {ratio:.2f}x, "
        f"{export_mb:.0f} MB peak RSS, {bare['rows']} rows"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="database file to build once and reuse (default: a temp dir)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = (
            asyncio.run(child_export(Path(rest[0]), Path(rest[1]))) if kind == "export" else child_bare(Path(rest[0]))
        )
        print(json.dumps(result))
        return
    if args.keep:
        run(args.keep, build=not args.keep.exists())
        return
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder) / "bench.db", build=True)


if __name__ == "__main__":
    main()
