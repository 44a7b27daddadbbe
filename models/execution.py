"""Execution control («контроль исполнения»): the figures of a published resolution for the region, a
municipality or one organisation, who lags behind, and the per-item rows the exports stream.

Definitions (`today` is the caller's local date; every time in the schema is naive UTC):

- an item (assignment) is *closed* when its status is `accepted`;
- *due so far*: due is set and due < today, or the item is closed and due is set;
- *closed on time*: closed and the date of `closed_at` ≤ due; *closed late*: closed with a due date but not on
  time (a closed item whose closing time is unknown counts as late: nothing shows it was on time);
- *overdue now*: not closed and due < today; its days overdue are today − due;
- *Ко* = closed on time / due so far × 100 %; None while nothing is due;
- *no answer* («нет ответа»): status `new` (nobody acknowledged it) in a connected organisation;
- *not connected* («не подключены»): an addressed organisation without an approved, active member. The `new`
  items of such organisations are `not_connected_items`, never «no answer»: nobody there could answer;
- chart buckets (`Figures.buckets`): closed = accepted; in work = in_progress + done (done waits for review,
  so it is not closed yet); difficulties = blocked; not started = no answer + acknowledged + not_started;
  no member = not_connected_items. They add up to all items.

Grouping: the region view has a row per municipality with the organisations whose `municipality_id` points
to it (the schools), and a row «Региональный уровень» (key None) for organisations without a municipality:
the region, the institute, partners and the municipalities' own organisations. A municipality view has a row
per organisation of the municipality plus the municipality's own organisation. Everything scoped by
`municipality_id` only ever reads organisations of that municipality (and the municipality itself).

Speed (800,000 assignments, benchmarks/progress.py): the figures aggregate per organisation in SQL, straight
from the covering index `ix_assignment_execution` (organisation_id, recommendation_id, status, due,
closed_at): in organisation order, so GROUP BY needs no sort, and no table row is read. Only then the
40,000 organisation rows are joined to their municipality. On SQLite the cost is the expressions evaluated
per row, so each row adds to two counters packed into one integer each ("tallies": status counts in 9-bit
fields, the due-date counts and days overdue in wider ones) instead of a dozen separate sums; one
organisation holds at most one assignment per recommendation, so a resolution of up to 511 items cannot
overflow a field.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Integer,
    Select,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from models.entities import (
    Addressee,
    Approval,
    Assignment,
    ExtensionRequest,
    Member,
    Organisation,
    Recommendation,
    Resolution,
    ResolutionState,
    Status,
    StatusReport,
)

REGIONAL_LEVEL = "Региональный уровень"
STATUSES: tuple[Status, ...] = (
    Status.NEW,
    Status.ACKNOWLEDGED,
    Status.NOT_STARTED,
    Status.IN_PROGRESS,
    Status.DONE,
    Status.BLOCKED,
    Status.ACCEPTED,
)
_LIKELY = (
    Status.ACCEPTED,
    Status.NEW,
    Status.IN_PROGRESS,
    Status.ACKNOWLEDGED,
    Status.DONE,
    Status.NOT_STARTED,
    Status.BLOCKED,
)
BUCKETS = ("closed", "in_work", "difficulties", "not_started", "no_member")
MAX_ITEMS = 511  # per organisation and resolution: the width of a status field of the tally
_STATUS_BITS = 9
# Due tally: overdue, closed with a due date, closed on time (12 bits each), then the days overdue.
_DUE_BITS = 12
_DAYS_SHIFT = 3 * _DUE_BITS


class TooManyItemsError(ValueError):
    """A resolution with more items than the packed counters hold (none is anywhere near)."""


# --- figures --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figures:
    """Counts over a set of assignments; see the module docstring for the definitions."""

    organisations: int = 0  # addressed
    connected: int = 0
    new: int = 0
    acknowledged: int = 0
    not_started: int = 0
    in_progress: int = 0
    done: int = 0
    blocked: int = 0
    accepted: int = 0
    no_answer: int = 0  # `new` in connected organisations
    not_connected_items: int = 0  # `new` in organisations without a member
    overdue: int = 0
    overdue_days: int = 0  # summed over the overdue items
    due_so_far: int = 0
    closed_on_time: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Figures)))

    @property
    def items(self) -> int:
        return sum(self.by_status().values())

    @property
    def closed(self) -> int:
        return self.accepted

    @property
    def closed_late(self) -> int:
        # due so far = overdue (open) + closed with a due date
        return self.due_so_far - self.overdue - self.closed_on_time

    @property
    def not_connected(self) -> int:
        return self.organisations - self.connected

    @property
    def ko(self) -> float | None:
        """Ко, per cent; None while nothing is due."""
        return self.closed_on_time * 100 / self.due_so_far if self.due_so_far else None

    @property
    def avg_days_overdue(self) -> float | None:
        return self.overdue_days / self.overdue if self.overdue else None

    def by_status(self) -> dict[Status, int]:
        return {s: int(getattr(self, s.value)) for s in STATUSES}

    def buckets(self) -> tuple[int, int, int, int, int]:
        """closed, in work, difficulties, not started, no member (the order of BUCKETS)."""
        not_started = self.no_answer + self.acknowledged + self.not_started
        return (self.accepted, self.in_progress + self.done, self.blocked, not_started, self.not_connected_items)


@dataclass(frozen=True, slots=True)
class Row:
    key: int | None  # municipality id (None: regional level) or organisation id
    name: str
    figures: Figures


@dataclass(frozen=True, slots=True)
class View:
    rows: tuple[Row, ...]
    total: Figures


class days_between(FunctionElement[int]):  # noqa: N801 - a SQL function, named like one
    """later − earlier in whole days: julianday() on SQLite, date subtraction elsewhere (PostgreSQL)."""

    type = Integer()
    name = "days_between"
    inherit_cache = True


@compiles(days_between, "sqlite")
def _days_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


@compiles(days_between)
def _days_default(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"({later} - {earlier})"


class unindexed(FunctionElement[Any]):  # noqa: N801 - a SQL construct, named like one
    """A column SQLite must not pick an index for: `+column` (SQLite's documented way); as is elsewhere.

    Without ANALYZE statistics (the bot never runs it) SQLite would answer `recommendation_id IN (…)` from
    the unique (recommendation_id, organisation_id) index and then sort 800,000 rows to group them by
    organisation: three times slower than scanning ix_assignment_execution in organisation order."""

    name = "unindexed"
    inherit_cache = True


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"+{column}"


@compiles(unindexed)
def _unindexed_default(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = (compiler.process(c, **kw) for c in element.clauses)
    return column


def _big(n: int) -> ColumnElement[int]:
    # Typed as BIGINT: PostgreSQL would take a plain int parameter as int4 and refuse the large ones.
    return literal(n, BigInteger())


def _field(tally: ColumnElement[int], shift: int, bits: int | None) -> ColumnElement[int]:
    # PostgreSQL shifts a bigint by an int4 only.
    shifted = tally.op(">>")(literal(shift, Integer())) if shift else tally
    return shifted.op("&")(_big((1 << bits) - 1)) if bits else shifted


def _connected(org_id: Any) -> ColumnElement[bool]:
    return exists().where(
        Member.organisation_id == org_id, Member.approval == Approval.APPROVED, Member.active.is_(True)
    )


def _connected_ids() -> Select[tuple[int | None]]:
    return select(Member.organisation_id).where(Member.approval == Approval.APPROVED, Member.active.is_(True))


def _recommendations_of(resolution_id: int) -> Select[tuple[int]]:
    return (
        select(Recommendation.id)
        .join(Addressee, Addressee.id == Recommendation.addressee_id)
        .where(Addressee.resolution_id == resolution_id)
    )


def _orgs_of_municipality(municipality_id: int) -> Select[tuple[int]]:
    return select(Organisation.id).where(
        or_(Organisation.municipality_id == municipality_id, Organisation.id == municipality_id)
    )


def _per_organisation(resolution_id: int, today: date, org_ids: Select[tuple[int]] | None) -> Select[Any]:
    """Stage one: a row per organisation with its two tallies and whether it is connected."""
    day = literal(today, Date())
    # WHENs in the order items usually are (closed and unanswered ones dominate): fewer comparisons per row.
    shift = {s: _STATUS_BITS * k for k, s in enumerate(STATUSES)}
    status_tally = case(
        {s.value: _big(1 << shift[s]) for s in sorted(STATUSES, key=_LIKELY.index)},
        value=Assignment.status,
        else_=_big(0),
    )
    with_due, on_time = 1 << _DUE_BITS, 1 << (2 * _DUE_BITS)
    due_tally = case(
        (Assignment.due.is_(None), _big(0)),
        (
            Assignment.status == Status.ACCEPTED,
            case((func.date(Assignment.closed_at) <= Assignment.due, _big(with_due + on_time)), else_=_big(with_due)),
        ),
        (Assignment.due < day, _big(1) + _big(1 << _DAYS_SHIFT) * days_between(day, Assignment.due)),
        else_=_big(0),
    )
    stmt = (
        select(
            Assignment.organisation_id.label("org"),
            cast(func.sum(status_tally), BigInteger).label("statuses"),
            cast(func.sum(due_tally), BigInteger).label("dues"),
            # A list of connected organisations built once, not a member lookup per organisation.
            case((Assignment.organisation_id.in_(_connected_ids()), 1), else_=0).label("connected"),
        )
        .where(unindexed(Assignment.recommendation_id).in_(_recommendations_of(resolution_id)))
        .group_by(Assignment.organisation_id)
    )
    if org_ids is not None:
        stmt = stmt.where(Assignment.organisation_id.in_(org_ids))
    return stmt


async def _check_size(session: AsyncSession, resolution_id: int) -> None:
    n = await session.scalar(select(func.count()).select_from(_recommendations_of(resolution_id).subquery()))
    if (n or 0) > MAX_ITEMS:
        raise TooManyItemsError(f"resolution {resolution_id} has {n} items, more than {MAX_ITEMS}")


async def _figures(
    session: AsyncSession,
    resolution_id: int,
    today: date,
    *,
    by: str | None,
    org_ids: Select[tuple[int]] | None = None,
) -> list[tuple[int | None, Figures]]:
    """Stage two: sum the organisation rows per municipality (by="municipality"), keep them per organisation
    (by="organisation") or add them all up (by=None)."""
    await _check_size(session, resolution_id)
    p = _per_organisation(resolution_id, today, org_ids).subquery()
    new = _field(p.c.statuses, 0, _STATUS_BITS)
    sums: list[ColumnElement[Any]] = [func.count(), func.sum(p.c.connected)]
    sums += [func.sum(_field(p.c.statuses, _STATUS_BITS * k, _STATUS_BITS)) for k in range(len(STATUSES))]
    sums.append(func.sum(case((p.c.connected == 1, new), else_=0)))
    sums += [func.sum(_field(p.c.dues, _DUE_BITS * k, _DUE_BITS)) for k in range(3)]
    sums.append(func.sum(_field(p.c.dues, _DAYS_SHIFT, None)))
    if by == "municipality":
        key: Any = Organisation.municipality_id
        stmt = select(key, *sums).join(Organisation, Organisation.id == p.c.org).group_by(key)
    elif by == "organisation":
        key = p.c.org
        stmt = select(key, *sums).group_by(key)
    else:
        stmt = select(literal(None), *sums)
    result: list[tuple[int | None, Figures]] = []
    for row in (await session.execute(stmt)).all():
        k, orgs, connected, *counts = (int(v) if v is not None else None for v in row)
        if not orgs:
            continue  # the ungrouped sum over nothing
        statuses = {s.value: c or 0 for s, c in zip(STATUSES, counts[:7], strict=True)}
        no_answer, overdue, with_due, on_time, days = (c or 0 for c in counts[7:])
        figures = Figures(
            organisations=orgs,
            connected=connected or 0,
            **statuses,
            no_answer=no_answer,
            not_connected_items=statuses[Status.NEW] - no_answer,
            overdue=overdue,
            overdue_days=days,
            due_so_far=overdue + with_due,
            closed_on_time=on_time,
        )
        result.append((k, figures))
    return result


def _total(rows: Sequence[Row]) -> Figures:
    total = Figures()
    for row in rows:
        total += row.figures
    return total


async def _names(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    found = await session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids)))
    return dict(found.tuples().all())


async def region_view(session: AsyncSession, resolution_id: int, today: date) -> View:
    """A row per municipality (by name), then «Региональный уровень», and the total."""
    found = await _figures(session, resolution_id, today, by="municipality")
    names = await _names(session, [k for k, _ in found if k is not None])
    rows = sorted((Row(k, names.get(k, "") if k else REGIONAL_LEVEL, f) for k, f in found), key=_region_order)
    return View(tuple(rows), _total(rows))


def _region_order(row: Row) -> tuple[bool, str]:
    return row.key is None, row.name


async def municipality_view(session: AsyncSession, resolution_id: int, municipality_id: int, today: date) -> View:
    """A row per addressed organisation of the municipality (its own organisation first), and the total."""
    found = await _figures(
        session, resolution_id, today, by="organisation", org_ids=_orgs_of_municipality(municipality_id)
    )
    names = await _names(session, [k for k, _ in found if k is not None])
    rows = sorted(
        (Row(k, names.get(k or 0, ""), f) for k, f in found), key=lambda r: (r.key != municipality_id, r.name)
    )
    return View(tuple(rows), _total(rows))


# --- laggards ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Laggard:
    organisation_id: int
    name: str
    municipality_id: int | None
    max_days_overdue: int  # 0 when nothing is overdue (only unanswered items)
    overdue: int
    no_answer: int  # `new` items when connected
    not_connected_items: int  # `new` items when not connected
    connected: bool


async def laggards(
    session: AsyncSession, resolution_id: int, today: date, *, municipality_id: int | None = None, limit: int = 20
) -> list[Laggard]:
    """«Кто отстаёт»: organisations with overdue or unacknowledged items, worst first: most days overdue,
    then most overdue items, then most unanswered ones."""
    day = literal(today, Date())
    is_open = Assignment.status != Status.ACCEPTED
    # One tally again: overdue items counted in the high half, `new` ones in the low half.
    is_new = Assignment.status == Status.NEW
    tally = case(
        (Assignment.status == Status.ACCEPTED, _big(0)),
        (Assignment.due < day, case((is_new, _big(1 + (1 << 32))), else_=_big(1 << 32))),
        (is_new, _big(1)),
        else_=_big(0),
    )
    stmt = (
        select(
            Assignment.organisation_id.label("org"),
            cast(func.sum(tally), BigInteger).label("tally"),
            func.min(case((is_open, Assignment.due))).label("oldest"),
        )
        .where(unindexed(Assignment.recommendation_id).in_(_recommendations_of(resolution_id)))
        .group_by(Assignment.organisation_id)
    )
    if municipality_id is not None:
        stmt = stmt.where(Assignment.organisation_id.in_(_orgs_of_municipality(municipality_id)))
    p = stmt.subquery()
    # The oldest open due date decides the days overdue; only an overdue one counts.
    oldest = case((p.c.oldest < day, p.c.oldest))
    worst = (
        select(
            p.c.org,
            Organisation.name,
            Organisation.municipality_id,
            p.c.tally,
            oldest,
            _connected(p.c.org),
        )
        .join(Organisation, Organisation.id == p.c.org)
        .where(p.c.tally > 0)
        .order_by(oldest.is_(None), oldest, _field(p.c.tally, 32, None).desc(), p.c.tally.desc(), Organisation.name)
        .limit(limit)
    )
    result = []
    for org, name, muni, t, old, connected in (await session.execute(worst)).all():
        new, overdue = int(t) & 0xFFFFFFFF, int(t) >> 32
        days = (today - _as_date(old)).days if old is not None else 0
        result.append(
            Laggard(
                org,
                name,
                muni,
                days,
                overdue,
                new if connected else 0,
                0 if connected else new,
                bool(connected),
            )
        )
    return result


def _as_date(value: date | str) -> date:
    # min() over a CASE loses the column type on SQLite: the ISO text comes back as it is stored.
    return value if isinstance(value, date) else date.fromisoformat(value)


# --- per item ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemRow:
    assignment_id: int
    organisation_id: int
    organisation: str
    municipality: str  # of the organisation; REGIONAL_LEVEL when it has none
    number: str  # as in the resolution: its 1-based place under its addressee
    text: str
    original_due: date | None  # as published
    due: date | None  # current (after approved extensions)
    status: Status
    closed_at: datetime | None
    last_report_at: datetime | None
    reported_by: str | None  # member's full name; None when nobody reported (or an admin without a member)
    comment: str | None
    days_overdue: int  # 0 unless overdue now

    def days_left(self, today: date) -> int | None:
        return (self.due - today).days if self.due is not None else None


@dataclass(frozen=True, slots=True)
class Group:
    """The organisations of one part of an export: a municipality's (`own`: with its own organisation, as an
    officer sees it) or, with municipality_id None, the regional level."""

    municipality_id: int | None
    name: str
    own: bool = False


def _group_orgs(group: Group) -> Select[tuple[int]]:
    if group.municipality_id is None:
        return select(Organisation.id).where(Organisation.municipality_id.is_(None))
    if group.own:
        return _orgs_of_municipality(group.municipality_id)
    return select(Organisation.id).where(Organisation.municipality_id == group.municipality_id)


async def groups(session: AsyncSession, *, municipality_id: int | None = None) -> list[Group]:
    """The parts of an export in order: every municipality by name, then the regional level; or just the
    officer's municipality."""
    if municipality_id is not None:
        name = await session.scalar(select(Organisation.name).where(Organisation.id == municipality_id))
        return [Group(municipality_id, name or "", own=True)]
    munis = select(Organisation.municipality_id).where(Organisation.municipality_id.is_not(None)).distinct()
    found = (
        await session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(munis)).order_by(Organisation.name)
        )
    ).all()
    return [*(Group(i, n) for i, n in found), Group(None, REGIONAL_LEVEL)]


