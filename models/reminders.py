"""The reminder planner: turns due reminder times stored in the database into outbox messages.

Due times live in `assignment.next_reminder_at` (naive UTC), computed by `scheduler.rules`. APScheduler
only wakes the planner up (`schedule_jobs`): a tick every 30 s picks what is due with an indexed range
query, so its cost does not depend on how many assignments are *not* due.

A tick, per batch and in one transaction: select the due assignments (whole organisations, so a member
gets one message per run), drop closed and withdrawn ones, queue ONE outbox row per member listing their
items (minus snoozed items; nothing for paused members; `not_before` outside their quiet hours), queue
the one-time escalations to reviewers, then store `last_reminder_at` and the next `next_reminder_at`.
Crash safety: the outbox rows and the new times commit together, and the outbox keys are deterministic,
so a re-run never queues a reminder twice. After a downtime every due item fires once, with the moments
missed while down collapsed into that one reminder.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Row, Select, Table, bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import outbox, rules
from models.config import Config
from models.entities import (
    Addressee,
    Approval,
    Assignment,
    Member,
    Organisation,
    OrgKind,
    Recommendation,
    Resolution,
    ResolutionState,
    Snooze,
    Status,
)
from models.notices import NoticeKind, notice
from models.rules import ItemSnapshot, Kind, Moment, RuleConfig, naive_utc

log = logging.getLogger(__name__)

SNOOZE_DAYS = 3
_IN_CHUNK = 500  # ids per IN (...) list: far below SQLite's bound-parameter limit
_EASTMOST = ZoneInfo("Etc/GMT-14")  # UTC+14: no member's local date is later than here

T = TypeVar("T")


@dataclass(slots=True)
class TickResult:
    due: int = 0  # assignments picked up
    reminded: int = 0  # items listed in member reminders, summed over members
    escalated: int = 0
    cleared: int = 0  # closed or withdrawn: nothing planned any more
    queued: int = 0  # outbox rows queued (reminders and escalations)
    batches: int = 0


@dataclass(slots=True)
class DigestResult:
    members: int = 0  # members whose weekly digest was due
    queued: int = 0


@dataclass(frozen=True, slots=True)
class _Context:
    cfg: RuleConfig
    zone: ZoneInfo
    quiet_start: time
    quiet_end: time
    admin_ids: frozenset[int]
    digest_weekday: int
    digest_at: time

    @classmethod
    def of(cls, config: Config) -> _Context:
        return cls(
            cfg=config.rules,
            zone=config.rules.zone,
            quiet_start=config.quiet_start,
            quiet_end=config.quiet_end,
            admin_ids=config.admin_ids,
            digest_weekday=config.digest_weekday,
            digest_at=config.digest_at,
        )


@dataclass(frozen=True, slots=True)
class _Recipient:
    member_id: int | None  # None for admins without a member row
    chat_id: int
    zone: ZoneInfo
    quiet_start: time
    quiet_end: time
    paused_until: date | None = None

    def paused(self, now: datetime) -> bool:
        return rules.is_paused(self.paused_until, self.zone, now)

    def not_before(self, ctx: _Context, now: datetime) -> datetime:
        """At the reminder time of the member's own zone, outside their quiet hours, on a working day."""
        return rules.deliver_at(
            ctx.cfg.member_slot(now, self.zone),
            zone=self.zone,
            quiet_start=self.quiet_start,
            quiet_end=self.quiet_end,
            calendar=ctx.cfg.calendar,
        )


@dataclass(slots=True)
class _Item:
    """One due assignment with what its message needs."""

    id: int
    organisation_id: int
    order: tuple[int, int, int]  # resolution, addressee, recommendation: message order
    title: str
    text: str
    snapshot: ItemSnapshot
    org_name: str
    org_kind: str
    municipality_id: int | None
    resolution_state: str
    planned: datetime | None
    moment: Moment | None = None  # the reminder that fired (the latest, after a downtime)


