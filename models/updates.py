"""Incoming updates taken once: the webhook's guard against Telegram's retries.

Telegram re-posts an update whose webhook request failed or timed out, and behind a load balancer the
retry may reach another instance. Before an update is handled its id is inserted-or-ignored in its own
short transaction: the instance whose insert lands handles it, every later delivery is dropped. The
claim commits before the handler runs, so a handler never holds the database's write lock (SQLite) or
a row lock (PostgreSQL) while it talks to Telegram; the price is that an update in hand when its
instance is killed is lost rather than retried — the user presses again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.entities import ProcessedUpdate
from models.timeutil import utcnow

KEEP = timedelta(days=1)  # Telegram gives up on an update long before this


async def claim(session: AsyncSession, update_id: int, now: datetime | None = None) -> bool:
    """True if this is the first delivery of `update_id` (the claim is committed), False for a repeat."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert: Any = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(ProcessedUpdate)
        .values(update_id=update_id, received_at=now or utcnow())
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(ProcessedUpdate.update_id)
    )
    # PostgreSQL: a concurrent insert of the same id waits for the other transaction and then conflicts.
    taken = (await session.execute(stmt)).first() is not None
    await session.commit()
    return taken


async def prune(session: AsyncSession, now: datetime | None = None) -> int:
    """Forget claims older than a day; returns how many."""
    cutoff = (now or utcnow()) - KEEP
    result = await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.received_at < cutoff))
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
