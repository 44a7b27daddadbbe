"""A member's own settings — time zone, quiet hours, vacation pause — for both messengers: the card /me
shows, what a settings button changes, and the pause date as typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from models.entities import Member
from ui import texts
from ui.callbacks import ProfileAction


@dataclass(frozen=True, slots=True)
class Defaults:
    """What a member who set nothing gets: the bot's time zone and quiet hours."""

    timezone: str
    quiet_start: time
    quiet_end: time


def card(member: Member, defaults: Defaults, today: date) -> str:
    zone = member.timezone or defaults.timezone
    start, end = member.quiet_start or defaults.quiet_start, member.quiet_end or defaults.quiet_end
    quiet = "нет" if start == end else f"{start:%H:%M}–{end:%H:%M}"
    pause = texts.ME_ACTIVE
    if member.paused_until is not None and member.paused_until > today:
        pause = texts.ME_PAUSED.format(date=texts.fmt_date(member.paused_until))
    return texts.ME_CARD.format(
        name=texts.esc(member.full_name or "—"),
        org=texts.esc(member.organisation.name if member.organisation else "—"),
        role=texts.ROLE_NAMES.get(member.role, member.role),
        tz=texts.TIMEZONES.get(zone, zone),
        quiet=quiet,
        pause=pause,
    )


def setting_change(action: ProfileAction, value: str) -> dict[str, Any] | None:
    """The profile fields a «set» button changes, or None for a value this bot never offered."""
    if action == ProfileAction.SET_TIMEZONE and value in texts.TIMEZONES:
        return {"timezone": value}
    if action == ProfileAction.SET_QUIET and value in texts.QUIET_PRESETS:
        if value == "off":
            return {"quiet_start": time(0, 0), "quiet_end": time(0, 0)}
        start, end = value.split("-")
        return {"quiet_start": time(int(start)), "quiet_end": time(int(end))}
    return None


@dataclass(frozen=True, slots=True)
class PauseAnswer:
    """The typed pause date: `ok` with the date (None: pause off) and the reply, or a reply asking again."""

    ok: bool
    until: date | None
    reply: str


def read_pause(raw: str, today: date) -> PauseAnswer:
    raw = raw.strip()
    if raw == "0":
        return PauseAnswer(True, None, texts.ME_PAUSE_OFF)
    try:
        until = datetime.strptime(raw, "%d.%m.%Y").date()
    except ValueError:
        return PauseAnswer(False, None, texts.EXTENSION_BAD_DATE)
    if until <= today:
        return PauseAnswer(False, None, texts.ME_PAUSE_PAST)
    return PauseAnswer(True, until, texts.ME_PAUSE_SET.format(date=texts.fmt_date(until)))
