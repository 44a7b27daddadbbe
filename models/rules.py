"""Reminder rules: when an item is due for a reminder. Pure functions, no database, no Telegram.

The rules (defaults in `Settings`, see the README):

- before a due date D: on D-14, D-3, D-1 and D itself (`reminder_days_before`); such a day that is not a
  working day moves *back* to the last working day before it, so the reminder still comes in time;
- overdue: every 3 days after D (`overdue_every_days`) until the item is reported done; a day off moves
  forward and the next one counts from there;
- escalation: once, on the first working day ≥ D+7 (`escalate_after_days`), to the reviewers;
- an item with a start date: a reminder on that date; a recurring item: one at the start of each period
  (month, quarter, …), both moved forward to a working day;
- an item nobody acknowledged («Ознакомлен») gets one reminder `acknowledge_days` (3) after publication;
- items with none of these dates get no reminders here: the weekly digest lists them.

Days are the default zone's dates. A reminder *moment* is `at` (10:00) in `fire_zone`, the eastmost zone a
member may live in, so the planner wakes early enough for everyone; each member's message then waits
(`member_slot`) for `at` in the member's own zone, and `deliver_at` moves it out of their quiet hours and
onto a working day there.

All datetimes here are naive UTC, like the database; aware ones are accepted and converted.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from itertools import dropwhile
from types import EllipsisType
from zoneinfo import ZoneInfo

from models.calendar import WorkCalendar
from models.entities import Status


class Kind(StrEnum):
    BEFORE_DUE = "before_due"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    START = "start"
    PERIOD_START = "period_start"
    UNACKNOWLEDGED = "unacknowledged"  # nobody pressed «Ознакомлен» within `acknowledge_days`
    ESCALATION = "escalation"  # reviewers only: members get nothing at this moment


# When two rules land on one day the member sees one reminder; its kind is the most urgent one.
_URGENCY = {
    Kind.OVERDUE: 0,
    Kind.DUE_TODAY: 1,
    Kind.BEFORE_DUE: 2,
    Kind.START: 3,
    Kind.PERIOD_START: 4,
    Kind.UNACKNOWLEDGED: 5,
    Kind.ESCALATION: 6,
}


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"


_PERIOD_MONTHS = {Period.MONTH: 1, Period.QUARTER: 3, Period.HALF_YEAR: 6, Period.YEAR: 12}
# Word stems, checked in order ("полугод" before "год", "half" before "year").
_PERIOD_STEMS: tuple[tuple[str, Period], ...] = (
    ("half", Period.HALF_YEAR),
    ("полугод", Period.HALF_YEAR),
    ("quarter", Period.QUARTER),
    ("квартал", Period.QUARTER),
    ("month", Period.MONTH),
    ("месяц", Period.MONTH),
    ("месячн", Period.MONTH),
    ("week", Period.WEEK),
    ("недел", Period.WEEK),
    ("year", Period.YEAR),
    ("annual", Period.YEAR),
    ("год", Period.YEAR),
)

# No reminders at all: the item is closed. DONE waits for review and may come back, so it keeps its
# schedule but gets no member reminders and no escalation (see `wants_reminders`).
CLOSED = frozenset({Status.ACCEPTED})


def parse_period(recurring: bool, period: str | None) -> Period | None:
    """The period of a recurring item from the parser's label («ежеквартально», "quarterly", …)."""
    if not recurring or not period:
        return None
    folded = period.strip().lower()
    for stem, value in _PERIOD_STEMS:
        if stem in folded:
            return value
    return None


