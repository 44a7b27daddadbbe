"""Status reports on assignments: who may report, what changes, what the history keeps.

Every call re-checks on the server (`models.policy`) that the member acts for the assignment's own
organisation and that the resolution is still published; callback data is never trusted. Each public
coroutine that changes something is one user action and commits once, with the notices it queues.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from models import audit, channels, outbox, policy, reminders
from models.audit import Action
from models.config import Config
from models.entities import (
    Addressee,
    Assignment,
    Delivery,
    ExtensionRequest,
    ItemCard,
    ItemMessage,
    Member,
    Recommendation,
    ReportFile,
    Resolution,
    ResolutionState,
    Status,
    StatusReport,
)
from models.notices import NoticeKind, item_ids, notice
from models.timeutil import utcnow

COMMENT_WINDOW = timedelta(minutes=10)  # a review request or difficulty waits this long for comment and files


class Refusal(StrEnum):
    """Why an action on an item is refused; the presentation layer words it."""

    NOT_FOUND = "not_found"
    FOREIGN = "foreign"  # the item belongs to another organisation
    WITHDRAWN = "withdrawn"
    NOT_MEMBER = "not_member"
    CLOSED = "closed"  # accepted as done
    NOT_REVIEWER = "not_reviewer"
    NOT_DONE = "not_done"  # reviewed already, or the status changed
    DECIDED = "decided"  # the extension request was decided already
    BAD_DATE = "bad_date"
    NO_DUE = "no_due"


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
    if not policy.is_approved(member):
        return Refusal.NOT_MEMBER
    if not policy.may_act_for(member, item.assignment.organisation_id):
        return Refusal.FOREIGN
    if not policy.is_live(item.resolution):
        return Refusal.WITHDRAWN
    return None


async def check_review(session: AsyncSession, user_id: int, item: ItemView | None, config: Config) -> Refusal | None:
    """Why `user_id` may not review (or decide an extension of) `item`, or None when they may."""
    if item is None:
        return Refusal.NOT_FOUND
    if not policy.is_live(item.resolution):
        return Refusal.WITHDRAWN
    actor = await policy.actor_for(session, user_id)
    if not policy.manages(actor, item.assignment.organisation, config.admin_ids):
        return Refusal.NOT_REVIEWER
    return None


async def _transition(session: AsyncSession, assignment: Assignment, old: str, new: str) -> bool:
    """Move the status only if it still is `old`: of two concurrent clicks exactly one wins."""
    now = utcnow()
    closed_at = now if new == Status.ACCEPTED else None  # «closed on time» compares this with the due date
    result = await session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.status == old)
        .values(status=new, updated_at=now, closed_at=closed_at)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        return False
    assignment.status = new
    assignment.closed_at = closed_at
    return True


async def report(
    session: AsyncSession,
    member: Member | None,
    assignment_id: int,
    status: Status,
    *,
    config: Config,
) -> tuple[ItemView | None, StatusReport | None, Refusal | None]:
    """Record a status change. A repeated click with the same status changes nothing (idempotent).

    A «Выполнено» that needs review queues the review request to the organisation's managers in the
    same commit: the report and the request exist together or not at all.
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
    if status == Status.DONE and not config.review_required:
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
    await session.flush()
    # «Выполнено» asks the reviewers, «Есть трудности» tells them at once — with the comment and files the
    # member adds next: the notice waits for the end of that step (`finish_report`), or COMMENT_WINDOW.
    kind = {Status.DONE: NoticeKind.REVIEW_REQUEST, Status.BLOCKED: NoticeKind.DIFFICULTY}.get(new_status)
    if kind is not None:
        managers = await policy.managers_of(session, assignment.organisation, config.admin_ids)
        held_until = row.created_at + COMMENT_WINDOW
        await outbox.tell(session, _held_key(kind, row.id), managers, kind, report_id=row.id, not_before=held_until)
    await _refresh(session, assignment, f"rf:{row.id}")  # colleagues' copies, the other messages of the item
    await session.commit()
    item.last_report = row
    return item, row, None


def _held_key(kind: NoticeKind, report_id: int) -> str:
    return f"{'rq' if kind is NoticeKind.REVIEW_REQUEST else 'bl'}:{report_id}"


