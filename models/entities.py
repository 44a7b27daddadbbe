"""ORM entities. Enumerations are stored as short strings so the schema stays portable."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base
from models.timeutil import utcnow


class OrgKind(StrEnum):
    REGION = "region"
    INSTITUTE = "institute"
    MUNICIPALITY = "municipality"
    SCHOOL = "school"
    PARTNER = "partner"


class Approval(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REMOVED = "removed"


class ResolutionState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class Status(StrEnum):
    """Assignment status as members report it (plus the states review adds)."""

    NEW = "new"  # delivered, not yet acknowledged
    ACKNOWLEDGED = "acknowledged"
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"  # reported done, waiting for review if review is required
    BLOCKED = "blocked"
    ACCEPTED = "accepted"  # closed by a reviewer (or at once when review is off)


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # attempt recorded, result not yet
    SENT = "sent"
    UNCONFIRMED = "unconfirmed"  # was in flight when the process died: not resent (at-most-once)
    BLOCKED = "blocked"
    FAILED = "failed"
    CANCELLED = "cancelled"
    # An UNCONFIRMED row the admin chose to send again: a new row (new key) carries it, this one only
    # stays for the record. Not counted in the broadcast's totals.
    RESENT = "resent"


_now = utcnow


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(500))
    # Lower-cased name for search: SQLite's lower() does not fold Cyrillic.
    name_folded: Mapped[str] = mapped_column(String(500), default="", index=True)
    # External code from the directory file: makes re-imports idempotent.
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)

    municipality: Mapped[Organisation | None] = relationship(remote_side=[id])


class Member(Base):
    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    full_name: Mapped[str] = mapped_column(String(256), default="")
    position: Mapped[str | None] = mapped_column(String(200))  # должность, from the join request
    username: Mapped[str | None] = mapped_column(String(64))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    approval: Mapped[str] = mapped_column(String(16), default=Approval.PENDING)
    approved_by: Mapped[int | None] = mapped_column(BigInteger)
    timezone: Mapped[str | None] = mapped_column(String(64))
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    paused_until: Mapped[date | None] = mapped_column(Date)  # vacation: no reminders until this date
    last_digest_on: Mapped[date | None] = mapped_column(Date)  # local date of the last weekly digest
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False once the user blocked the bot
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    # Reachable on MAX too (models/channels.py): its user id there, the messenger notices go to, and
    # whether each messenger answered 403 (`active` stays True while the other one still reaches them).
    max_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    preferred_channel: Mapped[str] = mapped_column(String(16), default="telegram", server_default="telegram")
    telegram_blocked: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    max_blocked: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    organisation: Mapped[Organisation | None] = relationship()


class LinkCode(Base):
    """A one-time code that joins a member's account in the other messenger to the same Member row."""

    __tablename__ = "link_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # where the code must be sent: the messenger being added
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)


class Invite(Base):
    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int] = mapped_column(BigInteger)
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)


class Resolution(Base):
    __tablename__ = "resolution"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    date: Mapped[date | None] = mapped_column(Date)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    source_name: Mapped[str | None] = mapped_column(String(256))
    state: Mapped[str] = mapped_column(String(16), default=ResolutionState.DRAFT)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)

    addressees: Mapped[list[Addressee]] = relationship(
        back_populates="resolution", order_by="Addressee.position", cascade="all, delete-orphan"
    )


class Addressee(Base):
    __tablename__ = "addressee"

    id: Mapped[int] = mapped_column(primary_key=True)
    resolution_id: Mapped[int] = mapped_column(ForeignKey("resolution.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str] = mapped_column(Text)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Set when the heading names one particular organisation of the directory.
    target_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)

    resolution: Mapped[Resolution] = relationship(back_populates="addressees")
    recommendations: Mapped[list[Recommendation]] = relationship(
        back_populates="addressee", order_by="Recommendation.position", cascade="all, delete-orphan"
    )


class Recommendation(Base):
    __tablename__ = "recommendation"

    id: Mapped[int] = mapped_column(primary_key=True)
    addressee_id: Mapped[int] = mapped_column(ForeignKey("addressee.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    due: Mapped[date | None] = mapped_column(Date)
    starts: Mapped[date | None] = mapped_column(Date)
    recurring: Mapped[bool] = mapped_column(Boolean, default=False)
    period: Mapped[str | None] = mapped_column(String(16))

    addressee: Mapped[Addressee] = relationship(back_populates="recommendations")


class Assignment(Base):
    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("recommendation_id", "organisation_id"),
        # Reminder tick: "what is due now" must be an index range scan, not a table scan.
        Index("ix_assignment_due_reminders", "next_reminder_at"),
        # Progress views: per organisation and status.
        Index("ix_assignment_org_status", "organisation_id", "status"),
        # Execution control (models/execution.py) aggregates per organisation from this index alone: in
        # organisation order, so grouping needs no sort, and covering, so no table row is read.
        Index("ix_assignment_execution", "organisation_id", "recommendation_id", "status", "due", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendation.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    status: Mapped[str] = mapped_column(String(16), default=Status.NEW)
    due: Mapped[date | None] = mapped_column(Date)  # effective due date (after approved extensions)
    next_reminder_at: Mapped[datetime | None] = mapped_column(DateTime)  # UTC; NULL when nothing is planned
    last_reminder_at: Mapped[datetime | None] = mapped_column(DateTime)  # UTC of the last reminder sent
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=_now, onupdate=_now)
    # UTC of the acceptance that closed the item; NULL while it is open (cleared again on reopening).
    # «Closed on time» compares its date with `due`: the status alone cannot tell on time from late.
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    recommendation: Mapped[Recommendation] = relationship()
    organisation: Mapped[Organisation] = relationship()


class StatusReport(Base):
    __tablename__ = "status_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    # Reviewers may be admins without a Member row: the Telegram id of the author is always kept.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    author_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    status: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)


class ReportFile(Base):
    """An evidence file or photo sent with a report (several may belong to one report)."""

    __tablename__ = "report_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("status_report.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(16))  # document | photo
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    # A file sent on MAX (kind max_file / max_image, file_id its token): where it can be fetched from, and
    # its name, to show it to a reviewer on Telegram.
    url: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(256))


class ItemMessage(Base):
    """The exchange about one item outside status changes: an officer's answer, a member's later comment."""

    __tablename__ = "item_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(BigInteger)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    kind: Mapped[str] = mapped_column(String(16))  # answer | comment
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)


