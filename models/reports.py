"""Status reports on assignments: who may report, what changes, what the history keeps.

Every call re-checks on the server that the member acts for the assignment's own organisation and
that the resolution is still published; callback data is never trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.settings import Settings
from handlers import texts
from models import outbox
from models.entities import (
    Addressee,
    Approval,
    Assignment,
    ExtensionRequest,
    Member,
    OrgKind,
    Recommendation,
    Resolution,
    ResolutionState,
    Status,
    StatusReport,
)
from models.messages import shorten
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


async def _transition(session: AsyncSession, assignment: Assignment, old: str, new: str) -> bool:
    """Move the status only if it still is `old`: of two concurrent clicks exactly one wins."""
    result = await session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.status == old)
        .values(status=new, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        return False
    assignment.status = new
    return True


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
    if new_status == Status.ACKNOWLEDGED and assignment.status != Status.NEW:
        # A colleague's copy still shows «Ознакомлен»: their report must not be undone by it.
        return item, None, None
    if not await _transition(session, assignment, assignment.status, new_status):
        return item, None, None  # a concurrent click got there first
    row = StatusReport(
        assignment_id=assignment.id,
        member_id=member.id,
        author_id=member.user_id,
        status=new_status,
        created_at=utcnow(),
    )
    session.add(row)
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


class ReviewRefusal(StrEnum):
    NOT_FOUND = "Пункт не найден."
    NOT_REVIEWER = "Проверять этот пункт может только муниципальный специалист или администратор."
    NOT_DONE = "Пункт уже проверен или его статус изменился."
    WITHDRAWN = "Резолюция отозвана."


async def may_review(session: AsyncSession, user_id: int, assignment: Assignment, admin_ids: frozenset[int]) -> bool:
    """Admins review everything; a municipal officer reviews the schools of their own municipality."""
    if user_id in admin_ids:
        return True
    reviewer = await session.scalar(select(Member).where(Member.user_id == user_id))
    if reviewer is None or reviewer.approval != Approval.APPROVED or reviewer.organisation_id is None:
        return False
    org = assignment.organisation
    return org.kind == OrgKind.SCHOOL and org.municipality_id == reviewer.organisation_id


async def reviewer_chats(session: AsyncSession, assignment: Assignment, admin_ids: frozenset[int]) -> list[int]:
    """Who is asked to review: the school's municipal officers, or the admins when there are none."""
    org = assignment.organisation
    if org.kind == OrgKind.SCHOOL and org.municipality_id is not None:
        officers = (
            await session.scalars(
                select(Member.user_id).where(
                    Member.organisation_id == org.municipality_id,
                    Member.approval == Approval.APPROVED,
                    Member.active.is_(True),
                )
            )
        ).all()
        if officers:
            return list(officers)
    return sorted(admin_ids)


async def org_member_chats(session: AsyncSession, organisation_id: int) -> list[int]:
    return list(
        (
            await session.scalars(
                select(Member.user_id).where(
                    Member.organisation_id == organisation_id,
                    Member.approval == Approval.APPROVED,
                    Member.active.is_(True),
                )
            )
        ).all()
    )


async def review(
    session: AsyncSession,
    *,
    reviewer_id: int,
    assignment_id: int,
    accept: bool,
    comment: str | None,
    admin_ids: frozenset[int],
) -> tuple[ItemView | None, ReviewRefusal | None]:
    """Accept a reported «Выполнено» (the item closes) or return it for rework (back to В работе)."""
    item = await load_item(session, assignment_id)
    if item is None:
        return None, ReviewRefusal.NOT_FOUND
    if item.resolution.state != ResolutionState.PUBLISHED:
        return item, ReviewRefusal.WITHDRAWN
    if not await may_review(session, reviewer_id, item.assignment, admin_ids):
        return item, ReviewRefusal.NOT_REVIEWER
    if item.assignment.status != Status.DONE:
        return item, ReviewRefusal.NOT_DONE  # a double click, or another reviewer was faster
    reviewer = await session.scalar(select(Member.id).where(Member.user_id == reviewer_id))
    new_status = Status.ACCEPTED if accept else Status.IN_PROGRESS
    row = StatusReport(
        assignment_id=assignment_id,
        member_id=reviewer,
        author_id=reviewer_id,
        status=new_status,
        comment=comment,
        created_at=utcnow(),
    )
    if not await _transition(session, item.assignment, Status.DONE, new_status):
        return item, ReviewRefusal.NOT_DONE  # another click or reviewer was faster
    session.add(row)
    text = (texts.REVIEW_ACCEPTED_NOTICE if accept else texts.REVIEW_RETURNED_NOTICE).format(
        item=texts.esc(shorten(item.recommendation.text, 300)), comment=texts.esc(comment or "—")
    )
    await session.flush()  # the report's id keys the notice: a retried review never notifies twice
    chats = await org_member_chats(session, item.assignment.organisation_id)
    await outbox.enqueue(session, outbox.notices(f"rv:{row.id}", chats, text))
    await session.commit()
    return item, None


async def request_review(
    session: AsyncSession, item: ItemView, report: StatusReport, admin_ids: frozenset[int]
) -> None:
    """Queue the «accept or return» question to the reviewers of a reported «Выполнено»."""
    from handlers.keyboards import review_keyboard

    org_name = item.assignment.organisation.name
    text = texts.REVIEW_REQUEST.format(
        org=texts.esc(org_name),
        item=texts.esc(shorten(item.recommendation.text, 600)),
        title=texts.esc(shorten(item.resolution.title, 200)),
    )
    markup = review_keyboard(item.assignment.id).model_dump(exclude_none=True, mode="json")
    chats = await reviewer_chats(session, item.assignment, admin_ids)
    await outbox.enqueue(session, outbox.notices(f"rq:{report.id}", chats, text, markup))
    await session.commit()


