"""Plain, frozen configuration the domain services take (built once from the settings in `bot/`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta

from models.calendar import WorkCalendar
from models.rules import RuleConfig


@dataclass(frozen=True, slots=True)
class Config:
    admin_ids: frozenset[int] = frozenset()
    review_required: bool = True
    rules: RuleConfig = field(default_factory=RuleConfig)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(9, 0)
    digest_weekday: int = 0
    digest_at: time = time(10, 0)
    # A notice not delivered within this time goes once to the member's other messenger (None: off).
    channel_fallback_after: timedelta | None = None
    invite_ttl_days: int = 14  # how long an invite link works

    @property
    def calendar(self) -> WorkCalendar:
        return self.rules.calendar