async def _refresh(session: AsyncSession, assignment: Assignment, key: str) -> None:
    """The organisation's members see the item's new status on the messages they already have, in each
    messenger that reaches them: a member on both may have the resolution in one and a card in the other."""
    members = await policy.members_of(session, assignment.organisation_id)
    reach = await channels.load_reach(session, [m.member_id for m in members if m.member_id is not None])
    payload = notice(NoticeKind.REFRESH, assignment_id=assignment.id)
    rows: list[dict[str, Any]] = []
    for recipient in members:
        found = reach.get(recipient.member_id) if recipient.member_id is not None else None
        both = channels.each_messenger(found) if found is not None else []
        for channel in both if len(both) > 1 else [None]:
            row = {"key": f"{key}:{recipient.chat_id}", "chat_id": recipient.chat_id, "member_id": recipient.member_id}
            if channel is not None:
                row |= {"key": f"{key}:{recipient.chat_id}:{channel}", "channel": str(channel)}
            rows.append(row | {"payload": payload, "priority": outbox.PRIORITY_NOTICE})
    await outbox.enqueue(session, rows)


async def own_report(session: AsyncSession, member: Member | None, report_id: int) -> StatusReport | None:
    if member is None:
        return None
    row = await session.get(StatusReport, report_id)
    if row is None or row.member_id != member.id:
        return None
    return row


async def attach_to_report(
    session: AsyncSession,
    member: Member | None,
    report_id: int,
    *,
    comment: str | None = None,
    file: tuple[str, str] | None = None,
    file_url: str | None = None,
    file_name: str | None = None,
) -> StatusReport | None:
    """Add a comment and/or an evidence file (file_id, kind) to the member's own report; several files
    may follow one another. The notices about the report wait until `finish_report`. A file sent on MAX
    comes with its URL and name, so that it can be shown on Telegram too (`max_file_source`)."""
    row = await own_report(session, member, report_id)
    if row is None:
        return None
    if comment:
        row.comment = f"{row.comment}\n{comment}"[:4000] if row.comment else comment[:4000]
    if file is not None:
        session.add(
            ReportFile(
                report_id=row.id,
                file_id=file[0],
                kind=file[1],
                url=file_url,
                name=file_name[:256] if file_name else None,
                created_at=utcnow(),
            )
        )
    await session.commit()
    return row


async def finish_report(session: AsyncSession, member: Member | None, report_id: int) -> bool:
    """The comment step is over («Готово» or «Пропустить»): the held review request or difficulty notice
    goes out now, with whatever was attached. False when the report is not the member's own."""
    row = await own_report(session, member, report_id)
    if row is None:
        return False
    await outbox.release(session, [f"rq:{row.id}:", f"bl:{row.id}:"], utcnow())
    await session.commit()
    return True


async def comment_on_item(
    session: AsyncSession, member: Member | None, assignment_id: int, text: str, config: Config
) -> Refusal | None:
    """A member's later word on an item (a reply to its card, «Комментарий»). While the item waits for
    review or has difficulties, the reviewers hear it too."""
    item = await load_item(session, assignment_id)
    refusal = check_access(member, item)
    if refusal is not None or item is None or member is None:
        return refusal
    message = ItemMessage(
        assignment_id=assignment_id, author_id=member.user_id, member_id=member.id, kind="comment", text=text[:4000]
    )
    session.add(message)
    await session.flush()
    if item.assignment.status in (Status.DONE, Status.BLOCKED):
        managers = await policy.managers_of(session, item.assignment.organisation, config.admin_ids)
        await outbox.tell(session, f"ic:{message.id}", managers, NoticeKind.ITEM_COMMENT, message_id=message.id)
    await session.commit()
    return None


async def answer_item(
    session: AsyncSession, *, user_id: int, assignment_id: int, text: str, config: Config
) -> Refusal | None:
    """An officer (or admin) answers on an item: the organisation's members get it on that item, and it
    stays in the item's history."""
    item = await load_item(session, assignment_id)
    refusal = await check_review(session, user_id, item, config)
    if refusal is not None or item is None:
        return refusal
    author = await session.scalar(select(Member.id).where(Member.user_id == user_id))
    message = ItemMessage(
        assignment_id=assignment_id, author_id=user_id, member_id=author, kind="answer", text=text[:4000]
    )
    session.add(message)
    await session.flush()
    members = await policy.members_of(session, item.assignment.organisation_id)
    await outbox.tell(session, f"ia:{message.id}", members, NoticeKind.ITEM_ANSWER, message_id=message.id)
    await session.commit()
    return None


