"""A throwaway PostgreSQL database per test, on the server `.ci/run` starts on loopback.

`TEST_POSTGRES_URL` names a role that may create databases, e.g.
``postgresql+asyncpg://adresat:adresat@127.0.0.1:5432/postgres``. Without it the PostgreSQL
variants are skipped locally; under CI (``CI`` set) they fail, so the lane cannot vanish silently.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import create_engine

ENV = "TEST_POSTGRES_URL"


def admin_url() -> str:
    url = os.environ.get(ENV, "")
    if not url:
        message = f"{ENV} is not set: start PostgreSQL as .ci/run does to run this variant"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """Create an empty database, yield its URL, drop it afterwards (even if a connection is left open)."""
    admin = make_url(admin_url())
    name = f"adresat_test_{secrets.token_hex(6)}"
    engine = create_engine(admin.render_as_string(hide_password=False))
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin.set(database=name).render_as_string(hide_password=False)
        finally:
            await _drop(engine, name)
    finally:
        await engine.dispose()


async def _drop(engine: AsyncEngine, name: str) -> None:
    """Drop the test database; an autovacuum worker inside it may hold it for a moment, so try a few times."""
    for attempt in range(5):
        try:
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.2 * (attempt + 1))