def _items_stmt(resolution_id: int, org_ids: Select[tuple[int]]) -> Select[Any]:
    report = aliased(StatusReport)
    last_report = (
        select(func.max(report.id)).where(report.assignment_id == Assignment.id).correlate(Assignment).scalar_subquery()
    )
    muni = Organisation.__table__.alias("muni")
    return (
        select(
            Assignment.id,
            Assignment.organisation_id,
            Organisation.name,
            muni.c.name,
            Recommendation.position,
            Recommendation.text,
            Recommendation.due,
            Assignment.due,
            Assignment.status,
            Assignment.closed_at,
            StatusReport.created_at,
            Member.full_name,
            StatusReport.comment,
        )
        .join(Recommendation, Recommendation.id == Assignment.recommendation_id)
        .join(Addressee, Addressee.id == Recommendation.addressee_id)
        .join(Organisation, Organisation.id == Assignment.organisation_id)
        .outerjoin(muni, muni.c.id == Organisation.municipality_id)
        .outerjoin(StatusReport, StatusReport.id == last_report)
        .outerjoin(Member, Member.id == StatusReport.member_id)
        .where(Addressee.resolution_id == resolution_id, Assignment.organisation_id.in_(org_ids))
        .order_by(Organisation.name, Organisation.id, Addressee.position, Recommendation.position)
    )


