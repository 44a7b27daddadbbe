"""What a report button means and what the member is told after the comment step: shared by the
Telegram handlers and the MAX ones, so both messengers behave alike."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from models import reports
from models.entities import Member, Status
from ui import texts
from ui.callbacks import ReportAction

ACTION_STATUS: dict[ReportAction, Status] = {
    ReportAction.ACK: Status.ACKNOWLEDGED,
    ReportAction.NOT_STARTED: Status.NOT_STARTED,
    ReportAction.IN_PROGRESS: Status.IN_PROGRESS,
    ReportAction.DONE: Status.DONE,
    ReportAction.BLOCKED: Status.BLOCKED,
}
EVIDENCE = {Status.DONE, Status.BLOCKED, Status.ACCEPTED}
HELD = {Status.DONE: texts.REPORT_SENT_TO_REVIEW, Status.BLOCKED: texts.REPORT_SENT_TO_OFFICER}


async def cancel_comment_step(session: AsyncSession, member: Member | None, report_id: int) -> str:
    """/cancel during the comment step: the report stays as it is, and what it holds back (a review request,
    a difficulty) goes now rather than after the hold; the answer says so."""
    report = await reports.own_report(session, member, report_id) if report_id else None
    if report is None:
        return texts.CANCELLED
    await reports.finish_report(session, member, report.id)
    status = Status(report.status)
    sent = texts.CANCELLED_REPORT_SENT if status in HELD else ""
    return texts.CANCELLED_REPORT.format(status=texts.STATUS_NAMES[status], sent=sent)
