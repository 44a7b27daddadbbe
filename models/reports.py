"""Status reports on assignments: who may report, what changes, what the history keeps.

Every call re-checks on the server that the member acts for the assignment's own organisation and
that the resolution is still published; callback data is never trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models.entities import (
    Addressee,
    Approval,
    Assignment,
    Member,
    Recommendation,
    Resolution,
    ResolutionState,
    Status,
    StatusReport,
)
from models.timeutil import utcnow


class Refusal(StrEnum):
    NOT_FOUND = "Пункт не найден."
    FOREIGN = "Этот пункт адресован другой организации."
    WITHDRAWN = "Резолюция отозвана: отчитываться по ней не нужно."
    NOT_MEMBER = "Вы не состоите в организации: отчёты недоступны."
    CLOSED = "Пункт уже закрыт: его приняли как выполненный."


@dataclass(slots=True)
class ItemView:
    assignment: Assignment
    recommendation: Recommendation
    resolution: Resolution
    last_report: StatusReport | None


async def load_item(session: AsyncSession, assignment_id: int) -> ItemView | None:
    row = (
        await session.execute(
            select(Assignment, Recommendation, Resolution)
            .join(Recommendation, Recommendation.id == Assignment.recommendation_id)
            .join(Addressee, Addressee.id == Recommendation.addressee_id)
            .join(Resolution, Resolution.id == Addressee.resolution_id)
            .where(Assignment.id == assignment_id)
            .options(selectinload(Assignment.organisation))
        )
    ).first()
    if row is None:
        return None
    assignment, recommendation, resolution = row
    last = await session.scalar(
        select(StatusReport)
        .where(StatusReport.assignment_id == assignment_id)
        .order_by(StatusReport.id.desc())
        .limit(1)
    )
    return ItemView(assignment, recommendation, resolution, last)


def check_access(member: Member | None, item: ItemView | None) -> Refusal | None:
    """Why `member` may not report on `item`, or None when they may."""
    if item is None:
        return Refusal.NOT_FOUND
    if member is None or member.approval != Approval.APPROVED:
        return Refusal.NOT_MEMBER
    if member.organisation_id != item.assignment.organisation_id:
        return Refusal.FOREIGN
    if item.resolution.state != ResolutionState.PUBLISHED:
        return Refusal.WITHDRAWN
    return None


async def report(
    session: AsyncSession,
    member: Member | None,
    assignment_id: int,
    status: Status,
    *,
    review_required: bool,
) -> tuple[ItemView | None, StatusReport | None, Refusal | None]:
    """Record a status change. A repeated click with the same status changes nothing (idempotent).

    Returns the item, the new report row (None when nothing changed) and a refusal if not allowed.
    """
    item = await load_item(session, assignment_id)
    refusal = check_access(member, item)
    if refusal is not None or item is None or member is None:
        return item, None, refusal
    assignment = item.assignment
    if assignment.status == Status.ACCEPTED:
        return item, None, Refusal.CLOSED
    new_status = status
    if status == Status.DONE and not review_required:
        new_status = Status.ACCEPTED
    if assignment.status == new_status:
        return item, None, None  # double click or a late click on the same button
    row = StatusReport(assignment_id=assignment.id, member_id=member.id, status=new_status, created_at=utcnow())
    session.add(row)
    assignment.status = new_status
    await session.commit()
    item.last_report = row
    return item, row, None


async def attach_comment(
    session: AsyncSession,
    member: Member | None,
    report_id: int,
    *,
    comment: str | None,
    file_id: str | None = None,
    file_kind: str | None = None,
) -> StatusReport | None:
    """Add the optional comment or evidence file to the member's own latest report."""
    if member is None:
        return None
    row = await session.get(StatusReport, report_id)
    if row is None or row.member_id != member.id:
        return None
    if comment is not None:
        row.comment = comment[:4000]
    if file_id is not None:
        row.file_id = file_id
        row.file_kind = file_kind
    await session.commit()
    return row
