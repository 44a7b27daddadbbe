"""The APScheduler jobs only wake the planner up; late runs must run, not be dropped."""

from __future__ import annotations

from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scheduler import jobs as planner


async def _noop() -> None:
    return None


def test_jobs_run_late_rather_than_never_and_never_overlap() -> None:
    scheduler = AsyncIOScheduler(timezone=UTC)
    planner.schedule_jobs(scheduler, _noop, _noop)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"reminders-tick", "reminders-digest"}
    for job in jobs.values():
        assert job.misfire_grace_time is None  # APScheduler's default (1 s) would skip a late run silently
        assert job.coalesce is True  # missed runs collapse into one
        assert job.max_instances == 1  # a slow run is not overlapped
    tick, digest = jobs["reminders-tick"], jobs["reminders-digest"]
    assert isinstance(tick.trigger, IntervalTrigger)
    assert tick.trigger.interval.total_seconds() == planner.TICK_SECONDS
    assert tick.func is _noop
    assert isinstance(digest.trigger, CronTrigger)
    assert str(digest.trigger) == "cron[minute='0']"  # hourly: every time zone reaches its digest hour


def test_job_timing_is_configurable() -> None:
    scheduler = AsyncIOScheduler(timezone=UTC)
    planner.schedule_jobs(scheduler, _noop, _noop, tick_seconds=5, digest_minute=30)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert jobs["reminders-tick"].trigger.interval.total_seconds() == 5
    assert str(jobs["reminders-digest"].trigger) == "cron[minute='30']"