def _item(row: Any, today: date) -> ItemRow:
    aid, org_id, org, muni, position, text, original, due, status, closed_at, reported, who, comment = row
    overdue = status != Status.ACCEPTED and due is not None and due < today
    return ItemRow(
        aid,
        org_id,
        org,
        muni or REGIONAL_LEVEL,
        str(position + 1),
        text,
        original,
        due,
        Status(status),
        closed_at,
        reported,
        who or None,
        comment,
        (today - due).days if overdue else 0,
    )


async def school_view(session: AsyncSession, resolution_id: int, organisation_id: int, today: date) -> list[ItemRow]:
    """The items of one organisation in the resolution's order."""
    stmt = _items_stmt(resolution_id, select(literal(organisation_id)))
    return [_item(row, today) for row in (await session.execute(stmt)).all()]


async def stream_items(
    session: AsyncSession, resolution_id: int, group: Group, today: date, *, chunk: int = 2000
) -> AsyncIterator[ItemRow]:
    """The items of a group's organisations (by organisation name, then the resolution's order), fetched
    `chunk` rows at a time: an export never holds them all. The session is busy until the iteration ends."""
    result = await session.stream(_items_stmt(resolution_id, _group_orgs(group)).execution_options(yield_per=chunk))
    # By partition, not by row: each step of an async result is a trip through a greenlet, per row that
    # alone would cost more than writing the row. And the next partition is asked for before this one is
    # handed out, so the database works on it (in the driver's thread) while the caller writes rows.
    partitions = result.partitions()
    pending = asyncio.ensure_future(anext(partitions, None))
    try:
        while (partition := await pending) is not None:
            pending = asyncio.ensure_future(anext(partitions, None))
            await asyncio.sleep(0)  # let the request reach the driver before the caller blocks the loop
            for row in partition:
                yield _item(row, today)
    finally:
        if not pending.done():
            pending.cancel()
        await result.close()


