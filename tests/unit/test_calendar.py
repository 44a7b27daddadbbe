"""The Russian working-day calendar and how due dates on days off are described."""

from __future__ import annotations

from datetime import date

import pytest

from models.calendar import DayOff, WorkCalendar
from ui.texts import describe_due


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 1, 1), DayOff.HOLIDAY),  # New Year
        (date(2026, 1, 9), DayOff.TRANSFER),  # moved from Saturday 3 January
        (date(2026, 5, 9), DayOff.HOLIDAY),  # Victory Day, a Saturday
        (date(2026, 5, 11), DayOff.HOLIDAY),  # Victory Day observed on Monday
        (date(2026, 5, 16), DayOff.WEEKEND),
        (date(2026, 5, 17), DayOff.WEEKEND),
        (date(2026, 5, 12), None),
        (date(2026, 1, 12), None),
        (date(2025, 11, 1), None),  # a working Saturday: its day off moved to Monday 3 November
        (date(2025, 11, 3), DayOff.TRANSFER),
        (date(2024, 12, 28), None),  # a working Saturday before the New Year break
        (date(2024, 1, 6), DayOff.HOLIDAY),  # a Saturday inside the New Year holidays stays a day off
    ],
)
def test_days_off(day: date, reason: DayOff | None) -> None:
    calendar = WorkCalendar()
    assert calendar.day_off(day) == reason
    assert calendar.is_working_day(day) is (reason is None)


def test_extra_days_off_from_settings() -> None:
    calendar = WorkCalendar(["2026-05-13", " 2026-05-14"])
    assert calendar.day_off(date(2026, 5, 13)) == DayOff.TRANSFER
    assert calendar.next_working_day(date(2026, 5, 13)) == date(2026, 5, 15)


def test_malformed_extra_day_names_itself() -> None:
    with pytest.raises(ValueError, match=r"13\.05\.2026"):
        WorkCalendar(["13.05.2026"])


@pytest.mark.parametrize(
    ("day", "following", "preceding"),
    [
        (date(2026, 1, 1), date(2026, 1, 12), date(2025, 12, 30)),  # 31 December 2025 is a day off too
        (date(2026, 5, 9), date(2026, 5, 12), date(2026, 5, 8)),
        (date(2026, 5, 16), date(2026, 5, 18), date(2026, 5, 15)),
        (date(2026, 5, 13), date(2026, 5, 13), date(2026, 5, 13)),
    ],
)
def test_next_and_previous_working_day(day: date, following: date, preceding: date) -> None:
    calendar = WorkCalendar()
    assert calendar.next_working_day(day) == following
    assert calendar.previous_working_day(day) == preceding


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2026, 5, 15), "15 мая 2026 г."),
        (date(2026, 5, 16), "16 мая 2026 г. (выходной день)"),
        (date(2026, 5, 9), "9 мая 2026 г. (праздничный день)"),
        (date(2026, 1, 1), "1 января 2026 г. (праздничный день)"),
        (date(2026, 1, 9), "9 января 2026 г. (нерабочий день)"),
    ],
)
def test_describe_due(day: date, text: str) -> None:
    assert describe_due(day, WorkCalendar()) == text


def test_describe_due_with_extra_day_off() -> None:
    assert describe_due(date(2026, 5, 13), WorkCalendar(["2026-05-13"])) == "13 мая 2026 г. (нерабочий день)"
