"""The planner against a real migrated SQLite database, with an injected `now` (no clock, no sleeps)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import reminders as planner
from models.config import Config
from models.entities import (
    Addressee,
    Approval,
    Assignment,
    Delivery,
    Member,
    Organisation,
    Recommendation,
    Resolution,
    ResolutionState,
    Snooze,
    Status,
)
from models.rules import RuleConfig
from tests.dbutil import migrated_db
from ui.callbacks import SnoozeCb
from ui.render import OutMessage, Renderer

MSK = ZoneInfo("Europe/Moscow")
ADMINS = frozenset({900, 901})
PUBLISHED = datetime(2026, 4, 20, 9, 0)  # naive UTC: 12:00 in Moscow
DUE = date(2026, 5, 20)  # a Wednesday


def msk(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """Moscow wall-clock time as naive UTC."""
    return datetime(year, month, day, hour, minute, second, tzinfo=MSK).astimezone(UTC).replace(tzinfo=None)


@pytest.fixture
def settings() -> Config:
    """The documented defaults; reminders fire at 10:00 in the default zone (Moscow)."""
    return Config(admin_ids=ADMINS)


@dataclass
class World:
    factory: async_sessionmaker[AsyncSession]
    settings: Config
    school_members: tuple[int, int]  # member ids of the school's two approved, active members
    officer: int
    assignments: list[int]  # the school's, in item order
    partner_assignments: list[int]


Item = dict[str, Any]
THREE_DATED: list[Item] = [{"text": f"Пункт {n} о сроках", "due": DUE} for n in (1, 2, 3)]


async def build(factory: async_sessionmaker[AsyncSession], settings: Config, items: list[Item]) -> World:
    """A municipality with an officer, one of its schools with members, a partner; one published resolution."""
    async with factory() as session:
        municipality = Organisation(kind="municipality", name="Управление образования Велижского района")
        school = Organisation(kind="school", name="МБОУ «Средняя школа № 1»", municipality=municipality)
        partner = Organisation(kind="partner", name="Фонд «Партнёр»")
        session.add_all([municipality, school, partner])
        await session.flush()

        def member(user_id: int, org: Organisation, **extra: Any) -> Member:
            fields: dict[str, Any] = {"approval": Approval.APPROVED, "active": True} | extra
            return Member(user_id=user_id, full_name=f"u{user_id}", organisation_id=org.id, role=org.kind, **fields)

        first, second = member(101, school), member(102, school)
        officer = member(201, municipality)
        others = [member(103, school, approval=Approval.PENDING), member(104, school, active=False)]
        session.add_all([first, second, officer, *others, member(301, partner)])
        resolution = Resolution(
            title="Резолюция августовского совещания",
            content_hash="x",
            state=ResolutionState.PUBLISHED,
            created_by=900,
            published_at=PUBLISHED,
        )
        addressee = Addressee(position=0, heading="Школам и партнёрам", roles=["school", "partner"])
        addressee.recommendations = [
            Recommendation(
                position=n,
                text=item["text"],
                due=item.get("due"),
                starts=item.get("starts"),
                recurring=item.get("recurring", False),
                period=item.get("period"),
            )
            for n, item in enumerate(items)
        ]
        resolution.addressees.append(addressee)
        session.add(resolution)
        await session.flush()
        ours = [
            Assignment(recommendation_id=rec.id, organisation_id=school.id, status=Status.ACKNOWLEDGED, due=rec.due)
            for rec in addressee.recommendations
        ]
        theirs = [
            Assignment(recommendation_id=rec.id, organisation_id=partner.id, status=Status.ACKNOWLEDGED, due=rec.due)
            for rec in addressee.recommendations
        ]
        session.add_all(ours + theirs)
        await session.flush()
        await planner.plan_assignments(session, [a.id for a in ours + theirs], PUBLISHED, settings.rules)
        await session.commit()
        return World(factory, settings, (first.id, second.id), officer.id, [a.id for a in ours], [a.id for a in theirs])


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with migrated_db(database_url) as (_engine, factory):
        yield factory


async def deliveries(world: World) -> list[Delivery]:
    async with world.factory() as session:
        return list((await session.scalars(select(Delivery).order_by(Delivery.id))).all())


async def rows_for(world: World, member_id: int) -> list[Delivery]:
    return [d for d in await deliveries(world) if d.member_id == member_id]


async def next_times(world: World, ids: list[int]) -> list[datetime | None]:
    async with world.factory() as session:
        found = dict((await session.execute(select(Assignment.id, Assignment.next_reminder_at))).tuples().all())
        return [found[i] for i in ids]


async def rendered(world: World, row: Delivery) -> OutMessage:
    """The notice as the worker renders it when it goes out (at `not_before`)."""
    async with world.factory() as session:
        [message] = await Renderer(world.settings).render(session, [row], row.not_before or row.created_at)
    assert message is not None
    return message


async def text_of(world: World, row: Delivery) -> str:
    return (await rendered(world, row)).text


async def run(world: World, now: datetime) -> planner.TickResult:
    return await planner.tick(world.factory, world.settings, now)


async def test_plan_sets_the_first_reminder(db: async_sessionmaker[AsyncSession], settings: Config) -> None:
    world = await build(db, settings, [*THREE_DATED, {"text": "Без срока"}])
    # D-14 at 10:00 Moscow; the undated item waits for the weekly digest.
    assert await next_times(world, world.assignments) == [msk(2026, 5, 6, 10)] * 3 + [None]


async def test_one_message_per_member_per_run_and_no_repeat(
    db: async_sessionmaker[AsyncSession], settings: Config
) -> None:
    world = await build(db, settings, THREE_DATED)
    assert (await run(world, msk(2026, 5, 6, 9, 59))).queued == 0
    now = msk(2026, 5, 6, 10, 0, 20)
    result = await run(world, now)
    assert (result.queued, result.reminded) == (3, 9)  # two school members and one partner member, 3 items
    for member_id in world.school_members:
        (row,) = await rows_for(world, member_id)
        text = await text_of(world, row)
        assert all(f"Пункт {n} о сроках" in text for n in (1, 2, 3))
        assert "срок через 14 дней: 20 мая 2026 г." in text
        assert row.not_before == now  # 10:00 in Moscow: not quiet, a working day
        markup = (await rendered(world, row)).markup
        assert markup is not None
        buttons = [b for line in markup.inline_keyboard for b in line]
        datas = [b.callback_data or "" for b in buttons]
        snoozes = [SnoozeCb.unpack(data) for data in datas if data.startswith("snz1:")]
        assert [s.assignment_id for s in snoozes] == world.assignments
    assert await rows_for(world, 103) == []
    assert await rows_for(world, 104) == []
    # A second tick at the same moment (or a re-run after a crash) queues nothing more.
    assert (await run(world, now)).queued == 0
    assert len(await deliveries(world)) == 3
    assert await next_times(world, world.assignments) == [msk(2026, 5, 15, 10)] * 3


async def test_restart_after_a_day_of_downtime_sends_each_reminder_once(
    db: async_sessionmaker[AsyncSession], settings: Config
) -> None:
    world = await build(db, settings, THREE_DATED)
    await run(world, msk(2026, 5, 6, 10, 0, 30))
    # Down from before the D-3 reminder (15 May) until a day after the due date.
    back = msk(2026, 5, 21, 10, 0, 30)
    result = await run(world, back)
    assert result.queued == 3
    assert await run(world, back + timedelta(seconds=30)) == planner.TickResult()
    for member_id in world.school_members:
        assert len(await rows_for(world, member_id)) == 2
        assert "просрочено на 1 день" in await text_of(world, (await rows_for(world, member_id))[-1])
    assert await next_times(world, world.assignments) == [msk(2026, 5, 25, 10)] * 3


async def test_full_timeline_with_escalation_once_and_silence_after_acceptance(
    db: async_sessionmaker[AsyncSession], settings: Config
) -> None:
    world = await build(db, settings, THREE_DATED)
    runs: list[datetime] = []
    while True:
        planned = [t for t in await next_times(world, world.assignments + world.partner_assignments) if t]
        now = min(planned) + timedelta(seconds=30)
        if now > msk(2026, 6, 10):
            break
        await run(world, now)
        runs.append(now)
    rows = await deliveries(world)
    per_chat = Counter(d.chat_id for d in rows)
    member_runs = [msk(*d) + timedelta(seconds=30) for d in [(2026, 5, 6, 10), (2026, 5, 15, 10), (2026, 5, 19, 10)]]
    assert runs[:3] == member_runs
    # 5 days before or on the due date, 5 overdue (25, 28 May; 1, 4, 8 June): one message per run each.
    assert per_chat[101] == per_chat[102] == per_chat[301] == 9
    # 27 May (D+7) is an escalation-only moment: the officer (school) and both admins (partner), once.
    assert per_chat[201] == 1
    assert per_chat[900] == 1
    assert per_chat[901] == 1
    (escalation,) = [d for d in rows if d.chat_id == 201]
    assert "Просрочено на 7 дней и более" in (await text_of(world, escalation))
    assert "Средняя школа № 1" in (await text_of(world, escalation))
    assert "Пункт 3 о сроках" in (await text_of(world, escalation))
    assert escalation.not_before == msk(2026, 5, 27, 10, 0, 30)

    async with world.factory() as session:
        await session.execute(update(Assignment).values(status=Status.ACCEPTED))
        await session.commit()
    result = await run(world, msk(2026, 6, 11, 10, 1))
    assert (result.queued, result.cleared) == (0, 6)
    assert await next_times(world, world.assignments) == [None] * 3


async def test_escalation_skips_an_officer_on_vacation_and_reaches_the_admins(
    db: async_sessionmaker[AsyncSession], settings: Config
) -> None:
    world = await build(db, settings, THREE_DATED)
    async with world.factory() as session:
        await session.execute(update(Member).where(Member.id == world.officer).values(paused_until=date(2026, 6, 15)))
        # Only the school's items stay open: the partner's would reach the admins anyway.
        await session.execute(
            update(Assignment)
            .where(Assignment.id.in_(world.partner_assignments))
            .values(status=Status.ACCEPTED, next_reminder_at=None)
        )
        await session.commit()
    now = msk(2026, 5, 6, 10, 0, 30)
    while now <= msk(2026, 5, 28):
        await run(world, now)
        planned = [t for t in await next_times(world, world.assignments) if t]
        now = min(planned) + timedelta(seconds=30)
    chats = Counter(d.chat_id for d in await deliveries(world))
    assert chats[201] == 0  # the officer is away until 15 June
    assert chats[900] == chats[901] == 1
    (escalation,) = [d for d in await deliveries(world) if d.chat_id == 900]
    assert "Средняя школа № 1" in (await text_of(world, escalation))


async def test_done_waiting_for_review_is_not_reminded(
    db: async_sessionmaker[AsyncSession], settings: Config
) -> None:
    world = await build(db, settings, THREE_DATED)
    async with world.factory() as session:
        await session.execute(
            update(Assignment).where(Assignment.id == world.assignments[0]).values(status=Status.DONE)
        )
        await session.commit()
    await run(world, msk(2026, 5, 6, 10, 0, 30))
    (row,) = await rows_for(world, world.school_members[0])
    assert "Пункт 1" not in (await text_of(world, row))
    assert "Пункт 2" in (await text_of(world, row))
    assert (await next_times(world, world.assignments))[0] == msk(2026, 5, 15, 10)  # may be returned


async def test_withdrawn_resolution_is_cleared(db: async_sessionmaker[AsyncSession], settings: Config) -> None:
    world = await build(db, settings, THREE_DATED)
    async with world.factory() as session:
        await session.execute(update(Resolution).values(state=ResolutionState.WITHDRAWN))
        await session.commit()
    result = await run(world, msk(2026, 5, 6, 10, 0, 30))
    assert (result.queued, result.cleared) == (0, 6)
    assert await next_times(world, world.assignments) == [None] * 3


async def test_snooze_postpones_one_members_reminder_and_pause_suppresses(
    db: async_sessionmaker[AsyncSession], settings: Config
) -> None:
    world = await build(db, settings, THREE_DATED)
    first, second = world.school_members
    await run(world, msk(2026, 5, 6, 10, 0, 30))
    async with world.factory() as session:
        until = await planner.snooze(
            session, member_id=first, assignment_id=world.assignments[0], now=msk(2026, 5, 6, 10, 5), days=10
        )
        await session.execute(update(Member).where(Member.id == second).values(paused_until=date(2026, 5, 19)))
        await session.commit()
    assert until == msk(2026, 5, 16, 10, 5)  # a Saturday

    await run(world, msk(2026, 5, 15, 10, 0, 30))  # D-3
    assert await next_times(world, world.assignments) == [until, msk(2026, 5, 19, 10), msk(2026, 5, 19, 10)]
    texts = [(await text_of(world, d)) for d in await rows_for(world, first)]
    assert "Пункт 1" not in texts[-1]
    assert "Пункт 2" in texts[-1]
    assert len(await rows_for(world, second)) == 1  # on pause until 19 May: nothing new

    result = await run(world, until + timedelta(seconds=20))  # the snooze ends: that member, that item
    assert result.queued == 1
    last = (await rows_for(world, first))[-1]
    assert "Пункт 1" in (await text_of(world, last))
    assert "Пункт 2" not in (await text_of(world, last))
    assert last.not_before == msk(2026, 5, 18, 10, 5, 20)  # Saturday → Monday, same local time
    async with world.factory() as session:
        assert (await session.scalars(select(Snooze))).all() == []

    await run(world, msk(2026, 5, 19, 10, 0, 30))  # D-1: everyone, everything again
    for member_id in (first, second):
        latest = await text_of(world, (await rows_for(world, member_id))[-1])
        assert all(f"Пункт {n}" in latest for n in (1, 2, 3))


async def test_quiet_hours_and_time_zone_of_the_member(
    db: async_sessionmaker[AsyncSession], settings: Config
) -> None:
    world = await build(db, settings, THREE_DATED)
    async with world.factory() as session:
        await session.execute(
            update(Member)
            .where(Member.id == world.school_members[0])
            .values(timezone="Asia/Yekaterinburg", quiet_start=time(22, 0), quiet_end=time(13, 0))
        )
        await session.commit()
    await run(world, msk(2026, 5, 6, 10, 0, 30))  # 12:00:30 in Yekaterinburg: still quiet for this member
    (row,) = await rows_for(world, world.school_members[0])
    assert row.not_before == datetime(2026, 5, 6, 8, 0)  # 13:00 in Yekaterinburg


async def test_digest_weekly_with_at_most_one_catch_up(
    db: async_sessionmaker[AsyncSession], settings: Config
) -> None:
    world = await build(db, settings, [{"text": "Обновить сайт"}, {"text": "Провести собрание"}, *THREE_DATED])
    monday = msk(2026, 5, 25, 10, 0, 30)
    result = await planner.digest_run(world.factory, world.settings, monday)
    assert (result.members, result.queued) == (4, 3)  # the officer's municipality has no open items
    (row,) = await rows_for(world, world.school_members[0])
    assert row.key == f"dig:{world.school_members[0]}:2026-05-25"
    assert "Обновить сайт" in (await text_of(world, row))
    assert "Провести собрание" in (await text_of(world, row))
    assert "Пункт 1" not in (await text_of(world, row))  # dated items have their own reminders
    assert (await planner.digest_run(world.factory, world.settings, monday)).queued == 0
    assert (await planner.digest_run(world.factory, world.settings, msk(2026, 5, 28, 11))).queued == 0

    # Three weeks of downtime: on the way back, one digest each, not three.
    back = msk(2026, 6, 17, 15)
    assert (await planner.digest_run(world.factory, world.settings, back)).queued == 3
    assert (await planner.digest_run(world.factory, world.settings, back + timedelta(hours=1))).queued == 0
    assert len(await rows_for(world, world.school_members[0])) == 2
    assert (await planner.digest_run(world.factory, world.settings, msk(2026, 6, 22, 10, 1))).queued == 3


async def test_digest_skips_paused_members_until_they_are_back(
    db: async_sessionmaker[AsyncSession], settings: Config
) -> None:
    world = await build(db, settings, [{"text": "Обновить сайт"}])
    first = world.school_members[0]
    async with world.factory() as session:
        await session.execute(update(Member).where(Member.id == first).values(paused_until=date(2026, 5, 27)))
        await session.commit()
    await planner.digest_run(world.factory, world.settings, msk(2026, 5, 25, 10, 1))
    assert await rows_for(world, first) == []
    await planner.digest_run(world.factory, world.settings, msk(2026, 5, 27, 10, 1))  # back: one catch-up
    assert len(await rows_for(world, first)) == 1


async def test_due_query_is_an_index_range_scan(db: async_sessionmaker[AsyncSession]) -> None:
    async with db() as session:
        statement = planner.due_query(datetime(2026, 5, 6, 7, 0), 1000)
        compiled = statement.compile(session.bind, compile_kwargs={"literal_binds": True})
        if session.bind.dialect.name == "postgresql":
            # An empty table is always cheapest to scan whole; ask whether the index *can* serve the query.
            await session.execute(text("SET LOCAL enable_seqscan = off"))
            await session.execute(text("SET LOCAL enable_bitmapscan = off"))
            plan = (await session.execute(text(f"EXPLAIN {compiled}"))).scalars().all()
            details = " ".join(plan)
            assert "Index Scan using ix_assignment_due_reminders" in details
            assert "Sort" not in details  # the index gives the order
            return
        plan = (await session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))).all()
    details = " ".join(str(row[-1]) for row in plan)
    assert "USING INDEX ix_assignment_due_reminders (next_reminder_at<" in details
    assert "TEMP B-TREE" not in details  # no sort: the index gives the order


async def test_small_batches_never_split_a_members_reminder(
    db: async_sessionmaker[AsyncSession], settings: Config
) -> None:
    world = await build(db, settings, THREE_DATED)
    result = await planner.tick(world.factory, world.settings, msk(2026, 5, 6, 10, 0, 30), batch=1)
    assert (result.due, result.queued, result.batches) == (6, 3, 2)  # two organisations, one batch each
    for member_id in world.school_members:
        assert len(await rows_for(world, member_id)) == 1


async def set_member(world: World, member_id: int, **values: Any) -> None:
    async with world.factory() as session:
        await session.execute(update(Member).where(Member.id == member_id).values(**values))
        await session.commit()


async def test_a_reminder_held_over_the_weekend_reads_as_of_the_day_it_arrives(
    db: async_sessionmaker[AsyncSession], settings: Config
) -> None:
    """Rendered when sent: held from Friday evening to Monday, it counts the days from Monday."""
    world = await build(db, settings, THREE_DATED)
    first, second = world.school_members
    # 10:00 in Moscow is 19:00 in Kamchatka: quiet from 18:00, then a weekend.
    await set_member(world, first, timezone="Asia/Kamchatka", quiet_start=time(18, 0), quiet_end=time(9, 0))
    await run(world, msk(2026, 5, 6, 10, 0, 30))  # D-14
    await run(world, msk(2026, 5, 15, 10, 0, 30))  # D-3 falls on Sunday 17 May: Friday 15 May
    held = (await rows_for(world, first))[-1]
    monday_9_kamchatka = datetime(2026, 5, 18, 9, 0, tzinfo=ZoneInfo("Asia/Kamchatka"))
    assert held.not_before == monday_9_kamchatka.astimezone(UTC).replace(tzinfo=None)
    assert "срок через 2 дня: 20 мая 2026 г." in await text_of(world, held)
    on_time = (await rows_for(world, second))[-1]  # in Moscow it went on Friday
    assert "срок через 5 дней: 20 мая 2026 г." in await text_of(world, on_time)


async def test_a_catch_up_just_before_the_daily_slot_is_the_only_reminder_that_day(
    db: async_sessionmaker[AsyncSession], settings: Config
) -> None:
    world = await build(db, settings, THREE_DATED)
    first, _second = world.school_members
    await run(world, msk(2026, 5, 6, 10, 0, 30))  # D-14
    await run(world, msk(2026, 5, 15, 10, 0, 30))  # D-3 (moved to Friday)
    before = len(await rows_for(world, first))
    # Down from Monday evening until a minute before Wednesday's (the due day's) slot: D-1 was missed.
    await run(world, msk(2026, 5, 20, 9, 59))
    await run(world, msk(2026, 5, 20, 10, 0, 30))  # the due day's own slot
    await run(world, msk(2026, 5, 20, 10, 1))
    new = (await rows_for(world, first))[before:]
    assert len(new) == 1
    assert "срок сегодня" in await text_of(world, new[0])
    # The schedule goes on: the first overdue reminder three days later (Saturday → Monday 25 May).
    assert await next_times(world, world.assignments) == [msk(2026, 5, 25, 10)] * 3


async def test_reminders_come_at_ten_in_each_members_own_zone(db: async_sessionmaker[AsyncSession]) -> None:
    """The planner wakes at 10:00 in the eastmost zone; each member's copy waits for 10:00 where they are."""
    kamchatka = ZoneInfo("Asia/Kamchatka")
    config = Config(admin_ids=ADMINS, rules=RuleConfig(fire_zone=kamchatka))
    world = await build(db, config, THREE_DATED)
    first, second = world.school_members
    await set_member(world, first, timezone="Asia/Yekaterinburg")
    fire = datetime(2026, 5, 6, 10, 0, 30, tzinfo=kamchatka).astimezone(UTC).replace(tzinfo=None)  # D-14
    assert (await run(world, fire)).queued >= 2
    (yekaterinburg,) = await rows_for(world, first)
    (moscow,) = await rows_for(world, second)
    ten_there = datetime(2026, 5, 6, 10, 0, tzinfo=ZoneInfo("Asia/Yekaterinburg"))
    assert yekaterinburg.not_before == ten_there.astimezone(UTC).replace(tzinfo=None)
    assert moscow.not_before == msk(2026, 5, 6, 10)