async def extensions(session: AsyncSession, resolution_id: int, group: Group) -> dict[int, list[date]]:
    """Approved new due dates per assignment of the group, oldest first (few: an export keeps them)."""
    stmt = (
        select(ExtensionRequest.assignment_id, ExtensionRequest.new_due)
        .join(Assignment, Assignment.id == ExtensionRequest.assignment_id)
        .join(Recommendation, Recommendation.id == Assignment.recommendation_id)
        .join(Addressee, Addressee.id == Recommendation.addressee_id)
        .where(
            ExtensionRequest.state == "approved",
            Addressee.resolution_id == resolution_id,
            Assignment.organisation_id.in_(_group_orgs(group)),
        )
        .order_by(ExtensionRequest.id)
    )
    found: dict[int, list[date]] = {}
    for aid, new_due in (await session.execute(stmt)).all():
        found.setdefault(aid, []).append(new_due)
    return found


# --- resolutions ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResolutionFigures:
    resolution_id: int
    title: str
    date: date | None
    published_at: datetime | None
    figures: Figures


@dataclass(frozen=True, slots=True)
class ResolutionPage:
    items: tuple[ResolutionFigures, ...]
    total: int  # published resolutions in the scope
    offset: int
    limit: int


async def resolutions(
    session: AsyncSession,
    today: date,
    *,
    municipality_id: int | None = None,
    offset: int = 0,
    limit: int = 10,
) -> ResolutionPage:
    """Published resolutions, newest first, with their figures over the scope (a municipality or all)."""
    stmt = select(Resolution.id, Resolution.title, Resolution.date, Resolution.published_at).where(
        Resolution.state == ResolutionState.PUBLISHED
    )
    org_ids = _orgs_of_municipality(municipality_id) if municipality_id is not None else None
    if org_ids is not None:
        # Only resolutions that reach the municipality at all.
        stmt = stmt.where(
            exists()
            .where(
                Addressee.resolution_id == Resolution.id,
                Recommendation.addressee_id == Addressee.id,
                Assignment.recommendation_id == Recommendation.id,
                Assignment.organisation_id.in_(org_ids),
            )
            .correlate(Resolution)
        )
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = (
        await session.execute(
            stmt.order_by(Resolution.published_at.desc(), Resolution.id.desc()).offset(offset).limit(limit)
        )
    ).all()
    items = []
    for rid, title, when, published in page:
        found = await _figures(session, rid, today, by=None, org_ids=org_ids)
        items.append(ResolutionFigures(rid, title, when, published, found[0][1] if found else Figures()))
    return ResolutionPage(tuple(items), total, offset, limit)


