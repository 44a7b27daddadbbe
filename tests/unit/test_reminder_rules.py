"""The reminder rules, with an injected `now`: no clock, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice, takewhile
from zoneinfo import ZoneInfo

import pytest

from models import rules
from models.calendar import WorkCalendar
from models.entities import Status
from models.rules import ItemSnapshot, Kind, Period, RuleConfig

MSK = ZoneInfo("Europe/Moscow")
YEKT = ZoneInfo("Asia/Yekaterinburg")  # UTC+5
KALT = ZoneInfo("Europe/Kaliningrad")  # UTC+2
CFG = RuleConfig()
CAL = WorkCalendar()


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A naive UTC datetime, as stored in the database."""
    return datetime(year, month, day, hour, minute)


def msk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Moscow wall-clock time as naive UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=MSK).astimezone(UTC).replace(tzinfo=None)


def simulate(snap: ItemSnapshot, until: datetime) -> list[tuple[date, Kind, bool]]:
    """What the planner does with one item: fire at each planned time, escalate once, plan the next."""
    seen: list[tuple[date, Kind, bool]] = []
    after = snap.since
    while (moment := rules.next_reminder(snap, CFG, after)) is not None and moment.at <= until:
        now = moment.at + timedelta(seconds=20)  # the tick runs a little after the planned time
        fired = rules.fired(snap, CFG, now)
        assert fired == [moment]
        snap = replace(snap, last_reminder_at=now)
        escalate = rules.escalation_due(snap, CFG, now)
        if escalate:
            snap = replace(snap, escalated_at=now)
        seen.append((moment.day, moment.kind, escalate))
        after = now
    return seen


def test_full_timeline_of_one_item() -> None:
    """Published → 14/3/1/0-day reminders → overdue every 3 days → one escalation after 7 days."""
    snap = ItemSnapshot(status=Status.ACKNOWLEDGED, due=date(2026, 5, 20), since=msk(2026, 4, 20, 12, 0))
    assert simulate(snap, until=msk(2026, 6, 9)) == [
        (date(2026, 5, 6), Kind.BEFORE_DUE, False),  # D-14
        (date(2026, 5, 15), Kind.BEFORE_DUE, False),  # D-3 is Sunday 17 May: Friday before
        (date(2026, 5, 19), Kind.BEFORE_DUE, False),  # D-1
        (date(2026, 5, 20), Kind.DUE_TODAY, False),
        (date(2026, 5, 25), Kind.OVERDUE, False),  # D+3 is Saturday: Monday
        (date(2026, 5, 27), Kind.ESCALATION, True),  # D+7, once
        (date(2026, 5, 28), Kind.OVERDUE, False),  # 3 days after the last overdue reminder
        (date(2026, 6, 1), Kind.OVERDUE, False),  # Sunday 31 May: Monday
        (date(2026, 6, 4), Kind.OVERDUE, False),
        (date(2026, 6, 8), Kind.OVERDUE, False),  # Sunday 7 June: Monday
    ]


def test_reminders_go_out_at_ten_moscow_time() -> None:
    snap = ItemSnapshot(status=Status.ACKNOWLEDGED, due=date(2026, 5, 20), since=msk(2026, 4, 20, 12, 0))
    assert rules.next_reminder_at(snap, CFG, snap.since) == utc(2026, 5, 6, 7, 0)


def test_published_late_skips_reminders_already_past() -> None:
    snap = ItemSnapshot(status=Status.ACKNOWLEDGED, due=date(2026, 5, 20), since=msk(2026, 5, 18, 15, 0))
    assert rules.next_reminder(snap, CFG, snap.since) == rules.Moment(
        msk(2026, 5, 19, 10, 0), date(2026, 5, 19), Kind.BEFORE_DUE
    )


@pytest.mark.parametrize("status", [Status.ACCEPTED])
def test_nothing_after_acceptance(status: Status) -> None:
    snap = ItemSnapshot(status=status, due=date(2026, 5, 20), since=msk(2026, 4, 20, 12, 0))
    assert rules.next_reminder_at(snap, CFG, msk(2026, 5, 1)) is None
    assert rules.fired(snap, CFG, msk(2026, 7, 1)) == []
    assert not rules.escalation_due(snap, CFG, msk(2026, 7, 1))