def _chunks(values: Sequence[T], size: int = _IN_CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@cache
def _zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    if not name:
        return default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return default


def _recipient(row: Row[Any], ctx: _Context) -> _Recipient:
    return _Recipient(
        member_id=row.id,
        chat_id=row.user_id,
        zone=_zone(row.timezone, ctx.zone),
        quiet_start=row.quiet_start or ctx.quiet_start,
        quiet_end=row.quiet_end or ctx.quiet_end,
        paused_until=row.paused_until,
    )


def _admin(chat_id: int, ctx: _Context) -> _Recipient:
    return _Recipient(None, chat_id, ctx.zone, ctx.quiet_start, ctx.quiet_end)


_MEMBER_COLUMNS = (
    Member.id,
    Member.user_id,
    Member.organisation_id,
    Member.timezone,
    Member.quiet_start,
    Member.quiet_end,
    Member.paused_until,
    Member.last_digest_on,
)


async def _members_of(session: AsyncSession, org_ids: Iterable[int]) -> dict[int, list[Row[Any]]]:
    """Approved, active members per organisation."""
    found: dict[int, list[Row[Any]]] = defaultdict(list)
    for chunk in _chunks(sorted(set(org_ids))):
        rows = await session.execute(
            select(*_MEMBER_COLUMNS)
            .where(
                Member.organisation_id.in_(chunk),
                Member.approval == Approval.APPROVED,
                Member.active.is_(True),
            )
            .order_by(Member.id)
        )
        for row in rows:
            found[row.organisation_id].append(row)
    return found


def _snapshot(row: Row[Any], now: datetime) -> ItemSnapshot:
    return ItemSnapshot(
        status=row.status,
        due=row.due,
        since=row.published_at or now,
        starts=row.starts,
        period=rules.parse_period(row.recurring, row.period),
        last_reminder_at=row.last_reminder_at,
        escalated_at=row.escalated_at,
    )


_ITEM_QUERY = (
    select(
        Assignment.id,
        Assignment.organisation_id,
        Assignment.status,
        Assignment.due,
        Assignment.next_reminder_at,
        Assignment.last_reminder_at,
        Assignment.escalated_at,
        Recommendation.text,
        Recommendation.starts,
        Recommendation.recurring,
        Recommendation.period,
        Recommendation.position.label("rec_position"),
        Addressee.position.label("addressee_position"),
        Resolution.id.label("resolution_id"),
        Resolution.title,
        Resolution.state,
        Resolution.published_at,
        Organisation.name.label("org_name"),
        Organisation.kind.label("org_kind"),
        Organisation.municipality_id,
    )
    .join(Recommendation, Recommendation.id == Assignment.recommendation_id)
    .join(Addressee, Addressee.id == Recommendation.addressee_id)
    .join(Resolution, Resolution.id == Addressee.resolution_id)
    .join(Organisation, Organisation.id == Assignment.organisation_id)
)

_assignments = cast(Table, Assignment.__table__)
_SET_TIMES = (
    update(_assignments)
    .where(_assignments.c.id == bindparam("b_id"))
    .values(
        next_reminder_at=bindparam("b_next"),
        last_reminder_at=bindparam("b_last"),
        escalated_at=bindparam("b_escalated"),
    )
)
_SET_NEXT = (
    update(_assignments).where(_assignments.c.id == bindparam("b_id")).values(next_reminder_at=bindparam("b_next"))
)


def _item(row: Row[Any], now: datetime) -> _Item:
    return _Item(
        id=row.id,
        organisation_id=row.organisation_id,
        order=(row.resolution_id, row.addressee_position, row.rec_position),
        title=row.title,
        text=row.text,
        snapshot=_snapshot(row, now),
        org_name=row.org_name,
        org_kind=row.org_kind,
        municipality_id=row.municipality_id,
        resolution_state=row.state,
        planned=row.next_reminder_at,
    )


def _stamp(t: datetime | None, fallback: datetime) -> str:
    return (t or fallback).strftime("%Y%m%dT%H%M")


def _reminder_row(recipient: _Recipient, items: list[_Item], ctx: _Context, now: datetime) -> dict[str, Any]:
    items.sort(key=lambda i: i.order)
    slot = max((i.planned for i in items if i.planned is not None), default=now)
    kinds = [[i.id, str(i.moment.kind) if i.moment else None] for i in items]
    return {
        # Per member × planned slot × first item: batches never share items, so keys never collide,
        # and a re-run of the same batch (after a crash before commit) yields the same key.
        "key": f"rem:{recipient.member_id}:{_stamp(slot, now)}:{items[0].id}",
        "chat_id": recipient.chat_id,
        "member_id": recipient.member_id,
        "payload": notice(NoticeKind.REMINDER, items=kinds),
        "priority": outbox.PRIORITY_BULK,
        "not_before": recipient.not_before(ctx, now),
    }


def _escalation_row(recipient: _Recipient, items: list[_Item], ctx: _Context, now: datetime) -> dict[str, Any]:
    items.sort(key=lambda i: (i.org_name, i.organisation_id, i.order))
    slot = max((i.planned for i in items if i.planned is not None), default=now)
    return {
        "key": f"esc:{recipient.chat_id}:{_stamp(slot, now)}:{min(i.id for i in items)}",
        "chat_id": recipient.chat_id,
        "member_id": recipient.member_id,
        "payload": notice(NoticeKind.ESCALATION, items=[i.id for i in items], days=ctx.cfg.escalate_after_days),
        "priority": outbox.PRIORITY_NOTICE,
        "not_before": recipient.not_before(ctx, now),
    }


async def _reviewers(
    session: AsyncSession, items: list[_Item], ctx: _Context, now: datetime
) -> dict[int, list[_Recipient]]:
    """Who gets the escalation of each item: the school's municipal officers who are not on a pause,
    else the admins. An escalation goes out once, so it must reach someone who is at work."""
    municipalities = {i.municipality_id for i in items if i.org_kind == OrgKind.SCHOOL and i.municipality_id}
    officers = await _members_of(session, [m for m in municipalities if m is not None])
    admins = [_admin(chat, ctx) for chat in sorted(ctx.admin_ids)]
    found: dict[int, list[_Recipient]] = {}
    for item in items:
        rows = officers.get(item.municipality_id or -1, []) if item.org_kind == OrgKind.SCHOOL else []
        at_work = [r for r in (_recipient(row, ctx) for row in rows) if not r.paused(now)]
        found[item.id] = at_work or admins
    return found


def due_query(now: datetime, batch: int) -> Select[tuple[int, int]]:
    """What is due: a range scan of ix_assignment_due_reminders, whatever the size of the table."""
    return (
        select(Assignment.id, Assignment.organisation_id)
        .where(Assignment.next_reminder_at <= now)
        .order_by(Assignment.next_reminder_at)
        .limit(batch)
    )


async def _tick_batch(session: AsyncSession, ctx: _Context, now: datetime, batch: int, result: TickResult) -> int:
    """One batch of a tick; returns how many due rows the range query found (< batch: all done)."""
    first = (await session.execute(due_query(now, batch))).all()
    if not first:
        return 0
    # Take every due item of these organisations, so a batch boundary never splits a member's reminder.
    items: list[_Item] = []
    for chunk in _chunks(sorted({r.organisation_id for r in first})):
        rows = await session.execute(
            _ITEM_QUERY.where(Assignment.organisation_id.in_(chunk), Assignment.next_reminder_at <= now)
        )
        items.extend(_item(row, now) for row in rows)
    ids = [i.id for i in items]
    snoozes: dict[int, list[Row[Any]]] = defaultdict(list)
    for chunk in _chunks(ids):
        for row in await session.execute(
            select(Snooze.id, Snooze.member_id, Snooze.assignment_id, Snooze.until).where(
                Snooze.assignment_id.in_(chunk)
            )
        ):
            snoozes[row.assignment_id].append(row)
    members = await _members_of(session, {i.organisation_id for i in items})

    per_member: dict[int, tuple[_Recipient, list[_Item]]] = {}
    to_escalate: list[_Item] = []
    served_snoozes: list[int] = []
    times: list[dict[str, Any]] = []
    for item in items:
        result.due += 1
        item_snoozes = snoozes.get(item.id, [])
        served_snoozes.extend(s.id for s in item_snoozes if s.until <= now)
        decision = _decide(item, item_snoozes, ctx.cfg, now)
        times.append(_times(item.id, decision.following, decision.snapshot))
        if decision.cleared:
            result.cleared += 1
            continue
        if decision.escalate:
            to_escalate.append(item)
        for member in members.get(item.organisation_id, []):
            if decision.reaches(member.id):
                per_member.setdefault(member.id, (_recipient(member, ctx), []))[1].append(item)

    queue: list[dict[str, Any]] = []
    for recipient, member_items in per_member.values():
        if recipient.paused(now):
            continue
        queue.append(_reminder_row(recipient, member_items, ctx, now))
        result.reminded += len(member_items)
    if to_escalate:
        reviewers = await _reviewers(session, to_escalate, ctx, now)
        per_chat: dict[int, tuple[_Recipient, list[_Item]]] = {}
        for item in to_escalate:
            for recipient in reviewers[item.id]:
                per_chat.setdefault(recipient.chat_id, (recipient, []))[1].append(item)
        queue.extend(_escalation_row(r, chat_items, ctx, now) for r, chat_items in per_chat.values())
        result.escalated += len(to_escalate)
    await outbox.enqueue(session, queue)
    result.queued += len(queue)
    await session.execute(_SET_TIMES, times)
    for chunk in _chunks(served_snoozes):
        await session.execute(delete(Snooze).where(Snooze.id.in_(chunk)))
    return len(first)


@dataclass(frozen=True, slots=True)
class _Decision:
    """What a tick does with one due item."""

    snapshot: ItemSnapshot  # with the new last_reminder_at / escalated_at
    following: datetime | None  # the next next_reminder_at
    everyone: bool = False  # a rule fired: every member of the organisation, except those snoozing
    snoozing: frozenset[int] = frozenset()  # members whose snooze still runs
    snooze_ended: frozenset[int] = frozenset()  # members whose snooze just ended: they get it now
    escalate: bool = False
    cleared: bool = False

    def reaches(self, member_id: int) -> bool:
        if member_id in self.snoozing:
            return False
        return self.everyone or member_id in self.snooze_ended


def _decide(item: _Item, snoozes: Sequence[Row[Any]], cfg: RuleConfig, now: datetime) -> _Decision:
    snap = item.snapshot
    if item.resolution_state != ResolutionState.PUBLISHED or rules.is_closed(snap.status):
        return _Decision(snap, None, cleared=True)
    fired = rules.fired(snap, cfg, now)
    for_members = [m for m in fired if m.kind is not Kind.ESCALATION]
    item.moment = for_members[-1] if for_members else None
    escalate = False
    upcoming: datetime | None = None
    known = False  # `upcoming` already computed
    if fired:
        after_now = rules.next_reminder(snap, cfg, now)
        snap = replace(snap, last_reminder_at=rules.handled_until(snap, cfg, now, fired, after_now))
        escalate = rules.escalation_due(snap, cfg, now)
        if escalate:
            snap = replace(snap, escalated_at=now)
        elif snap.floor == now:
            # The schedule does not depend on last_reminder_at, so the next moment after `now` is the one
            # just computed: the usual case asks the rules once instead of twice.
            upcoming, known = (after_now.at if after_now is not None else None), True
    running = {s.member_id: s.until for s in snoozes if s.until > now}
    if not known:
        upcoming = rules.next_reminder_at(snap, cfg, max(now, snap.floor))
    following = [t for t in [upcoming, *running.values()] if t is not None]
    reminded = rules.wants_reminders(snap.status)
    return _Decision(
        snapshot=snap,
        following=min(following) if following else None,
        everyone=reminded and bool(for_members),
        snoozing=frozenset(running),
        snooze_ended=frozenset(s.member_id for s in snoozes if s.until <= now) if reminded else frozenset(),
        escalate=escalate,
    )


def _times(assignment_id: int, following: datetime | None, snap: ItemSnapshot) -> dict[str, Any]:
    return {
        "b_id": assignment_id,
        "b_next": following,
        "b_last": snap.last_reminder_at,
        "b_escalated": snap.escalated_at,
    }


async def tick(
    session_factory: async_sessionmaker[AsyncSession],
    config: Config,
    now: datetime,
    *,
    batch: int = 1000,
    max_batches: int = 100,
) -> TickResult:
    """Queue every reminder due at `now`; one transaction per batch. The next tick goes on if capped."""
    ctx = _Context.of(config)
    now = naive_utc(now)
    result = TickResult()
    for _ in range(max_batches):
        async with session_factory() as session:
            found = await _tick_batch(session, ctx, now, batch, result)
            await session.commit()
        if found:
            result.batches += 1
        if found < batch:
            break
    if result.due:
        log.info("reminders: %s", result)
    return result


async def plan_assignments(
    session: AsyncSession, assignment_ids: Sequence[int], now: datetime, cfg: RuleConfig
) -> None:
    """Set `next_reminder_at` of new assignments, or recompute it after a due date or status change.

    Does not commit: it joins the caller's transaction.
    """
    now = naive_utc(now)
    times: list[dict[str, Any]] = []
    ids = sorted(set(assignment_ids))
    for chunk in _chunks(ids):
        rows = (await session.execute(_ITEM_QUERY.where(Assignment.id.in_(chunk)))).all()
        pending = {
            row.assignment_id: row.until
            for row in await session.execute(
                select(Snooze.assignment_id, Snooze.until).where(Snooze.assignment_id.in_(chunk), Snooze.until > now)
            )
        }
        for row in rows:
            snap = _snapshot(row, now)
            following = None
            if row.state == ResolutionState.PUBLISHED and not rules.is_closed(snap.status):
                following = rules.next_reminder_at(snap, cfg, max(now, snap.floor))
                snoozed = pending.get(row.id)
                if snoozed is not None and (following is None or snoozed < following):
                    following = snoozed
            times.append({"b_id": row.id, "b_next": following})
    if times:
        await session.execute(_SET_NEXT, times)


async def snooze(
    session: AsyncSession, *, member_id: int, assignment_id: int, now: datetime, days: int = SNOOZE_DAYS
) -> datetime | None:
    """«Напомнить через N дней»: this member hears about this item again in N days, not before.

    Returns the new time (naive UTC), or None when the item is closed. Does not commit.
    """
    now = naive_utc(now)
    assignment = await session.get(Assignment, assignment_id)
    if assignment is None or not rules.wants_reminders(assignment.status):
        return None
    until = now + timedelta(days=days)
    existing = await session.scalar(
        select(Snooze).where(Snooze.member_id == member_id, Snooze.assignment_id == assignment_id)
    )
    if existing is None:
        session.add(Snooze(member_id=member_id, assignment_id=assignment_id, until=until))
    else:
        existing.until = until
    if assignment.next_reminder_at is None or until < assignment.next_reminder_at:
        assignment.next_reminder_at = until  # wake the planner when the snooze ends
    await session.flush()
    return until


async def digest_run(
    session_factory: async_sessionmaker[AsyncSession],
    config: Config,
    now: datetime,
    *,
    chunk: int = 200,  # members per transaction: keeps each stretch of CPU work between awaits short
) -> DigestResult:
    """The weekly digest of open items without dates: one per member per week, at most one catch-up.

    Safe to run often (the job runs hourly, so every time zone gets it near `digest_time`): a member is
    due when their last digest is older than the latest digest day (`rules.digest_day`), which after a
    downtime of any length is still one day. Members on pause are skipped and catch up afterwards.
    """
    ctx = _Context.of(config)
    now = naive_utc(now)
    result = DigestResult()
    calendar = ctx.cfg.calendar

    def day_for(zone: ZoneInfo) -> date:
        return rules.digest_day(now, zone=zone, weekday=ctx.digest_weekday, at=ctx.digest_at, calendar=calendar)

    latest = day_for(_EASTMOST)  # an upper bound of every member's digest day: prefilters in SQL
    async with session_factory() as session:
        candidates = (
            await session.execute(
                select(*_MEMBER_COLUMNS)
                .where(
                    Member.approval == Approval.APPROVED,
                    Member.active.is_(True),
                    Member.organisation_id.is_not(None),
                    or_(Member.last_digest_on.is_(None), Member.last_digest_on < latest),
                )
                .order_by(Member.id)
            )
        ).all()
    due: list[tuple[_Recipient, int, date]] = []
    for row in candidates:
        recipient = _recipient(row, ctx)
        if row.last_digest_on is not None and row.last_digest_on >= day_for(recipient.zone):
            continue
        if recipient.paused(now):
            continue
        local_today = rules.aware_utc(now).astimezone(recipient.zone).date()
        due.append((recipient, row.organisation_id, local_today))
    result.members = len(due)
    for part in _chunks(due, chunk):
        async with session_factory() as session:
            result.queued += await _digest_chunk(session, part, ctx, now)
            await session.commit()
    return result


async def _digest_chunk(
    session: AsyncSession, part: Sequence[tuple[_Recipient, int, date]], ctx: _Context, now: datetime
) -> int:
    org_ids = sorted({org for _, org, _ in part})
    open_items: dict[int, list[Row[Any]]] = defaultdict(list)
    rows = await session.execute(
        select(
            Assignment.id,
            Assignment.organisation_id,
            Recommendation.text,
            Recommendation.recurring,
            Recommendation.period,
            Resolution.title,
        )
        .join(Recommendation, Recommendation.id == Assignment.recommendation_id)
        .join(Addressee, Addressee.id == Recommendation.addressee_id)
        .join(Resolution, Resolution.id == Addressee.resolution_id)
        .where(
            Assignment.organisation_id.in_(org_ids),
            Assignment.status.not_in([Status.ACCEPTED, Status.DONE]),
            Assignment.due.is_(None),
            Recommendation.starts.is_(None),
            Resolution.state == ResolutionState.PUBLISHED,
        )
        .order_by(Resolution.id, Addressee.position, Recommendation.position)
    )
    for row in rows:
        if rules.parse_period(row.recurring, row.period) is None:  # periodic items have their own reminders
            open_items[row.organisation_id].append(row)
    queued: list[dict[str, Any]] = []
    stamps: list[dict[str, Any]] = []
    for recipient, org_id, local_today in part:
        stamps.append({"b_id": recipient.member_id, "b_day": local_today})
        items = open_items.get(org_id)
        if not items:
            continue
        queued.append(
            {
                "key": f"dig:{recipient.member_id}:{local_today.isoformat()}",
                "chat_id": recipient.chat_id,
                "member_id": recipient.member_id,
                "payload": notice(NoticeKind.DIGEST, items=[r.id for r in items]),
                "priority": outbox.PRIORITY_BULK,
                "not_before": recipient.not_before(ctx, now),
            }
        )
    await outbox.enqueue(session, queued)
    members = cast(Table, Member.__table__)
    await session.execute(
        update(members).where(members.c.id == bindparam("b_id")).values(last_digest_on=bindparam("b_day")),
        stamps,
    )
    return len(queued)


async def nudge(
    session: AsyncSession, config: Config, items_by_org: dict[int, list[int]], now: datetime, key: str
) -> int:
    """Reminders about these items now, on demand («Кто отстаёт» → «Напомнить»), to the members of their
    organisations: members on a pause are skipped, quiet hours and days off are respected. Keys carry
    `key`, so pressing twice queues once. Does not commit; returns the number of messages queued."""
    ctx = _Context.of(config)
    now = naive_utc(now)
    members = await _members_of(session, items_by_org)
    rows: list[dict[str, Any]] = []
    for org_id, ids in items_by_org.items():
        for row in members.get(org_id, []):
            recipient = _recipient(row, ctx)
            if recipient.paused(now):
                continue
            not_before = rules.deliver_at(
                now,
                zone=recipient.zone,
                quiet_start=recipient.quiet_start,
                quiet_end=recipient.quiet_end,
                calendar=ctx.cfg.calendar,
            )
            rows.append(
                {
                    "key": f"{key}:{recipient.member_id}",
                    "chat_id": recipient.chat_id,
                    "member_id": recipient.member_id,
                    "payload": notice(NoticeKind.REMINDER, items=[[i, None] for i in ids]),
                    "priority": outbox.PRIORITY_NOTICE,
                    "not_before": not_before,
                }
            )
    await outbox.enqueue(session, rows)
    return len(rows)
