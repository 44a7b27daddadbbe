"""The audit trail: who changed who gets what, when, on which object.

`record` adds an entry to the caller's transaction, so the entry exists exactly when the action does. Entries
are only ever inserted: a flush that would change or delete one is refused (`AuditEntry` guard below).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from models.entities import AuditEntry
from models.timeutil import utcnow


class Action(StrEnum):
    PUBLISH = "publish"
    WITHDRAW = "withdraw"
    INVITE = "invite"
    REVOKE_INVITE = "revoke_invite"
    APPROVE = "approve"
    REJECT = "reject"
    REMOVE_MEMBER = "remove_member"
    IMPORT_DIRECTORY = "import_directory"
    EXTENSION_APPROVED = "extension_approved"
    EXTENSION_DECLINED = "extension_declined"
    ACCEPT = "accept"
    RETURN = "return"
    RESEND = "resend"  # a broadcast's unconfirmed messages sent again


def record(
    session: AsyncSession,
    *,
    actor_id: int | None,
    action: Action,
    object_type: str,
    object_id: int | None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Add an entry to the current transaction (the caller commits, with its action)."""
    session.add(
        AuditEntry(
            at=at or utcnow(),
            actor_id=actor_id,
            action=str(action),
            object_type=object_type,
            object_id=object_id,
            details=details or {},
        )
    )


async def latest(session: AsyncSession, *, offset: int = 0, limit: int = 20) -> tuple[Sequence[AuditEntry], int]:
    """Newest first, and how many there are."""
    total = await session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    rows = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).offset(offset).limit(limit))).all()
    return rows, int(total)


async def everything(session: AsyncSession) -> Sequence[AuditEntry]:
    """The whole trail, oldest first (for the CSV export)."""
    return (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()


class AuditTamperingError(RuntimeError):
    """Something tried to change or delete an audit entry."""


def append_only(session: Session, _context: Any, _instances: Any) -> None:
    """A `before_flush` guard on the app's sessions (models.db): audit entries are never changed or deleted."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTamperingError("записи журнала аудита не изменяются и не удаляются")