async def remember_card(session: AsyncSession, *, chat_id: int, message_id: int, assignment_id: int) -> None:
    """An item card was shown: it will be brought up to date when the item's status changes."""
    session.add(ItemCard(assignment_id=assignment_id, chat_id=chat_id, message_id=message_id, created_at=utcnow()))
    await session.commit()


async def remember_max_card(session: AsyncSession, *, max_user_id: int, mid: str, assignment_id: int) -> None:
    """An item card shown on MAX (MAX names messages by strings): brought up to date like Telegram's."""
    session.add(
        ItemCard(
            assignment_id=assignment_id,
            chat_id=max_user_id,
            message_id=0,
            channel="max",
            message_ref=mid,
            created_at=utcnow(),
        )
    )
    await session.commit()


async def item_of_max_message(session: AsyncSession, mid: str) -> int | None:
    """The item a MAX message of the bot is about: an item card, or a publication message with one item
    (what a member's reply on MAX comments on). None for anything else."""
    card = await session.scalar(
        select(ItemCard.assignment_id).where(ItemCard.channel == "max", ItemCard.message_ref == mid).limit(1)
    )
    if card is not None:
        return int(card)
    payload = await session.scalar(
        select(Delivery.payload).where(Delivery.channel == "max", Delivery.message_ref == mid).limit(1)
    )
    items = item_ids(payload or {})
    return int(items[0]) if len(items) == 1 else None


async def max_file_source(session: AsyncSession, token: str) -> tuple[str | None, str] | None:
    """Where a file sent on MAX can be fetched from: (its name, its URL), or None when it was not kept."""
    row = (
        await session.execute(
            select(ReportFile.name, ReportFile.url)
            .where(ReportFile.file_id == token, ReportFile.url.is_not(None))
            .order_by(ReportFile.id.desc())
            .limit(1)
        )
    ).first()
    return (row.name, str(row.url)) if row is not None else None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    author: str
    kind: str  # a status, or "answer" / "comment"
    text: str | None
    files: int = 0


async def history(session: AsyncSession, assignment_id: int, *, limit: int = 8) -> list[HistoryEntry]:
    """The latest reports and messages of an item, oldest first."""
    reports = (
        await session.execute(
            select(StatusReport, Member.full_name, func.count(ReportFile.id))
            .outerjoin(Member, Member.id == StatusReport.member_id)
            .outerjoin(ReportFile, ReportFile.report_id == StatusReport.id)
            .where(StatusReport.assignment_id == assignment_id)
            .group_by(StatusReport.id, Member.full_name)
            .order_by(StatusReport.id.desc())
            .limit(limit)
        )
    ).all()
    messages = (
        await session.execute(
            select(ItemMessage, Member.full_name)
            .outerjoin(Member, Member.id == ItemMessage.member_id)
            .where(ItemMessage.assignment_id == assignment_id)
            .order_by(ItemMessage.id.desc())
            .limit(limit)
        )
    ).all()
    entries = [HistoryEntry(r.created_at, name or "", r.status, r.comment, int(n)) for r, name, n in reports]
    entries += [HistoryEntry(m.created_at, name or "", m.kind, m.text) for m, name in messages]
    entries.sort(key=lambda e: e.at)
    return entries[-limit:]


async def review(
    session: AsyncSession,
    *,
    reviewer_id: int,
    assignment_id: int,
    accept: bool,
    comment: str | None,
    config: Config,
) -> tuple[ItemView | None, Refusal | None]:
    """Accept a reported «Выполнено» (the item closes) or return it for rework (back to В работе)."""
    item = await load_item(session, assignment_id)
    refusal = await check_review(session, reviewer_id, item, config)
    if refusal is not None or item is None:
        return item, refusal
    if item.assignment.status != Status.DONE:
        return item, Refusal.NOT_DONE  # a double click, or another reviewer was faster
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
        return item, Refusal.NOT_DONE  # another click or reviewer was faster
    session.add(row)
    await session.flush()  # the report's id keys the notice: a retried review never notifies twice
    members = await policy.members_of(session, item.assignment.organisation_id)
    await outbox.tell(session, f"rv:{row.id}", members, NoticeKind.REVIEW_RESULT, report_id=row.id)
    await _refresh(session, item.assignment, f"rf:{row.id}")
    audit.record(
        session, actor_id=reviewer_id, action=Action.ACCEPT if accept else Action.RETURN,
        object_type="assignment", object_id=assignment_id, details={"comment": (comment or "")[:500]},
    )  # fmt: skip
    await session.commit()
    return item, None