@dataclass(frozen=True, slots=True)
class RuleConfig:
    days_before: tuple[int, ...] = (14, 3, 1, 0)
    overdue_every_days: int = 3
    escalate_after_days: int = 7
    acknowledge_days: int = 3
    at: time = time(10, 0)  # local time of day of the reminders
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Moscow"))
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    fire_zone: ZoneInfo | None = None  # the eastmost members' zone; None: the default zone

    def moment(self, day: date) -> datetime:
        """`day` at `at` in the eastmost zone, as naive UTC: nobody's local `at` comes earlier."""
        return _moment(day, self.at, self.fire_zone or self.zone)

    def member_slot(self, now: datetime, zone: ZoneInfo) -> datetime:
        """When a member's reminder fired at `now` may go: `at` on their local date, never before `now`."""
        local_day = aware_utc(now).astimezone(zone).date()
        return max(naive_utc(now), naive_utc(datetime.combine(local_day, self.at, tzinfo=zone)))

    def local_date(self, t: datetime) -> date:
        return _local_date(t, self.zone)


@dataclass(frozen=True, slots=True)
class ItemSnapshot:
    """What the rules need to know about one assignment."""

    status: str
    due: date | None
    since: datetime  # when the schedule began (publication): nothing is due before it
    starts: date | None = None
    period: Period | None = None
    last_reminder_at: datetime | None = None
    escalated_at: datetime | None = None

    @property
    def floor(self) -> datetime:
        """Reminders strictly after this moment have not been sent yet."""
        return naive_utc(self.last_reminder_at or self.since)


@dataclass(frozen=True, slots=True)
class Moment:
    at: datetime  # naive UTC
    day: date  # local date in the rules' zone
    kind: Kind


@lru_cache(maxsize=8192)
def _local_date(t: datetime, zone: ZoneInfo) -> date:
    # Asked thousands of times per planner tick, mostly of the same few instants (now, publication times).
    return aware_utc(t).astimezone(zone).date()


@lru_cache(maxsize=8192)
def _moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    # A zone conversion per call was a fifth of a planner tick: the same few hundred days recur.
    return naive_utc(datetime.combine(day, at, tzinfo=zone))


def aware_utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def naive_utc(t: datetime) -> datetime:
    return t if t.tzinfo is None else t.astimezone(UTC).replace(tzinfo=None)


def is_closed(status: str) -> bool:
    return status in CLOSED


def wants_reminders(status: str) -> bool:
    """Members are reminded until they report the item done."""
    return not is_closed(status) and status != Status.DONE


def is_undated(item: ItemSnapshot) -> bool:
    """No due date, no start date, no period: only the weekly digest mentions it."""
    return item.due is None and item.starts is None and item.period is None


def _overdue_days(item: ItemSnapshot, cfg: RuleConfig) -> Iterator[tuple[date, Kind]]:
    """Every `overdue_every_days` counted from the previous overdue reminder as actually sent, so a
    shift over a weekend does not bunch two reminders together. Chained from the due date: the cost
    grows by one step per `overdue_every_days` of delay, which stays negligible."""
    assert item.due is not None
    step = timedelta(days=cfg.overdue_every_days)
    day = item.due
    while True:
        day = cfg.calendar.next_working_day(day + step)
        yield day, Kind.OVERDUE


