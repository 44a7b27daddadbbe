"""Queueing notices into the persistent outbox (the `delivery` table).

Everything the bot sends on its own initiative — broadcasts, reminders, notices to reviewers — goes
through here, so the delivery worker applies one rate limit and one exactly-once rule to all of it.
Rows hold notices (`models.notices`), rendered when they are sent.

The caller's transaction carries the rows: they land atomically with the change that caused them. The
session is marked (`session.info`), and the session factory's after-commit hook wakes the delivery worker:
one mechanism, so no service or handler has to remember to.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.channels import route_rows
from models.db import OUTBOX_CHANNEL, OUTBOX_QUEUED
from models.entities import Delivery, DeliveryState
from models.notices import NoticeKind, notice
from models.policy import Recipient
from models.timeutil import utcnow

PRIORITY_ADMIN = 0  # answers and progress for admins go ahead of bulk messages
PRIORITY_NOTICE = 5  # personal notices: approvals, review results
PRIORITY_BULK = 10  # broadcasts and reminders


def payload(text: str) -> dict[str, Any]:
    """A ready-made text notice (operations and tests; services queue notices, not text)."""
    return notice(NoticeKind.TEXT, text=text)


async def enqueue(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert outbox rows; a row whose `key` is already queued is skipped (idempotent re-queueing).

    Each row: key, chat_id, payload, and optionally member_id, batch, priority, not_before, channel.
    A row for a member goes to the member's messenger (`models.channels.route`). The caller commits.
    """
    if not rows:
        return
    await route_rows(session, rows)  # each member's row goes to the member's messenger (sets channel, chat_id)
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
            "channel": r["channel"],
        }
        for r in rows
    ]
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    # The table, not the entity: a plain executemany, without the ORM's bulk bookkeeping (a tenth of a tick).
    table = cast(Table, Delivery.__table__)
    if dialect == "postgresql":
        stmt: Any = pg_insert(table).on_conflict_do_nothing(index_elements=["key"])
    elif dialect == "sqlite":
        stmt = sqlite_insert(table).on_conflict_do_nothing(index_elements=["key"])
    else:  # pragma: no cover - other databases are not supported yet
        stmt = insert(table)
    # Chunks keep SQLite under its bound-parameter limit on large broadcasts.
    for start in range(0, len(values), 500):
        await session.execute(stmt, values[start : start + 500])
    await _queued(session)


async def release(session: AsyncSession, key_prefixes: Iterable[str], now: datetime) -> None:
    """Rows held back (`not_before` in the future) whose key starts with one of the prefixes go now."""
    held = or_(*(Delivery.key.startswith(prefix, autoescape=True) for prefix in key_prefixes))
    await session.execute(
        update(Delivery)
        .where(held, Delivery.state == DeliveryState.PENDING, Delivery.not_before > now)
        .values(not_before=now)
    )
    await _queued(session)


async def _queued(session: AsyncSession) -> None:
    """Mark the session so its commit wakes the local worker; on PostgreSQL also notify the delivery leader,
    which may be another instance. NOTIFY is transactional: it is sent on commit and dropped on rollback."""
    if not session.info.get(OUTBOX_QUEUED) and session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": OUTBOX_CHANNEL})
    session.info[OUTBOX_QUEUED] = True


async def depth(session: AsyncSession, now: datetime | None = None) -> tuple[int, float | None]:
    """Rows waiting to be sent now (not those held for quiet hours) and how long, in seconds, the one that
    has waited longest has been due (a held row is due from its `not_before`, not from when it was queued)."""
    now = now or utcnow()
    due = (Delivery.state == DeliveryState.PENDING) & or_(Delivery.not_before.is_(None), Delivery.not_before <= now)
    since = func.min(func.coalesce(Delivery.not_before, Delivery.created_at))
    count, oldest = (await session.execute(select(func.count(), since).where(due))).one()
    return int(count), ((now - oldest).total_seconds() if oldest is not None else None)


async def tell(
    session: AsyncSession,
    key: str,
    recipients: Iterable[Recipient],
    kind: NoticeKind,
    *,
    priority: int = PRIORITY_NOTICE,
    not_before: datetime | None = None,
    **data: Any,
) -> None:
    """Queue the same notice to several recipients; `key` names the event, the chat is appended."""
    await enqueue(
        session,
        [
            {
                "key": f"{key}:{r.chat_id}",
                "chat_id": r.chat_id,
                "member_id": r.member_id,
                "payload": notice(kind, **data),
                "priority": priority,
                "not_before": not_before,
            }
            for r in recipients
        ],
    )
