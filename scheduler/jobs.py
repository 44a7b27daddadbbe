"""The app's APScheduler: it only wakes the reminder planner; due times live in the database."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from scheduler import planner
from scheduler.delivery import DeliveryWorker

log = logging.getLogger(__name__)


def create_scheduler(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings, delivery: DeliveryWorker
) -> AsyncIOScheduler:
    """Build (not start) the scheduler; started in dp.startup, stopped in dp.shutdown."""
    scheduler = AsyncIOScheduler(timezone=UTC)

    async def run_tick() -> None:
        result = await planner.tick(session_factory, settings, datetime.now(UTC))
        if result.queued:
            delivery.wake()

    async def run_digest() -> None:
        await planner.digest_run(session_factory, settings, datetime.now(UTC))
        delivery.wake()

    planner.schedule_jobs(scheduler, run_tick, run_digest, digest_minute=settings.digest_time.minute)
    return scheduler
