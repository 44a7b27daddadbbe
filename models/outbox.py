"""Queueing messages into the persistent outbox (the `delivery` table).

Everything the bot sends on its own initiative — broadcasts, reminders, notices to reviewers — goes
through here, so the delivery worker applies one rate limit and one exactly-once rule to all of it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.entities import Delivery, DeliveryState
from models.timeutil import utcnow

PRIORITY_ADMIN = 0  # answers and progress for admins go ahead of bulk messages
PRIORITY_NOTICE = 5  # personal notices: approvals, review results
PRIORITY_BULK = 10  # broadcasts and reminders


def payload(text: str, reply_markup: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the worker sends: HTML text and an optional inline keyboard (as Telegram JSON)."""
    data: dict[str, Any] = {"text": text}
    if reply_markup is not None:
        data["reply_markup"] = reply_markup
    return data


async def enqueue(
    session: AsyncSession,
    rows: list[dict[str, Any]],
) -> None:
    """Insert outbox rows; a row whose `key` is already queued is skipped (idempotent re-queueing).

    Each row: key, chat_id, payload, and optionally member_id, batch, priority, not_before.
    The caller commits, so the rows land atomically with the change that caused them.
    """
    if not rows:
        return
    values = [
        {
            "key": r["key"],
            "chat_id": r["chat_id"],
            "payload": r["payload"],
            "member_id": r.get("member_id"),
            "batch": r.get("batch"),
            "priority": r.get("priority", PRIORITY_BULK),
            "not_before": r.get("not_before"),
            "state": DeliveryState.PENDING,
            "attempts": 0,
            "created_at": r.get("created_at") or utcnow(),
        }
        for r in rows
    ]
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    if dialect == "postgresql":
        stmt: Any = pg_insert(Delivery).on_conflict_do_nothing(index_elements=["key"])
    elif dialect == "sqlite":
        stmt = sqlite_insert(Delivery).on_conflict_do_nothing(index_elements=["key"])
    else:  # pragma: no cover - other databases are not supported yet
        stmt = insert(Delivery)
    # Chunks keep SQLite under its bound-parameter limit on large broadcasts.
    for start in range(0, len(values), 500):
        await session.execute(stmt, values[start : start + 500])


def notices(
    key: str,
    chats: list[int],
    text: str,
    reply_markup: dict[str, Any] | None = None,
    *,
    priority: int = PRIORITY_NOTICE,
) -> list[dict[str, Any]]:
    """The same personal notice to several chats; `key` identifies the event, the chat is appended."""
    return [
        {"key": f"{key}:{chat}", "chat_id": chat, "payload": payload(text, reply_markup), "priority": priority}
        for chat in chats
    ]