def test_done_awaiting_review_keeps_schedule_but_is_not_reminded_nor_escalated() -> None:
    snap = ItemSnapshot(status=Status.DONE, due=date(2026, 5, 20), since=msk(2026, 4, 20, 12, 0))
    assert not rules.wants_reminders(snap.status)
    assert not rules.escalation_due(snap, CFG, msk(2026, 6, 1, 12))
    assert rules.next_reminder_at(snap, CFG, msk(2026, 5, 21)) is not None  # a reviewer may return it


def test_escalation_needs_seven_days_and_happens_once() -> None:
    snap = ItemSnapshot(status=Status.IN_PROGRESS, due=date(2026, 5, 20), since=msk(2026, 4, 20, 12, 0))
    assert not rules.escalation_due(snap, CFG, msk(2026, 5, 26, 12))
    assert rules.escalation_due(snap, CFG, msk(2026, 5, 27, 10))
    assert not rules.escalation_due(replace(snap, escalated_at=msk(2026, 5, 27, 10)), CFG, msk(2026, 6, 5))


def test_downtime_collapses_missed_reminders_into_one() -> None:
    snap = ItemSnapshot(status=Status.ACKNOWLEDGED, due=date(2026, 5, 20), since=msk(2026, 4, 20, 12, 0))
    fired = rules.fired(snap, CFG, msk(2026, 5, 21, 10, 30))  # nothing ran since publication
    assert [m.day for m in fired] == [date(2026, 5, 6), date(2026, 5, 15), date(2026, 5, 19), date(2026, 5, 20)]
    after = replace(snap, last_reminder_at=msk(2026, 5, 21, 10, 30))
    assert rules.fired(after, CFG, msk(2026, 5, 21, 10, 31)) == []
    assert rules.next_reminder_at(after, CFG, msk(2026, 5, 21, 10, 30)) == msk(2026, 5, 25, 10, 0)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        # Due on a holiday: the reminders before it move back, "on the day" becomes the last working day.
        (date(2026, 5, 9), [date(2026, 4, 24), date(2026, 5, 6), date(2026, 5, 8)]),
        (date(2026, 1, 1), [date(2025, 12, 18), date(2025, 12, 29), date(2025, 12, 30)]),  # 31 Dec is off
        # Due on a Sunday; D-14 is Sunday 3 May, and Friday 1 May is a holiday.
        (date(2026, 5, 17), [date(2026, 4, 30), date(2026, 5, 14), date(2026, 5, 15)]),
    ],
)
def test_due_on_a_day_off(due: date, expected: list[date]) -> None:
    snap = ItemSnapshot(status=Status.ACKNOWLEDGED, due=due, since=datetime.combine(due, time()) - timedelta(days=30))
    days = [m.day for m in takewhile(lambda m: m.day <= due, rules.moments(snap, CFG, snap.since.date()))]
    assert days == expected
    assert all(CAL.is_working_day(d) for d in days)


def test_start_date_reminder_on_that_day_or_the_next_working_one() -> None:
    snap = ItemSnapshot(status=Status.ACKNOWLEDGED, due=None, starts=date(2026, 9, 1), since=msk(2026, 8, 1))
    moment = rules.next_reminder(snap, CFG, snap.since)
    assert moment == rules.Moment(msk(2026, 9, 1, 10), date(2026, 9, 1), Kind.START)
    assert rules.next_reminder(snap, CFG, moment.at) is None
    saturday = replace(snap, starts=date(2026, 8, 1), since=msk(2026, 7, 1))
    assert rules.next_reminder_at(saturday, CFG, saturday.since) == msk(2026, 8, 3, 10)


def test_quarterly_item_at_each_period_start() -> None:
    snap = ItemSnapshot(status=Status.ACKNOWLEDGED, due=None, period=Period.QUARTER, since=msk(2025, 11, 15))
    found: list[tuple[date, Kind]] = []
    after = snap.since
    for _ in range(4):
        moment = rules.next_reminder(snap, CFG, after)
        assert moment is not None
        found.append((moment.day, moment.kind))
        after = moment.at
    assert found == [
        (date(2026, 1, 12), Kind.PERIOD_START),  # 1 January: first working day after the New Year holidays
        (date(2026, 4, 1), Kind.PERIOD_START),
        (date(2026, 7, 1), Kind.PERIOD_START),
        (date(2026, 10, 1), Kind.PERIOD_START),
    ]


