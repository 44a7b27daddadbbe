"""A fresh, migrated database for a test: SQLite, or PostgreSQL for the `database_url` fixture's second variant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from models import migrate
from models.config import Config
from models.db import create_engine, create_session_factory
from models.entities import Delivery, DeliveryState
from ui.render import Renderer


@asynccontextmanager
async def migrated_db(url: str) -> AsyncIterator[tuple[AsyncEngine, async_sessionmaker[AsyncSession]]]:
    engine = create_engine(url)
    await migrate.upgrade(engine)
    try:
        yield engine, create_session_factory(engine)
    finally:
        await engine.dispose()


async def rendered_notices(session: AsyncSession, chat_id: int, config: Config | None = None) -> list[str]:
    """The texts of the notices waiting in the outbox for `chat_id`, rendered as the worker would now."""
    rows = (
        await session.scalars(
            select(Delivery)
            .where(Delivery.chat_id == chat_id, Delivery.state == DeliveryState.PENDING)
            .order_by(Delivery.id)
        )
    ).all()
    messages = await Renderer(config or Config()).render(session, rows)
    return [m.text for m in messages if m is not None]
