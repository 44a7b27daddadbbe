"""Russian working days for reminders and digests.

Non-working days: Saturdays and Sundays, the official holidays and transferred days off of the
`holidays` package (country RU), and `settings.extra_days_off`. A weekend day that a transfer makes a
working day (Saturday 1 November 2025, say) is a working day: the package lists those too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum
from functools import cache

import holidays

_SEARCH_LIMIT = 366  # no year has a run of days off this long; guards against a bad extra_days_off list
_WALK_CACHE = 100_000  # entries (a few MB at most): a long-running process never grows past it


class DayOff(StrEnum):
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # an official holiday
    TRANSFER = "transfer"  # a day off moved from a weekend, or one of extra_days_off


@cache
def _russian_year(year: int) -> tuple[dict[date, DayOff], frozenset[date]]:
    """One year's official days off and its working weekend days (cached: the package builds them slowly)."""
    found = holidays.country_holidays("RU", years=year)
    days_off = {
        day: DayOff.TRANSFER if str(name).startswith("Day off") else DayOff.HOLIDAY
        for day, name in sorted(found.items())
    }
    return days_off, frozenset(found.weekend_workdays)


def parse_days(values: Iterable[str | date]) -> frozenset[date]:
    """`extra_days_off` as dates; a malformed entry names itself in the error."""
    days: set[date] = set()
    for value in values:
        if isinstance(value, date):
            days.add(value)
            continue
        try:
            days.add(date.fromisoformat(value.strip()))
        except ValueError as exc:
            raise ValueError(f"EXTRA_DAYS_OFF: ожидается дата ГГГГ-ММ-ДД, получено {value!r}") from exc
    return frozenset(days)


class WorkCalendar:
    """Which days reminders may go out on."""

    def __init__(self, extra_days_off: Iterable[str | date] = ()) -> None:
        self.extra = parse_days(extra_days_off)
        # (day, direction) → the working day found. The planner asks the same few hundred days thousands of
        # times per tick (every item's due date, ± the reminder offsets); the calendar never changes.
        self._walked: dict[tuple[date, int], date] = {}

    def day_off(self, day: date) -> DayOff | None:
        """Why `day` is not a working day, or None when it is one."""
        if day in self.extra:
            return DayOff.TRANSFER
        days_off, weekend_workdays = _russian_year(day.year)
        official = days_off.get(day)
        if official is not None:
            return official
        if day.weekday() >= 5 and day not in weekend_workdays:
            return DayOff.WEEKEND
        return None

    def is_working_day(self, day: date) -> bool:
        return self.day_off(day) is None

    def next_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the first working day after it."""
        return self._walk(day, 1)

    def previous_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the last working day before it."""
        return self._walk(day, -1)

    def _walk(self, day: date, step: int) -> date:
        found = self._walked.get((day, step))
        if found is not None:
            return found
        start = day
        for _ in range(_SEARCH_LIMIT):
            if self.is_working_day(day):
                if len(self._walked) < _WALK_CACHE:
                    self._walked[(start, step)] = day
                return day
            day += timedelta(days=step)
        raise ValueError("no working day within a year: check EXTRA_DAYS_OFF")
