"""Notices: what a service must tell someone, recorded as data in the outbox.

A service never builds message text. It queues a notice — its kind, whom it is for and the ids it is
about — in the same transaction as its own writes (`outbox.enqueue`). The presentation layer renders it
when it is sent, from the state of that moment, so a reminder held over quiet hours still reads right the
next morning, and a notice whose subject is gone (an item closed meanwhile) is not sent at all.

This module also loads, in bulk, the facts the renderers need about the items a notice names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.entities import (
    Addressee,
    Assignment,
    Delivery,
    DeliveryState,
    ItemCard,
    Member,
    Organisation,
    Recommendation,
    ReportFile,
    Resolution,
    StatusReport,
)

IN_CHUNK = 500  # ids per IN (...) list: far below SQLite's bound-parameter limit


class NoticeKind(StrEnum):
    TEXT = "text"  # a ready text (operations and tests); the domain itself never queues one
    PUBLICATION = "publication"  # items of a resolution for one member (one part of them)
    WITHDRAWN = "withdrawn"
    REVIEW_REQUEST = "review_request"  # a reported «Выполнено» waits for a reviewer
    REVIEW_RESULT = "review_result"  # accepted or returned, to the organisation
    EXTENSION_REQUEST = "extension_request"
    EXTENSION_DECISION = "extension_decision"
    JOIN_REQUEST = "join_request"
    JOIN_DECISION = "join_decision"
    REMOVED = "removed"
    DIFFICULTY = "difficulty"  # «Есть трудности», to the organisation's managers
    ITEM_COMMENT = "item_comment"  # a member's later comment, to the managers
    ITEM_ANSWER = "item_answer"  # an officer's answer, to the organisation
    REFRESH = "refresh"  # bring a member's copies of an item up to date (edits, no new message)
    MENU = "menu"  # the member's role changed: their command menu follows (no message)
    REMINDER = "reminder"
    ESCALATION = "escalation"
    DIGEST = "digest"


def notice(kind: NoticeKind, **data: Any) -> dict[str, Any]:
    """The outbox payload of a notice: plain JSON, ids and flags only."""
    return {"notice": str(kind), **data}


def kind_of(payload: dict[str, Any]) -> NoticeKind | None:
    """The kind of a stored payload; rows queued before notices existed carry ready text."""
    if "notice" in payload:
        try:
            return NoticeKind(payload["notice"])
        except ValueError:
            return None
    return NoticeKind.TEXT if "text" in payload else None


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """One assignment as its notices show it, read when the notice is sent."""

    assignment_id: int
    organisation_id: int
    organisation: str
    municipality_id: int | None
    status: str
    due: date | None
    original_due: date | None
    number: int  # the item's number under its addressee in the resolution
    text: str
    starts: date | None
    recurring: bool
    period: str | None
    addressee_id: int
    heading: str
    resolution_id: int
    title: str
    resolution_date: date | None
    resolution_state: str


def _chunks(values: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


async def load_items(session: AsyncSession, assignment_ids: Iterable[int]) -> dict[int, ItemFacts]:
    ids = sorted(set(assignment_ids))
    found: dict[int, ItemFacts] = {}
    for chunk in _chunks(ids):
        rows = await session.execute(
            select(
                Assignment.id,
                Assignment.organisation_id,
                Organisation.name,
                Organisation.municipality_id,
                Assignment.status,
                Assignment.due,
                Recommendation.due.label("original_due"),
                Recommendation.position,
                Recommendation.text,
                Recommendation.starts,
                Recommendation.recurring,
                Recommendation.period,
                Addressee.id.label("addressee_id"),
                Addressee.heading,
                Resolution.id.label("resolution_id"),
                Resolution.title,
                Resolution.date,
                Resolution.state,
            )
            .join(Recommendation, Recommendation.id == Assignment.recommendation_id)
            .join(Addressee, Addressee.id == Recommendation.addressee_id)
            .join(Resolution, Resolution.id == Addressee.resolution_id)
            .join(Organisation, Organisation.id == Assignment.organisation_id)
            .where(Assignment.id.in_(chunk))
        )
        for r in rows:
            found[r.id] = ItemFacts(
                assignment_id=r.id,
                organisation_id=r.organisation_id,
                organisation=r.name,
                municipality_id=r.municipality_id,
                status=r.status,
                due=r.due,
                original_due=r.original_due,
                number=r.position + 1,
                text=r.text,
                starts=r.starts,
                recurring=r.recurring,
                period=r.period,
                addressee_id=r.addressee_id,
                heading=r.heading,
                resolution_id=r.resolution_id,
                title=r.title,
                resolution_date=r.date,
                resolution_state=r.state,
            )
    return found


async def load_members(session: AsyncSession, member_ids: Iterable[int]) -> dict[int, Member]:
    ids = sorted(set(member_ids))
    found: dict[int, Member] = {}
    for chunk in _chunks(ids):
        members = await session.scalars(
            select(Member).options(selectinload(Member.organisation)).where(Member.id.in_(chunk))
        )
        for member in members:
            found[member.id] = member
    return found


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """A status report with who sent it and its evidence files, as notices about it show it."""

    report_id: int
    assignment_id: int
    status: str
    comment: str | None
    author: str
    files: tuple[tuple[str, str], ...]  # (kind, file_id), in the order they were sent


async def load_report(session: AsyncSession, report_id: int) -> ReportFacts | None:
    row = (
        await session.execute(
            select(StatusReport, Member.full_name)
            .outerjoin(Member, Member.id == StatusReport.member_id)
            .where(StatusReport.id == report_id)
        )
    ).first()
    if row is None:
        return None
    report, author = row
    files = (
        await session.execute(
            select(ReportFile.kind, ReportFile.file_id).where(ReportFile.report_id == report_id).order_by(ReportFile.id)
        )
    ).all()
    return ReportFacts(
        report.id, report.assignment_id, report.status, report.comment, author or "", tuple((k, f) for k, f in files)
    )


def item_ids(payload: dict[str, Any]) -> list[int]:
    """The items a publication notice lists (entries are an id, or [id, number])."""
    return [entry[0] if isinstance(entry, list) else entry for entry in payload.get("items", [])]


async def shown_copies(session: AsyncSession, member_id: int, resolution_id: int) -> list[tuple[int, dict[str, Any]]]:
    """The publication messages a member has of a resolution: (message id, notice payload)."""
    rows = await session.execute(
        select(Delivery.message_id, Delivery.payload).where(
            Delivery.member_id == member_id,
            Delivery.key.startswith(f"pub:{resolution_id}:{member_id}:", autoescape=True),
            Delivery.state == DeliveryState.SENT,
            Delivery.message_id.is_not(None),
        )
    )
    return [(int(message_id), payload) for message_id, payload in rows]


async def shown_cards(session: AsyncSession, chat_id: int, assignment_id: int, *, limit: int = 3) -> list[int]:
    """The latest cards of an item shown in a chat (message ids)."""
    rows = await session.scalars(
        select(ItemCard.message_id)
        .where(ItemCard.assignment_id == assignment_id, ItemCard.chat_id == chat_id, ItemCard.channel == "telegram")
        .order_by(ItemCard.id.desc())
        .limit(limit)
    )
    return [int(m) for m in rows]


async def shown_max_cards(session: AsyncSession, max_user_id: int, assignment_id: int, *, limit: int = 3) -> list[str]:
    """The latest cards of an item shown in a member's MAX dialog (MAX message names)."""
    rows = await session.scalars(
        select(ItemCard.message_ref)
        .where(
            ItemCard.assignment_id == assignment_id,
            ItemCard.chat_id == max_user_id,
            ItemCard.channel == "max",
            ItemCard.message_ref.is_not(None),
        )
        .order_by(ItemCard.id.desc())
        .limit(limit)
    )
    return [str(m) for m in rows]
