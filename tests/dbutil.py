"""A fresh, migrated database for a test: SQLite, or PostgreSQL for the `database_url` fixture's second variant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from models import migrate
from models.db import create_engine, create_session_factory


@asynccontextmanager
async def migrated_db(url: str) -> AsyncIterator[tuple[AsyncEngine, async_sessionmaker[AsyncSession]]]:
    engine = create_engine(url)
    await migrate.upgrade(engine)
    try:
        yield engine, create_session_factory(engine)
    finally:
        await engine.dispose()