async def published_ids(session: AsyncSession) -> list[int]:
    stmt = select(Resolution.id).where(Resolution.state == ResolutionState.PUBLISHED).order_by(Resolution.id)
    return list((await session.scalars(stmt)).all())


# --- summary over several resolutions (the export's «Сводка») -------------------------------------------


async def summary(
    session: AsyncSession, resolution_ids: Sequence[int], today: date, *, municipality_id: int | None = None
) -> View:
    """The region (rows per municipality) or a municipality (rows per organisation) over several
    resolutions. Item counts add up; organisations are counted once however many resolutions reach them."""
    per_key: dict[int | None, Figures] = {}
    names: dict[int | None, str] = {}
    for rid in resolution_ids:
        view = (
            await region_view(session, rid, today)
            if municipality_id is None
            else await municipality_view(session, rid, municipality_id, today)
        )
        for row in view.rows:
            per_key[row.key] = per_key.get(row.key, Figures()) + row.figures
            names[row.key] = row.name
    if len(resolution_ids) > 1:
        counted = await _addressed(session, resolution_ids, municipality_id)
        per_key = {k: _with_orgs(f, *counted.get(k, (f.organisations, f.connected))) for k, f in per_key.items()}
    rows = [Row(k, names[k], f) for k, f in per_key.items()]
    rows.sort(key=_region_order if municipality_id is None else (lambda r: (r.key != municipality_id, r.name)))
    return View(tuple(rows), _total(rows))


