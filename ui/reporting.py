"""What a report button means and what the member is told after the comment step: shared by the
Telegram handlers and the MAX ones, so both messengers behave alike."""

from __future__ import annotations

from models.entities import Status
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