def _period_starts(period: Period, first: date) -> Iterator[date]:
    """Starts of the periods, from the one containing `first` on."""
    if period is Period.WEEK:
        day = first - timedelta(days=first.weekday())
        while True:
            yield day
            day += timedelta(weeks=1)
    step = _PERIOD_MONTHS[period]
    index = first.year * 12 + (first.month - 1) // step * step
    while True:
        yield date(index // 12, index % 12 + 1, 1)
        index += step


def _period_days(item: ItemSnapshot, cfg: RuleConfig, first: date, anchor: date) -> Iterator[tuple[date, Kind]]:
    assert item.period is not None
    for start in _period_starts(item.period, max(first, anchor)):
        if start >= anchor:
            yield cfg.calendar.next_working_day(start), Kind.PERIOD_START


def _fixed_days(item: ItemSnapshot, cfg: RuleConfig) -> tuple[tuple[date, Kind], ...]:
    # The planner asks this several times per item and tick, of items that share their due dates.
    unacknowledged = cfg.local_date(item.since) if item.status == Status.NEW else None
    return _fixed_days_of(item.due, item.escalated_at is None, item.starts, unacknowledged, cfg)


@lru_cache(maxsize=4096)
def _fixed_days_of(
    due: date | None, escalating: bool, starts: date | None, published_on: date | None, cfg: RuleConfig
) -> tuple[tuple[date, Kind], ...]:
    cal = cfg.calendar
    days: list[tuple[date, Kind]] = []
    if due is not None:
        for before in cfg.days_before:
            kind = Kind.BEFORE_DUE if before > 0 else Kind.DUE_TODAY
            days.append((cal.previous_working_day(due - timedelta(days=before)), kind))
        if escalating:
            escalation = due + timedelta(days=cfg.escalate_after_days)
            days.append((cal.next_working_day(escalation), Kind.ESCALATION))
    if starts is not None:
        days.append((cal.next_working_day(starts), Kind.START))
    if published_on is not None:
        # The first reminder chases acknowledgement; once «Ознакомлен» is pressed it is no longer planned.
        unacknowledged = published_on + timedelta(days=cfg.acknowledge_days)
        days.append((cal.next_working_day(unacknowledged), Kind.UNACKNOWLEDGED))
    return tuple(sorted(days, key=_order))


def _order(entry: tuple[date, Kind]) -> tuple[date, int]:
    return entry[0], _URGENCY[entry[1]]


def moments(item: ItemSnapshot, cfg: RuleConfig, first: date) -> Iterator[Moment]:
    """Every reminder moment of `item` on local days ≥ `first`, ascending, one per day.

    Infinite for overdue and recurring items: callers stop when they have what they need.
    """
    if is_closed(item.status):
        return
    # Shifting to a working day can move a date by up to ~12 days (New Year): start a little earlier.
    margin = first - timedelta(days=16)
    streams: list[Iterable[tuple[date, Kind]]] = [_fixed_days(item, cfg)]
    if item.due is not None:
        streams.append(_overdue_days(item, cfg))
    if item.period is not None:
        anchor = item.starts or cfg.local_date(item.since)
        streams.append(_period_days(item, cfg, margin, anchor))

    def early(entry: tuple[date, Kind]) -> bool:
        return entry[0] < first

    # Each stream is ascending: what lies before `first` is dropped before the merge, not by it.
    streams = [dropwhile(early, stream) for stream in streams]
    pending: tuple[date, Kind] | None = None
    for day, kind in heapq.merge(*streams, key=_order):
        if pending is not None and pending[0] == day:
            continue  # merged order puts the most urgent kind of the day first
        if pending is not None:
            yield Moment(cfg.moment(pending[0]), pending[0], pending[1])
        pending = (day, kind)
    if pending is not None:  # pragma: no branch - only finite schedules get here
        yield Moment(cfg.moment(pending[0]), pending[0], pending[1])


def next_reminder(item: ItemSnapshot, cfg: RuleConfig, after: datetime) -> Moment | None:
    """The first reminder moment strictly after `after`, or None when nothing more is planned."""
    after = naive_utc(after)
    for moment in moments(item, cfg, cfg.local_date(after)):
        if moment.at > after:
            return moment
    return None


def next_reminder_at(item: ItemSnapshot, cfg: RuleConfig, after: datetime) -> datetime | None:
    found = next_reminder(item, cfg, after)
    return found.at if found else None


def fired(item: ItemSnapshot, cfg: RuleConfig, now: datetime) -> list[Moment]:
    """Moments in (floor, now]: due now and not yet handled (several only after a downtime).

    After a downtime the missed moments collapse into one reminder now; a moment still to come on the
    same local day is then absorbed too (see `handled_until`), so nobody gets two reminders in one day."""
    floor, now = item.floor, naive_utc(now)
    found: list[Moment] = []
    for moment in moments(item, cfg, cfg.local_date(floor)):
        if moment.at > now:
            break
        if moment.at > floor:
            found.append(moment)
    return found


def handled_until(
    item: ItemSnapshot,
    cfg: RuleConfig,
    now: datetime,
    fired_now: list[Moment],
    following: Moment | EllipsisType | None = ...,
) -> datetime:
    """The new `last_reminder_at` after a reminder fired at `now`.

    Normally `now`. A catch-up sent shortly before the day's own slot stands for that slot as well: the
    member has just heard about the item and the text is rendered when sent, so a second copy would only
    repeat it. `following`: `next_reminder(item, cfg, now)` when the caller has it already.
    """
    now = naive_utc(now)
    if isinstance(following, EllipsisType):
        following = next_reminder(item, cfg, now)
    if fired_now and following is not None and following.day in {cfg.local_date(now), fired_now[-1].day}:
        return following.at
    return now


def overdue_days(item: ItemSnapshot, cfg: RuleConfig, now: datetime) -> int:
    """Days past the due date (negative: days left), in the rules' zone."""
    if item.due is None:
        return 0
    return (cfg.local_date(now) - item.due).days


def escalation_due(item: ItemSnapshot, cfg: RuleConfig, now: datetime) -> bool:
    """Overdue for `escalate_after_days` or more, still not reported done, and not escalated yet."""
    return (
        wants_reminders(item.status)
        and item.due is not None
        and item.escalated_at is None
        and overdue_days(item, cfg, now) >= cfg.escalate_after_days
    )


def in_quiet_hours(moment: time, start: time, end: time) -> bool:
    """Whether a local time falls in [start, end); a window may cross midnight (21:00–09:00)."""
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def deliver_at(
    t: datetime,
    *,
    zone: ZoneInfo,
    quiet_start: time,
    quiet_end: time,
    calendar: WorkCalendar,
) -> datetime:
    """The first moment ≥ t outside the member's quiet hours and on a working day in their zone.

    Inside quiet hours the message waits until they end; on a day off it waits for the same local
    time on the next working day (and then for the end of quiet hours, if that time is quiet).
    Returns naive UTC.
    """
    local = aware_utc(t).astimezone(zone)
    for _ in range(8):  # at most: quiet → day off → quiet
        if in_quiet_hours(local.time(), quiet_start, quiet_end):
            day = local.date()
            if quiet_start > quiet_end and local.time() >= quiet_start:
                day += timedelta(days=1)
            local = datetime.combine(day, quiet_end, tzinfo=zone)
            continue
        if not calendar.is_working_day(local.date()):
            day = calendar.next_working_day(local.date())
            local = datetime.combine(day, local.time(), tzinfo=zone)
            continue
        break
    return naive_utc(local)


def is_paused(paused_until: date | None, zone: ZoneInfo, now: datetime) -> bool:
    """A member on pause gets no reminders or digests before `paused_until` (their local date)."""
    return paused_until is not None and aware_utc(now).astimezone(zone).date() < paused_until


def digest_day(now: datetime, *, zone: ZoneInfo, weekday: int, at: time, calendar: WorkCalendar) -> date:
    """The latest weekly digest day whose `at` local time has come (a day off moves it forward).

    A member whose last digest is older than this day is due for one: after a downtime of several
    weeks this still yields a single day, so at most one catch-up digest goes out.
    """
    local = aware_utc(now).astimezone(zone)
    nominal = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    for _ in range(3):
        day = calendar.next_working_day(nominal)
        if datetime.combine(day, at, tzinfo=zone) <= local:
            return day
        nominal -= timedelta(weeks=1)
    return calendar.next_working_day(nominal)  # pragma: no cover - a shift never spans two weeks


__all__ = [
    "CLOSED",
    "ItemSnapshot",
    "Kind",
    "Moment",
    "Period",
    "RuleConfig",
    "deliver_at",
    "digest_day",
    "escalation_due",
    "fired",
    "handled_until",
    "in_quiet_hours",
    "is_closed",
    "is_paused",
    "is_undated",
    "moments",
    "next_reminder",
    "next_reminder_at",
    "overdue_days",
    "parse_period",
    "wants_reminders",
]
