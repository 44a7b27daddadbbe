"""Reminder planner benchmark: 40,000 schools × 20 open items (800,000 assignments) on SQLite.

    python benchmarks/reminders.py

Prints the time of one tick with nothing due (median of several), one tick with 1,000 assignments due in
1,000 schools (planning only: messages, next times, outbox rows; nothing is sent; median of three rounds)
and one weekly digest run over every member. Targets: idle tick < 100 ms, 1,000-due tick < 1 s.
The last line is the summary: `reminders: <figure> <unit>, ...`.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402 - after the path fix-up, so the script runs from anywhere
from sqlalchemy import Table, create_engine, func, insert, select, text, update  # noqa: E402

from bot.app import domain_config  # noqa: E402
from bot.settings import Settings  # noqa: E402
from models import migrate  # noqa: E402
from models import reminders as planner  # noqa: E402
from models.db import create_engine as create_async_engine  # noqa: E402
from models.db import create_session_factory  # noqa: E402
from models.entities import (  # noqa: E402
    Addressee,
    Assignment,
    Delivery,
    Member,
    Organisation,
    Recommendation,
    Resolution,
)

SCHOOLS = 40_000
MUNICIPALITIES = 40
ITEMS = 20  # per school: 12 with a due date, 2 with a start date, 2 quarterly, 4 without dates
DUE_PER_TICK = 1_000
ROUNDS = 3
MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 5, 20, 10, 0, 30, tzinfo=MSK).astimezone(UTC).replace(tzinfo=None)  # a Wednesday
DIGEST_AT = datetime(2026, 5, 25, 10, 0, 30, tzinfo=MSK).astimezone(UTC).replace(tzinfo=None)  # Monday
CREATED = datetime(2026, 4, 1, 9, 0)  # naive UTC, as in the database


def table(entity: Any) -> Table:
    found: Table = entity.__table__
    return found


def recommendations() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for n in range(ITEMS):
        row: dict[str, Any] = {"id": n + 1, "addressee_id": 1, "position": n, "recurring": False}
        row |= {"due": None, "starts": None, "period": None}
        row["text"] = f"Рекомендация {n + 1}: обеспечить выполнение мероприятий дорожной карты " * 2
        if n < 12:
            row["due"] = date(2026, 5, 20) + timedelta(days=(n - 4) * 5)  # from 20 days overdue to 35 ahead
        elif n < 14:
            row["starts"] = date(2026, 6, 1) + timedelta(days=(n - 12) * 31)
        elif n < 16:
            row |= {"recurring": True, "period": "ежеквартально"}
        rows.append(row)
    return rows


def load(url: str) -> None:
    """Bulk insert with Core executemany over a plain (sync) connection: seconds, not minutes."""
    engine = create_engine(url)
    recs = recommendations()
    with engine.begin() as conn:
        conn.execute(
            insert(table(Organisation)),
            [
                {
                    "id": m,
                    "kind": "municipality",
                    "name": f"Муниципалитет {m}",
                    "name_folded": "",
                    "created_at": CREATED,
                }
                for m in range(1, MUNICIPALITIES + 1)
            ],
        )
        first_school = MUNICIPALITIES + 1
        conn.execute(
            insert(table(Organisation)),
            [
                {
                    "id": first_school + s,
                    "kind": "school",
                    "name": f"МБОУ «Средняя школа № {s + 1}»",
                    "name_folded": "",
                    "municipality_id": 1 + s % MUNICIPALITIES,
                    "created_at": CREATED,
                }
                for s in range(SCHOOLS)
            ],
        )
        members = [
            {
                "user_id": 10_000_000 + org,
                "full_name": f"Участник {org}",
                "organisation_id": org,
                "role": "school" if org > MUNICIPALITIES else "municipality",
                "approval": "approved",
                "active": True,
                "created_at": CREATED,
            }
            for org in range(1, first_school + SCHOOLS)
        ]
        conn.execute(insert(table(Member)), members)
        conn.execute(
            insert(table(Resolution)),
            [
                {
                    "id": 1,
                    "title": "Резолюция августовского педагогического совещания",
                    "content_hash": "bench",
                    "state": "published",
                    "created_by": 1,
                    "created_at": CREATED,
                    "published_at": CREATED,
                }
            ],
        )
        conn.execute(
            insert(table(Addressee)),
            [{"id": 1, "resolution_id": 1, "position": 0, "heading": "Школам", "roles": ["school"], "skipped": False}],
        )
        conn.execute(insert(table(Recommendation)), recs)
        # Every dated item has a reminder planned somewhere in the next weeks, none due yet.
        rows: list[dict[str, Any]] = []
        for s in range(SCHOOLS):
            for n, rec in enumerate(recs):
                undated = rec["due"] is None and rec["starts"] is None and not rec["recurring"]
                rows.append(
                    {
                        "recommendation_id": rec["id"],
                        "organisation_id": first_school + s,
                        "status": "new",
                        "due": rec["due"],
                        "next_reminder_at": None if undated else NOW + timedelta(hours=1 + (s * ITEMS + n) % 700),
                        "updated_at": CREATED,
                    }
                )
            if len(rows) >= 50_000:
                conn.execute(insert(table(Assignment)), rows)
                rows = []
        if rows:
            conn.execute(insert(table(Assignment)), rows)
    engine.dispose()


async def make_due(factory: Any, round_no: int) -> None:
    """1,000 dated items in 1,000 different schools become due now, none reminded before."""
    async with factory() as session:
        ids = []
        for k in range(DUE_PER_TICK):
            school = MUNICIPALITIES + 1 + (round_no * DUE_PER_TICK + k) * 7 % SCHOOLS
            rec = 1 + (k % 6)  # 20, 15, 10, 5 days overdue (the first three escalate), due today, in 5 days
            ids.append((school, rec))
        for school, rec in ids:
            await session.execute(
                update(Assignment)
                .where(Assignment.organisation_id == school, Assignment.recommendation_id == rec)
                .values(next_reminder_at=NOW - timedelta(minutes=1), last_reminder_at=None, escalated_at=None)
            )
        await session.commit()


async def main() -> None:
    settings = domain_config(
        Settings(bot_token=SecretStr("123456:BENCH"), admin_ids=frozenset({1}), _env_file=None)
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
        await migrate.upgrade(engine)
        started = time.perf_counter()
        load(f"sqlite:///{path}")
        loaded = time.perf_counter() - started
        factory = create_session_factory(engine)
        async with factory() as session:
            await session.execute(text("ANALYZE"))
            await session.commit()
            total = await session.scalar(select(func.count()).select_from(Assignment))
        print(f"loaded {total} assignments in {loaded:.1f} s ({path.stat().st_size / 1e6:.0f} MB)")

        await planner.tick(factory, settings, NOW)  # warm-up: caches, holidays, prepared statements
        idle: list[float] = []
        for _ in range(7):
            started = time.perf_counter()
            result = await planner.tick(factory, settings, NOW)
            idle.append(time.perf_counter() - started)
            assert result.due == 0
        idle_ms = statistics.median(idle) * 1000
        print(f"idle tick: median {idle_ms:.2f} ms of {len(idle)} (min {min(idle) * 1000:.2f} ms)")

        busy: list[float] = []
        for round_no in range(ROUNDS):
            await make_due(factory, round_no)
            started = time.perf_counter()
            result = await planner.tick(factory, settings, NOW)
            busy.append(time.perf_counter() - started)
            print(f"tick with {DUE_PER_TICK} due: {busy[-1] * 1000:.0f} ms ({result})")
            assert result.due == DUE_PER_TICK
        busy_ms = statistics.median(busy) * 1000

        started = time.perf_counter()
        digest = await planner.digest_run(factory, settings, DIGEST_AT)
        digest_s = time.perf_counter() - started
        async with factory() as session:
            queued = await session.scalar(select(func.count()).select_from(Delivery))
        print(f"digest run: {digest_s:.2f} s ({digest}); outbox rows in total: {queued}")
        await engine.dispose()

    ok = idle_ms < 100 and busy_ms < 1000
    print(f"targets (idle < 100 ms, 1000 due < 1 s): {'met' if ok else 'MISSED'}")
    print(
        f"reminders: {idle_ms:.1f} ms idle tick, {busy_ms:.0f} ms tick with {DUE_PER_TICK} due, "
        f"{digest_s:.1f} s digest run, {total} assignments"
    )


if __name__ == "__main__":
    asyncio.run(main())