def test_recurring_from_its_start_date() -> None:
    snap = ItemSnapshot(
        status=Status.ACKNOWLEDGED, due=None, starts=date(2026, 2, 2), period=Period.MONTH, since=msk(2026, 1, 20)
    )
    days = [m.day for m in islice(rules.moments(snap, CFG, date(2026, 1, 20)), 3)]
    assert days == [date(2026, 2, 2), date(2026, 3, 2), date(2026, 4, 1)]


@pytest.mark.parametrize(
    ("recurring", "label", "period"),
    [
        (True, "ежеквартально", Period.QUARTER),
        (True, "quarterly", Period.QUARTER),
        (True, "Quarter", Period.QUARTER),
        (True, "ежемесячно", Period.MONTH),
        (True, "раз в полугодие", Period.HALF_YEAR),
        (True, "half_year", Period.HALF_YEAR),
        (True, "ежегодно", Period.YEAR),
        (True, "еженедельно", Period.WEEK),
        (True, "ежедневно", None),
        (True, None, None),
        (False, "quarterly", None),
    ],
)
def test_parse_period(recurring: bool, label: str | None, period: Period | None) -> None:
    assert rules.parse_period(recurring, label) == period


def test_undated_items_are_left_to_the_digest() -> None:
    snap = ItemSnapshot(status=Status.ACKNOWLEDGED, due=None, since=msk(2026, 5, 1))
    assert rules.is_undated(snap)
    assert rules.next_reminder_at(snap, CFG, snap.since) is None


@pytest.mark.parametrize(
    ("moment", "start", "end", "quiet"),
    [
        (time(22, 0), time(21, 0), time(9, 0), True),
        (time(3, 0), time(21, 0), time(9, 0), True),
        (time(9, 0), time(21, 0), time(9, 0), False),
        (time(20, 59), time(21, 0), time(9, 0), False),
        (time(13, 30), time(13, 0), time(14, 0), True),
        (time(14, 0), time(13, 0), time(14, 0), False),
        (time(12, 0), time(13, 0), time(14, 0), False),
        (time(3, 0), time(0, 0), time(0, 0), False),  # equal ends: no quiet hours
    ],
)
def test_in_quiet_hours(moment: time, start: time, end: time, quiet: bool) -> None:
    assert rules.in_quiet_hours(moment, start, end) is quiet


def deliver(t: datetime, zone: ZoneInfo, start: time = time(21, 0), end: time = time(9, 0)) -> datetime:
    return rules.deliver_at(t, zone=zone, quiet_start=start, quiet_end=end, calendar=CAL)


@pytest.mark.parametrize(
    ("t", "zone", "expected"),
    [
        # Wednesday 20 May 2026, 19:30 UTC: 22:30 in Moscow (quiet → Thursday 09:00 MSK) ...
        (utc(2026, 5, 20, 19, 30), MSK, utc(2026, 5, 21, 6, 0)),
        # ... 00:30 on Thursday in Yekaterinburg (quiet → 09:00 YEKT) ...
        (utc(2026, 5, 20, 19, 30), YEKT, utc(2026, 5, 21, 4, 0)),
        # ... 21:30 in Kaliningrad (quiet → 09:00 KALT).
        (utc(2026, 5, 20, 19, 30), KALT, utc(2026, 5, 21, 7, 0)),
        # 10:00 in Moscow is 12:00 in Yekaterinburg and 09:00 in Kaliningrad: all awake.
        (utc(2026, 5, 20, 7, 0), MSK, utc(2026, 5, 20, 7, 0)),
        (utc(2026, 5, 20, 7, 0), YEKT, utc(2026, 5, 20, 7, 0)),
        (utc(2026, 5, 20, 7, 0), KALT, utc(2026, 5, 20, 7, 0)),
        # 16:30 UTC: 19:30 in Moscow (fine), 21:30 in Yekaterinburg (waits until 09:00 local).
        (utc(2026, 5, 20, 16, 30), MSK, utc(2026, 5, 20, 16, 30)),
        (utc(2026, 5, 20, 16, 30), YEKT, utc(2026, 5, 21, 4, 0)),
        # 06:30 UTC: 08:30 in Kaliningrad, still quiet.
        (utc(2026, 5, 20, 6, 30), KALT, utc(2026, 5, 20, 7, 0)),
        # Friday 22:00 in Moscow: quiet, then the weekend → Monday 09:00.
        (utc(2026, 5, 15, 19, 0), MSK, utc(2026, 5, 18, 6, 0)),
        # Friday 8 May 22:00: Saturday is Victory Day, Monday 11 May is its day off → Tuesday 09:00.
        (utc(2026, 5, 8, 19, 0), MSK, utc(2026, 5, 12, 6, 0)),
        # Saturday 12:00 (not quiet, a day off) → Monday 12:00.
        (utc(2026, 5, 16, 9, 0), MSK, utc(2026, 5, 18, 9, 0)),
    ],
)
def test_deliver_at_quiet_hours_and_time_zones(t: datetime, zone: ZoneInfo, expected: datetime) -> None:
    assert deliver(t, zone) == expected