@dataclass(slots=True)
class TaskLine:
    assignment_id: int
    resolution_title: str
    text: str
    due: date | None
    status: str
    overdue: bool


async def open_tasks(
    session: AsyncSession, organisation_id: int, today: date, *, offset: int, limit: int
) -> tuple[list[TaskLine], int]:
    """Open items of an organisation: overdue first, then by due date, grouped by resolution."""
    base = (
        select(Assignment, Recommendation.text, Resolution.title, Resolution.id)
        .join(Recommendation, Recommendation.id == Assignment.recommendation_id)
        .join(Addressee, Addressee.id == Recommendation.addressee_id)
        .join(Resolution, Resolution.id == Addressee.resolution_id)
        .where(
            Assignment.organisation_id == organisation_id,
            Assignment.status != Status.ACCEPTED,
            Resolution.state == ResolutionState.PUBLISHED,
        )
    )
    total = await session.scalar(select(func.count()).select_from(base.subquery())) or 0
    overdue_first = case((Assignment.due < today, 0), else_=1)
    rows = (
        await session.execute(
            base.order_by(
                overdue_first, Resolution.id, Assignment.due.is_(None), Assignment.due, Recommendation.position
            )
            .offset(offset)
            .limit(limit)
        )
    ).all()
    lines = [
        TaskLine(a.id, title, text, a.due, a.status, a.due is not None and a.due < today)
        for a, text, title, _rid in rows
    ]
    return lines, int(total)


class ExtensionRefusal(StrEnum):
    NOT_FOUND = "Запрос не найден."
    DECIDED = "По этому запросу уже принято решение."
    NOT_REVIEWER = ReviewRefusal.NOT_REVIEWER.value
    BAD_DATE = "Новый срок должен быть позже сегодняшнего дня и текущего срока. Введите другую дату."
    NO_DUE = "У этого пункта нет срока: переносить нечего."


def extension_date_problem(current: date | None, new_due: date, today: date) -> ExtensionRefusal | None:
    """Why `new_due` cannot be asked for (checked as soon as the member types it)."""
    if current is None:
        return ExtensionRefusal.NO_DUE
    if new_due <= today or new_due <= current:
        return ExtensionRefusal.BAD_DATE
    return None


async def request_extension(
    session: AsyncSession,
    member: Member | None,
    *,
    assignment_id: int,
    new_due: date,
    reason: str,
    today: date,
    admin_ids: frozenset[int],
) -> Refusal | ExtensionRefusal | None:
    """A member asks to move a due date; reviewers get Approve / Decline buttons."""
    from handlers.keyboards import extension_keyboard

    item = await load_item(session, assignment_id)
    refusal = check_access(member, item)
    if refusal is not None or item is None or member is None:
        return refusal
    problem = extension_date_problem(item.assignment.due, new_due, today)
    if problem is not None:
        return problem
    current = item.assignment.due
    request = ExtensionRequest(
        assignment_id=assignment_id, member_id=member.id, new_due=new_due, reason=reason[:1000], created_at=utcnow()
    )
    session.add(request)
    await session.flush()
    text = texts.EXTENSION_REQUEST.format(
        org=texts.esc(item.assignment.organisation.name),
        item=texts.esc(shorten(item.recommendation.text, 600)),
        old=texts.fmt_date(current),
        new=texts.fmt_date(new_due),
        reason=texts.esc(reason),
    )
    markup = extension_keyboard(request.id).model_dump(exclude_none=True, mode="json")
    chats = await reviewer_chats(session, item.assignment, admin_ids)
    await outbox.enqueue(session, outbox.notices(f"ext:{request.id}", chats, text, markup))
    await session.commit()
    return None


async def decide_extension(
    session: AsyncSession,
    *,
    reviewer_id: int,
    request_id: int,
    approve: bool,
    admin_ids: frozenset[int],
    settings: Settings | None = None,
) -> ExtensionRefusal | None:
    """Approve (the due date moves, reminders follow it) or decline; the organisation is told."""
    request = await session.get(ExtensionRequest, request_id)
    if request is None:
        return ExtensionRefusal.NOT_FOUND
    item = await load_item(session, request.assignment_id)
    if item is None:
        return ExtensionRefusal.NOT_FOUND
    if not await may_review(session, reviewer_id, item.assignment, admin_ids):
        return ExtensionRefusal.NOT_REVIEWER
    decided = await session.execute(
        update(ExtensionRequest)
        .where(ExtensionRequest.id == request.id, ExtensionRequest.state == "pending")
        .values(state="approved" if approve else "declined", decided_by=reviewer_id)
        .execution_options(synchronize_session=False)
    )
    if decided.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        return ExtensionRefusal.DECIDED
    if approve:
        item.assignment.due = request.new_due
        item.assignment.escalated_at = None
    template = texts.EXTENSION_APPROVED if approve else texts.EXTENSION_DECLINED
    text = template.format(item=texts.esc(shorten(item.recommendation.text, 300)), new=texts.fmt_date(request.new_due))
    chats = await org_member_chats(session, item.assignment.organisation_id)
    await outbox.enqueue(session, outbox.notices(f"extd:{request.id}", chats, text))
    await session.flush()
    if approve:
        await replan(session, [item.assignment.id], settings)
    await session.commit()
    return None


async def replan(session: AsyncSession, assignment_ids: list[int], settings: Settings | None = None) -> None:
    """Recompute reminder times after a date change (the planner owns the rules)."""
    from scheduler.planner import plan_assignments  # the scheduler imports this module's neighbours

    await plan_assignments(session, assignment_ids, utcnow(), settings)
