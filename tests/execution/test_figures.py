"""Execution figures on the hand-built resolution of tests/execution/data.py (worked out in its table)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import execution, migrate
from models.db import create_engine
from models.entities import Status
from models.execution import REGIONAL_LEVEL, Figures
from tests.dbutil import migrated_db
from tests.execution.data import EXTENDED, TODAY, Ids, build


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], Ids]]:
    async with migrated_db(database_url) as (_engine, factory):
        async with factory() as session:
            ids = await build(session)
        yield factory, ids


Db = tuple[async_sessionmaker[AsyncSession], Ids]

VYAZMA = Figures(
    organisations=4,
    connected=2,
    new=5,
    in_progress=2,
    done=1,
    blocked=1,
    accepted=3,
    no_answer=1,  # v2's item 2; the other four `new` are in v3 and v4, which have no member
    not_connected_items=4,
    overdue=4,  # v2 r1 (19 days), v3 r1 (19), v3 r2 (5), v4 r2 (5)
    overdue_days=48,
    due_so_far=7,  # the 4 overdue + 3 closed with a due date
    closed_on_time=2,  # v1 r1 (28.02 ≤ 01.03) and v4 r1 (01.03 23:30, same day)
)


async def test_region_view_by_hand(db: Db) -> None:
    factory, ids = db
    async with factory() as session:
        view = await execution.region_view(session, ids.resolution, TODAY)
    assert [r.name for r in view.rows] == ["Вяземский район", "Гагаринский округ", REGIONAL_LEVEL]
    vyazma, gagarin, regional = view.rows
    assert vyazma.key == ids.orgs["V"]
    assert vyazma.figures == VYAZMA
    assert vyazma.figures.closed_late == 1  # v1 r2: closed 16.03, due 15.03
    assert vyazma.figures.ko == pytest.approx(200 / 7)
    assert vyazma.figures.avg_days_overdue == 12
    assert vyazma.figures.not_connected == 2
    assert vyazma.figures.items == 12
    assert gagarin.figures == Figures(
        organisations=1,
        connected=1,
        new=1,
        not_started=1,
        accepted=1,
        no_answer=1,
        overdue=2,
        overdue_days=24,
        due_so_far=2,  # r3 is closed but has no due date: not due
        closed_on_time=0,
    )
    assert gagarin.figures.ko == 0
    # R's item closed two days late; the municipality V's own item sits at the regional level too.
    assert regional.key is None
    assert regional.figures == Figures(
        organisations=2, connected=2, acknowledged=1, accepted=1, due_so_far=1, closed_on_time=0
    )
    assert regional.figures.closed_late == 1
    assert regional.figures.avg_days_overdue is None
    total = view.total
    assert (total.organisations, total.connected, total.items) == (7, 5, 17)
    assert (total.overdue, total.overdue_days, total.due_so_far, total.closed_on_time, total.closed_late) == (
        6,
        72,
        10,
        2,
        2,
    )
    assert total.ko == 20
    assert sum(total.buckets()) == total.items
    assert total.buckets() == (5, 3, 1, 4, 4)  # closed, in work (2 + done), blocked, 2 new + ack + n/s, no member


async def test_before_any_due_date_only_closed_items_are_due(db: Db) -> None:
    factory, ids = db
    async with factory() as session:
        view = await execution.region_view(session, ids.resolution, date(2025, 2, 1))
    assert view.total.overdue == 0
    assert view.total.due_so_far == 4  # closed with a due date count whatever the day
    gagarin = view.rows[1]
    assert (gagarin.figures.due_so_far, gagarin.figures.ko) == (0, None)  # g1 closed only an item without due


async def test_municipality_view_is_per_school_with_own_organisation_first(db: Db) -> None:
    factory, ids = db
    async with factory() as session:
        view = await execution.municipality_view(session, ids.resolution, ids.orgs["V"], TODAY)
    keys = [r.key for r in view.rows]
    assert keys[0] == ids.orgs["V"]
    assert set(keys) == {ids.orgs[c] for c in ("V", "v1", "v2", "v3", "v4")}
    assert ids.orgs["g1"] not in keys
    assert ids.orgs["R"] not in keys
    by_key = {r.key: r.figures for r in view.rows}
    v1 = by_key[ids.orgs["v1"]]
    assert (v1.due_so_far, v1.closed_on_time, v1.closed_late, v1.ko) == (2, 1, 1, 50)
    v3 = by_key[ids.orgs["v3"]]
    assert (v3.connected, v3.no_answer, v3.not_connected_items, v3.overdue_days) == (0, 0, 3, 24)
    assert view.total == VYAZMA + Figures(organisations=1, connected=1, acknowledged=1)


async def test_laggards_worst_first_and_scoped(db: Db) -> None:
    factory, ids = db
    async with factory() as session:
        region = await execution.laggards(session, ids.resolution, TODAY)
        officer = await execution.laggards(session, ids.resolution, TODAY, municipality_id=ids.orgs["G"])
        vyazma = await execution.laggards(session, ids.resolution, TODAY, municipality_id=ids.orgs["V"])
    name = {v: k for k, v in ids.orgs.items()}
    # 19 days for v3, g1, v2; then more overdue items first; v4 only 5 days.
    assert [name[lag.organisation_id] for lag in region] == ["v3", "g1", "v2", "v4"]
    v3, g1, v2, v4 = region
    assert (v3.max_days_overdue, v3.overdue, v3.no_answer, v3.not_connected_items, v3.connected) == (
        19,
        2,
        0,
        3,
        False,
    )
    assert (g1.max_days_overdue, g1.overdue, g1.no_answer, g1.connected) == (19, 2, 1, True)
    assert (v2.overdue, v2.no_answer) == (1, 1)
    assert (v4.max_days_overdue, v4.overdue, v4.not_connected_items) == (5, 1, 1)
    assert [name[lag.organisation_id] for lag in officer] == ["g1"]
    assert {name[lag.organisation_id] for lag in vyazma} == {"v2", "v3", "v4"}


async def test_school_view_numbers_items_as_in_the_resolution(db: Db) -> None:
    factory, ids = db
    async with factory() as session:
        v1 = await execution.school_view(session, ids.resolution, ids.orgs["v1"], TODAY)
        v2 = await execution.school_view(session, ids.resolution, ids.orgs["v2"], TODAY)
        region = await execution.school_view(session, ids.resolution, ids.orgs["R"], TODAY)
    assert [(i.number, i.text, i.status) for i in v1] == [
        ("1", "Провести педсовет", Status.ACCEPTED),
        ("2", "Обновить сайт", Status.ACCEPTED),
        ("3", "Вести мониторинг", Status.IN_PROGRESS),
    ]
    first = v1[0]
    assert (first.last_report_at, first.reported_by, first.comment) == (
        datetime(2025, 2, 28, 10, 0),
        "Сотрудник v1",
        "Принято",
    )
    assert v1[1].last_report_at is None
    assert v1[1].reported_by is None
    assert [i.days_overdue for i in v2] == [19, 0, 0]
    assert (v2[1].original_due, v2[1].due) == (date(2025, 3, 15), EXTENDED)
    assert [(i.number, i.municipality) for i in region] == [("1", REGIONAL_LEVEL)]


async def test_resolution_list_is_paged_and_scoped(db: Db) -> None:
    factory, ids = db
    async with factory() as session:
        page = await execution.resolutions(session, TODAY, limit=5)
        officer = await execution.resolutions(session, TODAY, municipality_id=ids.orgs["G"])
        empty = await execution.resolutions(session, TODAY, offset=5)
    assert page.total == 1
    assert len(page.items) == 1
    assert page.items[0].figures.items == 17
    assert page.items[0].figures.ko == 20
    assert officer.items[0].figures.items == 3  # g1's only
    assert empty.total == 1
    assert empty.items == ()


async def test_summary_counts_an_organisation_once_across_resolutions(db: Db) -> None:
    factory, ids = db
    async with factory() as session:
        once = await execution.summary(session, [ids.resolution], TODAY)
        twice = await execution.summary(session, [ids.resolution, ids.resolution], TODAY)
        officer = await execution.summary(session, [ids.resolution], TODAY, municipality_id=ids.orgs["V"])
    assert once.total.items == 17
    assert twice.total.items == 34  # items add up…
    assert twice.total.organisations == 7  # …organisations do not
    assert {r.key for r in officer.rows} == {ids.orgs[c] for c in ("V", "v1", "v2", "v3", "v4")}


async def test_migration_backfills_closed_at_from_the_latest_acceptance(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, "0002")
        async with engine.begin() as conn:
            for sql in (
                "INSERT INTO organisation (id, kind, name, name_folded, created_at) "
                "VALUES (1, 'school', 'Школа', '', '2025-01-01 00:00:00')",
                "INSERT INTO resolution (id, title, content_hash, state, created_by, created_at) "
                "VALUES (1, 'Р', 'h', 'published', 1, '2025-01-01 00:00:00')",
                "INSERT INTO addressee (id, resolution_id, position, heading, roles, skipped) "
                "VALUES (1, 1, 0, 'Школам', '[]', false)",
                "INSERT INTO recommendation (id, addressee_id, position, text, recurring) "
                "VALUES (1, 1, 0, 'a', false), (2, 1, 1, 'b', false), (3, 1, 2, 'c', false)",
                "INSERT INTO assignment (id, recommendation_id, organisation_id, status, updated_at) VALUES "
                "(1, 1, 1, 'accepted', '2025-03-09 00:00:00'), (2, 2, 1, 'accepted', '2025-03-08 00:00:00'), "
                "(3, 3, 1, 'in_progress', '2025-03-07 00:00:00')",
                "INSERT INTO status_report (assignment_id, author_id, created_at, status) VALUES "
                "(1, 1, '2025-03-01 10:00:00', 'accepted'), (1, 1, '2025-03-03 10:00:00', 'in_progress'), "
                "(1, 1, '2025-03-05 10:00:00', 'accepted'), (3, 1, '2025-03-06 10:00:00', 'accepted')",
            ):
                await conn.execute(text(sql))
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, closed_at FROM assignment ORDER BY id"))).all()
        closed = {i: (v if isinstance(v, datetime) else datetime.fromisoformat(v)) if v else None for i, v in rows}
        # The latest acceptance (after a reopening); no report: the last update; reopened since: open.
        assert closed == {1: datetime(2025, 3, 5, 10, 0), 2: datetime(2025, 3, 8, 0, 0), 3: None}
    finally:
        await engine.dispose()