class ItemCard(Base):
    """A card of one item shown in a chat: brought up to date when the item's status changes."""

    __tablename__ = "item_card"
    __table_args__ = (
        Index("ix_item_card_assignment_chat", "assignment_id", "chat_id"),
        Index(
            "ix_item_card_message_ref",
            "message_ref",
            sqlite_where=text("message_ref IS NOT NULL"),
            postgresql_where=text("message_ref IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    # A card shown on MAX: chat_id is the MAX user id, message_id 0, and MAX's message name in message_ref.
    channel: Mapped[str] = mapped_column(String(16), default="telegram", server_default="telegram")
    message_ref: Mapped[str | None] = mapped_column(String(128))


class AuditEntry(Base):
    """One action that changed who gets what; only ever inserted (see models/audit.py)."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=_now, index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)  # the user's id; None for the command line
    action: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Snooze(Base):
    """A member postponed reminders about one assignment until `until` (UTC)."""

    __tablename__ = "snooze"
    __table_args__ = (UniqueConstraint("member_id", "assignment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    until: Mapped[datetime] = mapped_column(DateTime)


class ExtensionRequest(Base):
    """A member asks to move a due date; a reviewer approves or declines."""

    __tablename__ = "extension_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    new_due: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved | declined
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)


class Broadcast(Base):
    """One publication's delivery run, for the admin's live progress message."""

    __tablename__ = "broadcast"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch: Mapped[str] = mapped_column(String(64), unique=True)  # Delivery.batch of its messages
    resolution_id: Mapped[int | None] = mapped_column(ForeignKey("resolution.id"))
    admin_chat_id: Mapped[int] = mapped_column(BigInteger)  # the publisher's principal id: < 0 is a MAX user
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)  # on Telegram
    progress_ref: Mapped[str | None] = mapped_column(String(64))  # on MAX: the message's mid
    progress_text: Mapped[str | None] = mapped_column(Text)  # last text shown: never edit to the same
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class Delivery(Base):
    """One row per message to send: the persistent outbox."""

    __tablename__ = "delivery"
    __table_args__ = (
        # The worker takes the oldest pending rows of the highest priority first; `not_before` rides
        # along in the index, so rows waiting for the end of quiet hours are skipped without reading them.
        Index("ix_delivery_queue", "state", "priority", "id", "not_before"),
        # A press or a reply on MAX names the bot's message by its mid: which notice was it? (MAX rows only.)
        Index(
            "ix_delivery_message_ref",
            "message_ref",
            sqlite_where=text("message_ref IS NOT NULL"),
            postgresql_where=text("message_ref IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Idempotency key: queuing the same logical message twice is a no-op.
    key: Mapped[str] = mapped_column(String(128), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    batch: Mapped[str | None] = mapped_column(String(64), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=10)  # lower is sooner: admin messages first
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The messenger this row goes through (models/channels.py); MAX names messages by strings ("mid.…"),
    # kept in `message_ref`; `fallback_of` is the row this one replaces on the other messenger (once).
    channel: Mapped[str] = mapped_column(String(16), default="telegram", server_default="telegram")
    message_ref: Mapped[str | None] = mapped_column(String(128))
    fallback_of: Mapped[int | None] = mapped_column(Integer, index=True)


class ProcessedUpdate(Base):
    """A webhook update already taken by an instance: Telegram re-posts an update whose request timed out,
    possibly to another instance; the second delivery is dropped. Rows older than a day are pruned."""

    __tablename__ = "processed_update"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=_now, index=True)


class ProcessedMaxUpdate(Base):
    """The same for MAX's webhook, whose updates have no number: keyed by what names one update (a
    callback id, a message mid, or the kind, user and timestamp)."""

    __tablename__ = "processed_max_update"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=_now, index=True)


__all__ = [
    "Addressee",
    "Approval",
    "Assignment",
    "AuditEntry",
    "Broadcast",
    "Delivery",
    "DeliveryState",
    "ExtensionRequest",
    "Invite",
    "ItemCard",
    "ItemMessage",
    "LinkCode",
    "Member",
    "OrgKind",
    "Organisation",
    "ProcessedUpdate",
    "Recommendation",
    "ReportFile",
    "Resolution",
    "ResolutionState",
    "Snooze",
    "Status",
    "StatusReport",
]
