"""Time in the database is naive UTC (portable across SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def local_today(zone: str | None, default_zone: str) -> date:
    """Today's date where the member is (their own time zone, else the bot's)."""
    return datetime.now(ZoneInfo(zone or default_zone)).date()