def test_deliver_at_window_within_a_day() -> None:
    assert deliver(msk(2026, 5, 20, 13, 30), MSK, time(13, 0), time(14, 0)) == msk(2026, 5, 20, 14, 0)
    assert deliver(msk(2026, 5, 20, 23, 30), MSK, time(13, 0), time(14, 0)) == msk(2026, 5, 20, 23, 30)


def test_deliver_at_accepts_aware_datetimes() -> None:
    aware = datetime(2026, 5, 20, 19, 30, tzinfo=UTC)
    assert deliver(aware, MSK) == utc(2026, 5, 21, 6, 0)


def test_pause_until_a_date_in_the_members_zone() -> None:
    assert rules.is_paused(date(2026, 5, 21), MSK, utc(2026, 5, 20, 20, 59))  # 23:59 on the 20th in Moscow
    assert not rules.is_paused(date(2026, 5, 21), MSK, utc(2026, 5, 20, 21, 0))  # midnight: resumes
    assert not rules.is_paused(None, MSK, utc(2026, 5, 20))


def digest_day(now: datetime, zone: ZoneInfo = MSK) -> date:
    return rules.digest_day(now, zone=zone, weekday=0, at=time(10, 0), calendar=CAL)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (msk(2026, 5, 25, 10, 0), date(2026, 5, 25)),  # Monday 10:00
        (msk(2026, 5, 25, 9, 59), date(2026, 5, 18)),  # before 10:00: the previous one
        (msk(2026, 5, 28, 15, 0), date(2026, 5, 25)),
        (msk(2026, 5, 18, 9, 0), date(2026, 5, 12)),  # Monday 11 May was a holiday: Tuesday 12 May
        (msk(2026, 5, 11, 12, 0), date(2026, 5, 4)),  # Monday 11 May itself: the digest waits for Tuesday
        (msk(2026, 5, 12, 10, 0), date(2026, 5, 12)),
    ],
)
def test_digest_day(now: datetime, expected: date) -> None:
    assert digest_day(now) == expected


def test_digest_day_in_the_members_zone() -> None:
    now = utc(2026, 5, 25, 6, 0)  # 09:00 in Moscow, 11:00 in Yekaterinburg
    assert digest_day(now, MSK) == date(2026, 5, 18)
    assert digest_day(now, YEKT) == date(2026, 5, 25)


def test_a_new_item_is_chased_for_acknowledgement_once() -> None:
    """Published on Friday 15 May 2026: three days later is Monday 18 May, 10:00 Moscow."""
    snap = ItemSnapshot(status=Status.NEW, due=None, since=msk(2026, 5, 15, 12, 0))
    first = rules.next_reminder(snap, CFG, snap.since)
    assert first is not None
    assert (first.day, first.kind) == (date(2026, 5, 18), Kind.UNACKNOWLEDGED)
    assert first.at == datetime(2026, 5, 18, 7, 0)  # 10:00 MSK in naive UTC
    assert rules.next_reminder(snap, CFG, first.at) is None  # once, not every day
    # Once acknowledged, nothing is planned for an undated item: the weekly digest covers it.
    assert rules.next_reminder_at(replace(snap, status=Status.ACKNOWLEDGED), CFG, snap.since) is None


def test_acknowledgement_reminder_merges_with_a_due_reminder_the_same_day() -> None:
    # Due 21 May: D-3 falls on the same Monday 18 May; the member gets one reminder, the more urgent kind.
    snap = ItemSnapshot(status=Status.NEW, due=date(2026, 5, 21), since=msk(2026, 5, 15, 12, 0))
    first = rules.next_reminder(snap, CFG, snap.since)
    assert first is not None
    assert (first.day, first.kind) == (date(2026, 5, 18), Kind.BEFORE_DUE)
