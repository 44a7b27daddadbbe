"""The app's APScheduler: it only wakes the reminder planner (`models.reminders`); due times live in the
database. Rows the planner queues wake the delivery worker through the session factory's commit hook."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import channels, reminders, updates
from models.config import Config

log = logging.getLogger(__name__)

TICK_SECONDS = 30
# Every job: a late run runs, missed runs collapse into one, and a run never overlaps the next (see
# `schedule_jobs` for why APScheduler's defaults would lose runs).
JOB_OPTIONS: dict[str, Any] = {
    "coalesce": True,
    "max_instances": 1,
    "misfire_grace_time": None,
    "replace_existing": True,
}


def create_scheduler(session_factory: async_sessionmaker[AsyncSession], config: Config) -> AsyncIOScheduler:
    """Build (not start) the scheduler; started in dp.startup, stopped in dp.shutdown."""
    scheduler = AsyncIOScheduler(timezone=UTC)

    async def run_tick() -> None:
        await reminders.tick(session_factory, config, datetime.now(UTC))

    async def run_digest() -> None:
        await reminders.digest_run(session_factory, config, datetime.now(UTC))

    schedule_jobs(scheduler, run_tick, run_digest, digest_minute=config.digest_at.minute)
    fallback_after = config.channel_fallback_after
    if fallback_after is not None:
        # Notices a messenger has not delivered in time go once to the member's other messenger.
        from apscheduler.triggers.interval import IntervalTrigger

        async def run_fallback() -> None:
            async with session_factory() as session:
                await channels.fallback_overdue(session, datetime.now(UTC).replace(tzinfo=None), fallback_after)

        scheduler.add_job(run_fallback, IntervalTrigger(seconds=TICK_SECONDS), id="channel-fallback", **JOB_OPTIONS)
    return scheduler


def schedule_jobs(
    scheduler: AsyncIOScheduler,
    run_tick: Callable[[], Awaitable[None]],
    run_digest: Callable[[], Awaitable[None]],
    *,
    tick_seconds: float = TICK_SECONDS,
    digest_minute: int = 0,
) -> None:
    """Add the two wake-up jobs. The jobs hold no state: what is due lives in the database.

    APScheduler's defaults would lose runs: `misfire_grace_time` is 1 s, so a run that starts later than
    that (a busy event loop, a suspended VM) is skipped with only a log line. Hence:
    - `misfire_grace_time=None`: a late run always runs, however late;
    - `coalesce=True`: runs missed meanwhile collapse into that one run (the planner catches up anyway);
    - `max_instances=1`: a slow run is never overlapped by the next one.
    The digest job runs hourly rather than daily so that every member's time zone reaches its digest
    time within the hour; a run with nothing due costs one query.
    """
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler.add_job(run_tick, IntervalTrigger(seconds=tick_seconds), id="reminders-tick", **JOB_OPTIONS)
    scheduler.add_job(run_digest, CronTrigger(minute=digest_minute), id="reminders-digest", **JOB_OPTIONS)


PRUNE_MINUTES = 60


def add_maintenance_jobs(
    scheduler: AsyncIOScheduler,
    session_factory: async_sessionmaker[AsyncSession],
    observe_tick: Callable[[float], None] | None = None,
) -> None:
    """Jobs of running in production, on the planner's instance: forget webhook update ids after a day, and
    time every planner tick for /metrics (the tick job is wrapped, so its schedule stays as it is)."""
    from apscheduler.triggers.interval import IntervalTrigger

    async def prune_updates() -> None:
        async with session_factory() as session:
            await updates.prune(session)

    scheduler.add_job(prune_updates, IntervalTrigger(minutes=PRUNE_MINUTES), id="prune-updates", **JOB_OPTIONS)
    if observe_tick is None:
        return
    tick = scheduler.get_job("reminders-tick")
    if tick is None:
        return
    run_tick: Callable[[], Awaitable[None]] = tick.func

    async def timed_tick() -> None:
        started = time.perf_counter()
        try:
            await run_tick()
        finally:
            observe_tick(time.perf_counter() - started)

    scheduler.modify_job("reminders-tick", func=timed_tick)