@dataclass(slots=True)
class TaskLine:
    assignment_id: int
    number: int  # the item's number under its addressee in the resolution
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
        select(Assignment, Recommendation.text, Resolution.title, Recommendation.position)
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
        TaskLine(a.id, position + 1, title, text, a.due, a.status, a.due is not None and a.due < today)
        for a, text, title, position in rows
    ]
    return lines, int(total)


def extension_date_problem(current: date | None, new_due: date, today: date) -> Refusal | None:
    """Why `new_due` cannot be asked for (checked as soon as the member types it)."""
    if current is None:
        return Refusal.NO_DUE
    if new_due <= today or new_due <= current:
        return Refusal.BAD_DATE
    return None


async def request_extension(
    session: AsyncSession,
    member: Member | None,
    *,
    assignment_id: int,
    new_due: date,
    reason: str,
    today: date,
    config: Config,
) -> Refusal | None:
    """A member asks to move a due date; the organisation's managers get Approve / Decline buttons."""
    item = await load_item(session, assignment_id)
    refusal = check_access(member, item)
    if refusal is not None or item is None or member is None:
        return refusal
    problem = extension_date_problem(item.assignment.due, new_due, today)
    if problem is not None:
        return problem
    request = ExtensionRequest(
        assignment_id=assignment_id,
        member_id=member.id,
        new_due=new_due,
        reason=reason[:1000],
        created_at=utcnow(),
    )
    session.add(request)
    await session.flush()
    managers = await policy.managers_of(session, item.assignment.organisation, config.admin_ids)
    await outbox.tell(session, f"ext:{request.id}", managers, NoticeKind.EXTENSION_REQUEST, request_id=request.id)
    await session.commit()
    return None


async def decide_extension(
    session: AsyncSession,
    *,
    reviewer_id: int,
    request_id: int,
    approve: bool,
    config: Config,
    now: datetime | None = None,
) -> Refusal | None:
    """Approve (the due date moves, reminders follow it) or decline; the organisation is told.

    Refused like every other action once the resolution is withdrawn: nothing moves, nobody is told.
    """
    request = await session.get(ExtensionRequest, request_id)
    if request is None:
        return Refusal.NOT_FOUND
    item = await load_item(session, request.assignment_id)
    refusal = await check_review(session, reviewer_id, item, config)
    if refusal is not None or item is None:
        return refusal
    decided = await session.execute(
        update(ExtensionRequest)
        .where(ExtensionRequest.id == request.id, ExtensionRequest.state == "pending")
        .values(state="approved" if approve else "declined", decided_by=reviewer_id)
        .execution_options(synchronize_session=False)
    )
    if decided.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        return Refusal.DECIDED
    if approve:
        item.assignment.due = request.new_due
        item.assignment.escalated_at = None
    members = await policy.members_of(session, item.assignment.organisation_id)
    await outbox.tell(session, f"extd:{request.id}", members, NoticeKind.EXTENSION_DECISION, request_id=request.id)
    await session.flush()
    if approve:
        await reminders.plan_assignments(session, [item.assignment.id], now or utcnow(), config.rules)
    await _refresh(session, item.assignment, f"rfe:{request.id}")
    audit.record(
        session, actor_id=reviewer_id, action=Action.EXTENSION_APPROVED if approve else Action.EXTENSION_DECLINED,
        object_type="assignment", object_id=item.assignment.id, details={"new_due": request.new_due.isoformat()},
    )  # fmt: skip
    await session.commit()
    return None


async def snooze(
    session: AsyncSession, member: Member | None, *, assignment_id: int, days: int, now: datetime | None = None
) -> tuple[datetime | None, Refusal | None]:
    """«Напомнить через N дней»: only for this member and this item. Returns when, or why not."""
    item = await load_item(session, assignment_id)
    refusal = check_access(member, item)
    if refusal is not None or member is None:
        return None, refusal
    until = await reminders.snooze(
        session, member_id=member.id, assignment_id=assignment_id, now=now or utcnow(), days=days
    )
    if until is None:
        return None, Refusal.CLOSED
    await session.commit()
    return until, None
