"""Execution-control benchmark: the region view and «Кто отстаёт» of one resolution addressed to 40,000
schools × 20 items (800,000 assignments) on SQLite, dataset from benchmarks/_execution_data.py.

    python benchmarks/progress.py [--keep PATH]

Prints the median of five runs of each (after a warm-up run) and a municipality view and a school view
for scale. Targets: region view and laggards under 300 ms each.
The last line is the summary: `progress: <N> ms region view, <M> ms laggards, 800000 assignments`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import _execution_data as dataset  # noqa: E402 - the sibling module: this folder is the script's path
from sqlalchemy import func, select  # noqa: E402 - after the path fix-up, so the script runs from anywhere

from models import execution  # noqa: E402
from models.db import create_engine, create_session_factory  # noqa: E402
from models.entities import Assignment  # noqa: E402

RUNS = 5


async def timed(call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    await call()  # warm-up: page cache, prepared statements
    times: list[float] = []
    result: Any = None
    for _ in range(RUNS):
        started = time.perf_counter()
        result = await call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, result


async def run(path: Path, *, build: bool) -> None:
    if build:
        started = time.perf_counter()
        await dataset.build(path)
        print(f"loaded in {time.perf_counter() - started:.1f} s")
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    factory = create_session_factory(engine)
    rid, today = dataset.RESOLUTION_ID, dataset.TODAY
    async with factory() as session:
        total = await session.scalar(select(func.count()).select_from(Assignment)) or 0
        region_ms, view = await timed(lambda: execution.region_view(session, rid, today))
        t = view.total
        ko = f"{t.ko:.1f} %" if t.ko is not None else "—"
        print(
            f"region view: {region_ms:.0f} ms, {len(view.rows)} rows; total {t.items} items, {t.overdue} overdue, "
            f"{t.no_answer} no answer, {t.not_connected} of {t.organisations} organisations not connected, Ко {ko}"
        )
        lag_ms, worst = await timed(lambda: execution.laggards(session, rid, today))
        print(f"laggards: {lag_ms:.0f} ms; worst: {worst[0]}")
        muni_ms, muni = await timed(lambda: execution.municipality_view(session, rid, 1, today))
        print(f"municipality view: {muni_ms:.0f} ms, {len(muni.rows)} rows")
        school = dataset.FIRST_SCHOOL + 1
        school_ms, items = await timed(lambda: execution.school_view(session, rid, school, today))
        print(f"school view: {school_ms:.1f} ms, {len(items)} items")
    await engine.dispose()
    ok = region_ms < 300 and lag_ms < 300
    print(f"targets (region view < 300 ms, laggards < 300 ms): {'met' if ok else 'MISSED'}")
    print(f"progress: {region_ms:.0f} ms region view, {lag_ms:.0f} ms laggards, {total} assignments")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="database file to build once and reuse (default: a temp dir)")
    args = parser.parse_args()
    if args.keep:
        asyncio.run(run(args.keep, build=not args.keep.exists()))
        return
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(Path(folder) / "bench.db", build=True))


if __name__ == "__main__":
    main()