def _with_orgs(f: Figures, organisations: int, connected: int) -> Figures:
    values = {fl.name: getattr(f, fl.name) for fl in fields(Figures)}
    return Figures(**(values | {"organisations": organisations, "connected": connected}))


async def _addressed(
    session: AsyncSession, resolution_ids: Sequence[int], municipality_id: int | None
) -> dict[int | None, tuple[int, int]]:
    """Distinct addressed organisations (and the connected ones) per row key of `summary`."""
    recs = (
        select(Recommendation.id)
        .join(Addressee, Addressee.id == Recommendation.addressee_id)
        .where(Addressee.resolution_id.in_(resolution_ids))
    )
    addressed = exists().where(Assignment.organisation_id == Organisation.id, Assignment.recommendation_id.in_(recs))
    key = Organisation.id if municipality_id is not None else Organisation.municipality_id
    stmt = (
        select(key, func.count(), func.sum(case((_connected(Organisation.id), 1), else_=0)))
        .where(addressed)
        .group_by(key)
    )
    if municipality_id is not None:
        stmt = stmt.where(Organisation.id.in_(_orgs_of_municipality(municipality_id)))
    return {k: (int(n), int(c or 0)) for k, n, c in (await session.execute(stmt)).all()}


__all__ = [
    "BUCKETS",
    "MAX_ITEMS",
    "REGIONAL_LEVEL",
    "STATUSES",
    "Figures",
    "Group",
    "ItemRow",
    "Laggard",
    "ResolutionFigures",
    "ResolutionPage",
    "Row",
    "TooManyItemsError",
    "View",
    "extensions",
    "groups",
    "laggards",
    "municipality_view",
    "published_ids",
    "region_view",
    "resolutions",
    "school_view",
    "stream_items",
    "summary",
]
