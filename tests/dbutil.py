"""A fresh, migrated SQLite database for a test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from models import migrate
from models.db import create_engine, create_session_factory


@asynccontextmanager
async def migrated_db(folder: Path) -> AsyncIterator[tuple[AsyncEngine, async_sessionmaker[AsyncSession]]]:
    engine = create_engine(f"sqlite+aiosqlite:///{folder / 'test.db'}")
    await migrate.upgrade(engine)
    try:
        yield engine, create_session_factory(engine)
    finally:
        await engine.dispose()
