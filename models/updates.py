"""Incoming updates taken once: the webhooks' guard against Telegram's and MAX's retries.

Telegram re-posts an update whose webhook request failed or timed out, and behind a load balancer the
retry may reach another instance. Before an update is handled its id is inserted-or-ignored in its own
short transaction: the instance whose insert lands handles it, every later delivery is dropped. The
claim commits before the handler runs, so a handler never holds the database's write lock (SQLite) or
a row lock (PostgreSQL) while it talks to Telegram; the price is that an update in hand when its
instance is killed is lost rather than retried — the user presses again.

MAX's updates carry no number: one is named by its callback id (a press), its message's mid (a new message),
or else by its kind, user and timestamp (`max_update_key`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.entities import ProcessedMaxUpdate, ProcessedUpdate
from models.timeutil import utcnow

KEEP = timedelta(days=1)  # Telegram gives up on an update long before this


async def claim(session: AsyncSession, update_id: int, now: datetime | None = None) -> bool:
    """True if this is the first delivery of `update_id` (the claim is committed), False for a repeat."""
    return await _claim(session, ProcessedUpdate, "update_id", update_id, now)


async def claim_max(session: AsyncSession, key: str, now: datetime | None = None) -> bool:
    """The same for a MAX update named by `key` (`max_update_key`)."""
    return await _claim(session, ProcessedMaxUpdate, "key", key, now)


def max_update_key(update: dict[str, Any]) -> str:
    """What names one MAX update: a press's callback id, a new message's mid, else kind:user:timestamp."""
    kind = str(update.get("update_type", ""))
    callback = update.get("callback")
    if kind == "message_callback" and isinstance(callback, dict) and callback.get("callback_id"):
        return str(callback["callback_id"])[:128]
    message = update.get("message")
    body = message.get("body") if isinstance(message, dict) else None
    if kind == "message_created" and isinstance(body, dict) and body.get("mid"):
        return str(body["mid"])[:128]
    user = update.get("user")
    sender = message.get("sender") if isinstance(message, dict) else None
    who = next(
        (p.get("user_id") for p in (user, sender, callback) if isinstance(p, dict) and p.get("user_id") is not None),
        update.get("chat_id"),
    )
    return f"{kind}:{who}:{update.get('timestamp')}"[:128]


async def _claim(session: AsyncSession, entity: Any, column: str, value: object, now: datetime | None) -> bool:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert: Any = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(entity)
        .values({column: value, "received_at": now or utcnow()})
        .on_conflict_do_nothing(index_elements=[column])
        .returning(getattr(entity, column))
    )
    # PostgreSQL: a concurrent insert of the same id waits for the other transaction and then conflicts.
    taken = (await session.execute(stmt)).first() is not None
    await session.commit()
    return taken


async def prune(session: AsyncSession, now: datetime | None = None) -> int:
    """Forget claims (Telegram's and MAX's) older than a day; returns how many."""
    cutoff = (now or utcnow()) - KEEP
    gone = 0
    for entity in (ProcessedUpdate, ProcessedMaxUpdate):
        result = await session.execute(delete(entity).where(entity.received_at < cutoff))
        gone += int(getattr(result, "rowcount", 0) or 0)
    await session.commit()
    return gone
