"""Benchmark: import a directory of 5,000 schools across 30 municipalities, then import it again.

Run from the repository root: `python benchmarks/directory_import.py` (no arguments). Everything happens in
a temporary folder; the last line of the output is the summary.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

SCHOOLS = 5000
MUNICIPALITIES = 30


def write_directory(path: Path) -> None:
    lines = [
        "code;kind;name;municipality_code",
        "region;регион;Департамент Смоленской области по образованию и науке;",
        "soiro;институт;ГАУ ДПО «Смоленский областной институт развития образования»;",
        "smolgu;партнёр;ФГБОУ ВО «Смоленский государственный университет»;",
    ]
    lines += [f"mo-{m:02d};муниципалитет;Муниципальный округ № {m} Смоленской области;" for m in range(MUNICIPALITIES)]
    lines += [
        f"sch-{n:05d};школа;МБОУ «Средняя школа № {n // MUNICIPALITIES + 1}» округа № {n % MUNICIPALITIES};"
        f"mo-{n % MUNICIPALITIES:02d}"
        for n in range(SCHOOLS)
    ]
    # What Excel saves: Windows-1251, semicolons, CRLF.
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))


async def run(folder: Path) -> tuple[float, float]:
    from models import migrate
    from models.db import create_engine, create_session_factory
    from models.directory import import_file

    csv_path = folder / "organisations.csv"
    write_directory(csv_path)
    engine = create_engine(f"sqlite+aiosqlite:///{folder / 'bench.db'}")
    try:
        await migrate.upgrade(engine)
        factory = create_session_factory(engine)
        async with factory() as session:
            started = time.perf_counter()
            first = await import_file(session, csv_path)
            first_s = time.perf_counter() - started
        print(f"first import: {len(first.added)} added, {len(first.rejected)} rejected in {first_s:.2f} s")
        assert not first.rejected, first.rejected[:3]
        assert len(first.added) == SCHOOLS + MUNICIPALITIES + 3
        async with factory() as session:
            started = time.perf_counter()
            again = await import_file(session, csv_path)
            again_s = time.perf_counter() - started
        print(
            f"re-import: {len(again.added)} added, {len(again.changed)} changed, "
            f"{again.unchanged} unchanged in {again_s:.2f} s"
        )
        assert (len(again.added), len(again.changed), len(again.rejected)) == (0, 0, 0)
        return first_s, again_s
    finally:
        await engine.dispose()


def main() -> int:
    root = Path(__file__).resolve().parents[1]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))  # run as a plain script from a checkout
    with tempfile.TemporaryDirectory(prefix="adresat-bench-") as folder:
        first_s, again_s = asyncio.run(run(Path(folder)))
    print(f"directory_import: {first_s:.2f} s first import, {again_s:.2f} s re-import, {SCHOOLS} schools")
    return 0


if __name__ == "__main__":
    sys.exit(main())
