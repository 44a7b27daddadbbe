"""Instances started together on one PostgreSQL: the schema is migrated once, whoever comes first."""

from __future__ import annotations

import asyncio

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from models import migrate
from models.db import create_engine
from tests.pgutil import postgres_database

pytestmark = pytest.mark.postgresql


async def test_instances_starting_at_once_migrate_the_schema_once() -> None:
    async with postgres_database() as url:
        engines = [create_engine(url) for _ in range(3)]
        try:
            await asyncio.gather(*(migrate.upgrade(engine) for engine in engines))
            async with engines[0].connect() as conn:
                versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
            head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
            assert versions == [head]
        finally:
            for engine in engines:
                await engine.dispose()
