"""Shared dataset for the execution-control benchmarks: 40,000 schools in 40 municipalities, each addressed
with the 20 items of one published resolution (800,000 assignments), with members, status reports, closing
times and a few approved extensions.

Loaded like benchmarks/reminders.py: Core executemany over a plain (sync) connection into a migrated SQLite
file, which takes seconds instead of the minutes ORM objects would.

Shape (deterministic, so figures are comparable between runs):
- every tenth school has no approved active member (not connected) and all its items are `new`;
- the others spread their items over all statuses; accepted items close a few days before or after the due
  date, so there are both on-time and late closings;
- 12 of the 20 items have a due date, from 20 days overdue to 35 days ahead of TODAY; one item in fifty of
  those got an approved extension of two weeks;
- every item past `new` has one status report by the school's member, a third of them with a comment.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Table, create_engine, insert  # noqa: E402 - after the path fix-up

from models import migrate  # noqa: E402
from models.db import create_engine as create_async_engine  # noqa: E402
from models.entities import (  # noqa: E402
    Addressee,
    Assignment,
    ExtensionRequest,
    Member,
    Organisation,
    Recommendation,
    Resolution,
    StatusReport,
)

SCHOOLS = 40_000
MUNICIPALITIES = 40
ITEMS = 20
RESOLUTION_ID = 1
TODAY = date(2026, 5, 20)
CREATED = datetime(2026, 4, 1, 9, 0)  # naive UTC, as in the database
FIRST_SCHOOL = MUNICIPALITIES + 1
BATCH = 50_000
# Status by (school, item) hash: a tenth each new / acknowledged / not started, a fifth in progress, a tenth
# done (waiting for review), a twentieth blocked, the rest accepted.
_SPREAD = ["new"] * 2 + ["acknowledged"] * 2 + ["not_started"] * 2 + ["in_progress"] * 4
_SPREAD += ["done"] * 2 + ["blocked"] * 1 + ["accepted"] * 7


def table(entity: Any) -> Table:
    found: Table = entity.__table__
    return found


def connected(school: int) -> bool:
    # Schools are dealt to municipalities round-robin: every tenth school *of each municipality* is out.
    return (school // MUNICIPALITIES) % 10 != 0


def status_for(school: int, item: int) -> str:
    if not connected(school):
        return "new"
    return _SPREAD[(school * 7 + item * 3) % len(_SPREAD)]


def recommendations() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for n in range(ITEMS):
        due = TODAY + timedelta(days=(n - 4) * 5) if n < 12 else None
        rows.append(
            {
                "id": n + 1,
                "addressee_id": 1,
                "position": n,
                "text": f"Рекомендация {n + 1}: обеспечить выполнение мероприятий дорожной карты " * 2,
                "due": due,
                "starts": None,
                "recurring": False,
                "period": None,
            }
        )
    return rows


def _organisations() -> Iterator[dict[str, Any]]:
    for m in range(1, MUNICIPALITIES + 1):
        name = f"Муниципалитет {m:02d}"
        yield {"id": m, "kind": "municipality", "name": name, "name_folded": "", "municipality_id": None} | {
            "created_at": CREATED
        }
    for s in range(SCHOOLS):
        yield {
            "id": FIRST_SCHOOL + s,
            "kind": "school",
            "name": f"МБОУ «Средняя школа № {s + 1}»",
            "name_folded": "",
            "municipality_id": 1 + s % MUNICIPALITIES,
            "created_at": CREATED,
        }


def _members() -> Iterator[dict[str, Any]]:
    for org in range(1, FIRST_SCHOOL + SCHOOLS):
        school = org - FIRST_SCHOOL
        yield {
            "id": org,  # one member per organisation: member id = organisation id keeps the reports simple
            "user_id": 10_000_000 + org,
            "full_name": f"Иванова Мария Петровна {org}",
            "organisation_id": org,
            "role": "school" if school >= 0 else "municipality",
            # Not connected: a pending request and a member who blocked the bot, both count as no member.
            "approval": "approved" if school < 0 or connected(school) or school % 2 == 0 else "pending",
            "active": school < 0 or connected(school) or school % 2 != 0,
            "created_at": CREATED,
        }


def _batched(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def load(url: str) -> None:
    """Fill a migrated, empty database (sync URL, e.g. sqlite:///path)."""
    engine = create_engine(url)
    recs = recommendations()
    with engine.begin() as conn:
        for rows in _batched(_organisations()):
            conn.execute(insert(table(Organisation)), rows)
        for rows in _batched(_members()):
            conn.execute(insert(table(Member)), rows)
        conn.execute(
            insert(table(Resolution)),
            [
                {
                    "id": RESOLUTION_ID,
                    "title": "Резолюция августовского педагогического совещания",
                    "date": date(2026, 3, 25),
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
        assignments: list[dict[str, Any]] = []
        reports: list[dict[str, Any]] = []
        extensions: list[dict[str, Any]] = []
        assignment_id = 0
        for s in range(SCHOOLS):
            org = FIRST_SCHOOL + s
            for n, rec in enumerate(recs):
                assignment_id += 1
                status = status_for(s, n)
                due: date | None = rec["due"]
                if due is not None and (s + n) % 50 == 0:
                    due += timedelta(days=14)
                    extensions.append(
                        {
                            "assignment_id": assignment_id,
                            "member_id": org,
                            "new_due": due,
                            "reason": "Перенос сроков поставки оборудования",
                            "state": "approved",
                            "decided_by": 1,
                            "created_at": CREATED + timedelta(days=5),
                        }
                    )
                closed_at = None
                if status == "accepted":
                    base = datetime.combine(due, datetime.min.time()) if due else CREATED + timedelta(days=10)
                    closed_at = base + timedelta(days=(s + n) % 7 - 4, hours=12)
                assignments.append(
                    {
                        "id": assignment_id,
                        "recommendation_id": rec["id"],
                        "organisation_id": org,
                        "status": status,
                        "due": due,
                        "next_reminder_at": None,
                        "updated_at": CREATED,
                        "closed_at": closed_at,
                    }
                )
                if status != "new":
                    reports.append(
                        {
                            "assignment_id": assignment_id,
                            "member_id": org,
                            "author_id": 10_000_000 + org,
                            "created_at": closed_at or CREATED + timedelta(days=3 + n % 10, hours=s % 9),
                            "status": status,
                            "comment": "Работа ведётся по плану, ответственный назначен" if n % 3 == 0 else None,
                        }
                    )
            if len(assignments) >= BATCH:
                conn.execute(insert(table(Assignment)), assignments)
                conn.execute(insert(table(StatusReport)), reports)
                assignments, reports = [], []
        if assignments:
            conn.execute(insert(table(Assignment)), assignments)
            conn.execute(insert(table(StatusReport)), reports)
        conn.execute(insert(table(ExtensionRequest)), extensions)
        # No ANALYZE: the bot never runs it, so the query plans measured are the ones it gets.
    engine.dispose()


async def build(path: Path) -> None:
    """Migrate a new SQLite file at `path` and load the dataset into it."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    load(f"sqlite:///{path}")
