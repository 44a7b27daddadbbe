"""Reporting and reviewing on MAX: status buttons, the comment-and-files step, accept / return, extensions,
snooze and answers, through the same services as the aiogram handlers (`handlers/reports.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from aiogram.filters.callback_data import CallbackData
from maxapi.types import MessageCreated

from maxbot.handlers.base import Act, Press, PressHandler, State, TextStep
from models import reports
from models.entities import Status
from models.notices import load_items
from ui import texts
from ui.callbacks import (
    AnswerCb,
    CommentCb,
    ExtAction,
    ExtCb,
    ReportAction,
    ReportCb,
    ReviewAction,
    ReviewCb,
    SnoozeCb,
)
from ui.keyboards import details_keyboard
from ui.reporting import ACTION_STATUS, EVIDENCE, HELD


@dataclass(frozen=True, slots=True)
class SentFile:
    """A file or a photo the member sent: its MAX token and kind (`ReportFile.kind`), and where it can be
    fetched from and its name, to show it to a reviewer on Telegram."""

    token: str
    kind: str
    url: str | None
    name: str | None


def _file_of(event: MessageCreated) -> SentFile | None:
    message_body = event.message.body
    for attachment in (message_body.attachments if message_body else None) or []:
        kind = str(getattr(attachment, "type", ""))
        payload = getattr(attachment, "payload", None)
        token = getattr(payload, "token", None)
        if token and kind in {"file", "image"}:
            url = getattr(payload, "url", None)
            name = getattr(attachment, "filename", None)
            return SentFile(
                str(token),
                "max_file" if kind == "file" else "max_image",
                str(url) if url else None,
                str(name) if name else None,
            )
    return None


async def _comment(act: Act, report_id: int, text: str, file: SentFile | None) -> None:
    saved = await reports.attach_to_report(
        act.session,
        act.member,
        report_id,
        comment=text or None,
        file=(file.token, file.kind) if file else None,
        file_url=file.url if file else None,
        file_name=file.name if file else None,
    )
    if saved is None:
        await act.context.clear()
        await act.say(texts.STALE_BUTTON)
        return
    if Status(saved.status) in HELD:
        await act.say(texts.REPORT_DETAIL_SAVED, details_keyboard(saved.id, added=True))
        return
    await act.context.clear()
    await act.say(texts.REPORT_FILE_SAVED if file else texts.REPORT_COMMENT_SAVED)


async def _comment_on_item(act: Act, assignment_id: int, text: str) -> None:
    before = await reports.load_item(act.session, assignment_id)
    refusal = await reports.comment_on_item(act.session, act.member, assignment_id, text, act.deps.config)
    if refusal is not None:
        await act.say(texts.refusal(refusal))
        return
    waiting = before is not None and before.assignment.status in (Status.DONE, Status.BLOCKED)
    await act.say(texts.ITEM_COMMENT_SENT if waiting else texts.ITEM_COMMENT_SAVED)


async def _return(act: Act, assignment_id: int, comment: str, review_mid: str) -> None:
    _item, refusal = await reports.review(
        act.session,
        reviewer_id=act.principal,
        assignment_id=assignment_id,
        accept=False,
        comment=comment,
        config=act.deps.config,
    )
    if refusal is not None:
        await act.say(texts.refusal(refusal))
        return
    await act.say(texts.REVIEW_RETURNED)
    if review_mid:  # the question is settled: its buttons would only lead to "already reviewed"
        await act.deps.client.edit(review_mid, {"text": None, "attachments": []})


async def _extension_date(act: Act, assignment_id: int, text: str) -> None:
    try:
        new_due = datetime.strptime(text, "%d.%m.%Y").date()
    except ValueError:
        await act.say(texts.EXTENSION_BAD_DATE)
        return
    item = await reports.load_item(act.session, assignment_id)
    refusal = reports.check_access(act.member, item)
    if refusal is not None or item is None:
        await act.context.clear()
        await act.say(texts.refusal(refusal))
        return
    problem = reports.extension_date_problem(item.assignment.due, new_due, act.today())
    if problem is not None:
        await act.say(texts.refusal(problem))
        return
    await act.context.update_data(new_due=new_due.isoformat())
    await act.context.set_state(State.EXTENSION_REASON)
    await act.say(texts.EXTENSION_ASK_REASON)


async def _ask_about_item(press: Press, assignment_id: int, state: str, question: str) -> None:
    """A question about one of the member's own items; the answer comes as the next message."""
    act = press.act
    refusal = reports.check_access(act.member, await reports.load_item(act.session, assignment_id))
    if refusal is not None:
        await press.answer(texts.refusal(refusal))
        return
    await press.answer(texts.MAX_ASKED)
    await act.context.set_state(state)
    await act.context.update_data(assignment_id=assignment_id)
    await act.say(question)


async def on_report(press: Press, data: ReportCb) -> None:
    act = press.act
    if data.action == ReportAction.OPEN:
        item = await reports.load_item(act.session, data.assignment_id)
        refusal = reports.check_access(act.member, item)
        if refusal is not None or item is None:
            await press.answer(texts.refusal(refusal))
            return
        await press.answer(texts.MAX_OPENED)
        facts = (await load_items(act.session, [item.assignment.id]))[item.assignment.id]
        card = await act.deps.renderer.card(act.session, facts)
        mid = await act.say(card.text, card.markup)
        if mid:  # a later status change, review or extension redraws it (`MaxRenderer.refresh`)
            await reports.remember_max_card(
                act.session, max_user_id=act.user.user_id, mid=mid, assignment_id=item.assignment.id
            )
        return
    if data.action == ReportAction.COMMENT:
        await _ask_about_item(press, data.assignment_id, State.ITEM_COMMENT, texts.ITEM_COMMENT_ASK)
        return
    status = ACTION_STATUS[data.action]
    item, row, refusal = await reports.report(
        act.session, act.member, data.assignment_id, status, config=act.deps.config
    )
    if refusal is not None or item is None:
        await press.answer(texts.refusal(refusal))
        return
    current = item.assignment.status
    if row is None and current in (status, Status.ACCEPTED):
        await press.answer(texts.REPORT_SAME)
    elif row is None:
        await press.answer(texts.REPORT_STALE.format(status=texts.STATUS_NAMES[current]))
    elif data.action == ReportAction.ACK:
        await press.answer(texts.REPORT_ACK)
    else:
        await press.answer(texts.REPORT_SAVED.format(status=texts.STATUS_NAMES[row.status]))
    # The answer is out; now the pressed message shows the new state (a resolution message, or the item card).
    if press.mid:
        fresh = await act.deps.renderer.redraw(act.session, press.mid)
        if fresh is None and data.action != ReportAction.ACK:
            fresh = await act.deps.renderer.card(
                act.session, (await load_items(act.session, [item.assignment.id]))[item.assignment.id]
            )
        if fresh is not None:
            await act.edit(press.mid, fresh.text, fresh.markup)
    if row is None or data.action == ReportAction.ACK:
        return
    await act.context.set_state(State.COMMENT)
    await act.context.update_data(report_id=row.id)
    ask = {Status.DONE: texts.REPORT_ASK_DETAILS, Status.BLOCKED: texts.REPORT_ASK_DIFFICULTY}.get(
        Status(row.status), texts.REPORT_ASK_EVIDENCE if row.status in EVIDENCE else texts.REPORT_ASK_COMMENT
    )
    await act.say(ask, details_keyboard(row.id, added=False))


async def on_details_done(press: Press, data: CommentCb) -> None:
    act = press.act
    if (await act.context.get_data()).get("report_id") == data.report_id:
        await act.context.clear()
    report = await reports.own_report(act.session, act.member, data.report_id)
    if report is None:
        await press.answer(texts.STALE_BUTTON)
        return
    await reports.finish_report(act.session, act.member, report.id)
    done = HELD.get(Status(report.status))
    await press.answer(done or texts.REPORT_DETAILS_DONE)
    text = done or (texts.REPORT_DETAILS_DONE if report.comment else texts.REPORT_NO_COMMENT)
    await act.edit(press.mid, text)


async def on_review(press: Press, data: ReviewCb) -> None:
    act = press.act
    config = act.deps.config
    if data.action == ReviewAction.ACCEPT:
        _item, refusal = await reports.review(
            act.session,
            reviewer_id=act.principal,
            assignment_id=data.assignment_id,
            accept=True,
            comment=None,
            config=config,
        )
        if refusal is not None:
            await press.answer(texts.refusal(refusal))
            return
        await press.answer(texts.REVIEW_ACCEPTED)
        if press.mid:
            await act.deps.client.edit(press.mid, {"text": None, "attachments": []})
        return
    item = await reports.load_item(act.session, data.assignment_id)
    refusal = await reports.check_review(act.session, act.principal, item, config)
    if refusal is None and item is not None and item.assignment.status != Status.DONE:
        refusal = reports.Refusal.NOT_DONE
    if refusal is not None or item is None:
        await press.answer(texts.refusal(refusal))
        return
    await press.answer(texts.MAX_ASKED)
    await act.context.set_state(State.RETURN_COMMENT)
    await act.context.update_data(assignment_id=item.assignment.id, review_mid=press.mid or "")
    await act.say(texts.REVIEW_ASK_RETURN_COMMENT)


async def on_extension(press: Press, data: ExtCb) -> None:
    act = press.act
    if data.action == ExtAction.ASK:
        await _ask_about_item(press, data.assignment_id, State.EXTENSION_DATE, texts.EXTENSION_ASK_DATE)
        return
    approve = data.action == ExtAction.APPROVE
    refusal = await reports.decide_extension(
        act.session, reviewer_id=act.principal, request_id=data.request_id, approve=approve, config=act.deps.config
    )
    if refusal is not None:
        await press.answer(texts.refusal(refusal))
        return
    await press.answer(texts.EXTENSION_DONE_APPROVED if approve else texts.EXTENSION_DONE_DECLINED)
    if press.mid:
        await act.deps.client.edit(press.mid, {"text": None, "attachments": []})


async def on_snooze(press: Press, data: SnoozeCb) -> None:
    if not 1 <= data.days <= 30:
        await press.answer(texts.STALE_BUTTON)
        return
    until, refusal = await reports.snooze(
        press.act.session, press.act.member, assignment_id=data.assignment_id, days=data.days
    )
    if refusal is not None or until is None:
        await press.answer(texts.SNOOZE_CLOSED if refusal == reports.Refusal.CLOSED else texts.refusal(refusal))
        return
    word = texts.plural(data.days, "день", "дня", "дней")
    await press.answer(texts.SNOOZED.format(days=data.days, word=word))


async def on_answer_ask(press: Press, data: AnswerCb) -> None:
    act = press.act
    item = await reports.load_item(act.session, data.assignment_id)
    refusal = await reports.check_review(act.session, act.principal, item, act.deps.config)
    if refusal is not None:
        await press.answer(texts.refusal(refusal))
        return
    await press.answer(texts.MAX_ASKED)
    await act.context.set_state(State.ANSWER)
    await act.context.update_data(assignment_id=data.assignment_id)
    await act.say(texts.ANSWER_ASK)


async def _step_comment(act: Act, event: MessageCreated, text: str, data: dict[str, Any]) -> None:
    file = _file_of(event)
    if not text and file is None:  # a sticker, say: nothing to add to the report
        await act.say(texts.REPORT_NEED_CONTENT)
        return
    await _comment(act, int(data.get("report_id", 0)), text, file)


def _needs_text(step: TextStep) -> TextStep:
    """A step that wants words: a file alone, or a command, is asked again."""

    async def wrapped(act: Act, event: MessageCreated, text: str, data: dict[str, Any]) -> None:
        if not text or text.startswith("/"):
            await act.say(texts.NEED_TEXT)
            return
        await step(act, event, text, data)

    return wrapped


async def _step_item_comment(act: Act, event: MessageCreated, text: str, data: dict[str, Any]) -> None:
    await act.context.clear()
    await _comment_on_item(act, int(data.get("assignment_id", 0)), text)


async def _step_answer(act: Act, event: MessageCreated, text: str, data: dict[str, Any]) -> None:
    await act.context.clear()
    refusal = await reports.answer_item(
        act.session,
        user_id=act.principal,
        assignment_id=int(data.get("assignment_id", 0)),
        text=text,
        config=act.deps.config,
    )
    await act.say(texts.refusal(refusal) if refusal is not None else texts.ANSWER_SENT)


async def _step_return(act: Act, event: MessageCreated, text: str, data: dict[str, Any]) -> None:
    await act.context.clear()
    await _return(act, int(data.get("assignment_id", 0)), text, str(data.get("review_mid") or ""))


async def _step_extension_date(act: Act, event: MessageCreated, text: str, data: dict[str, Any]) -> None:
    await _extension_date(act, int(data.get("assignment_id", 0)), text)


async def _step_extension_reason(act: Act, event: MessageCreated, text: str, data: dict[str, Any]) -> None:
    await act.context.clear()
    refusal = await reports.request_extension(
        act.session,
        act.member,
        assignment_id=int(data.get("assignment_id", 0)),
        new_due=date.fromisoformat(str(data.get("new_due"))),
        reason=text,
        today=act.today(),
        config=act.deps.config,
    )
    await act.say(texts.refusal(refusal) if refusal is not None else texts.EXTENSION_SENT)


async def unprompted(act: Act, event: MessageCreated, text: str) -> bool:
    """A member's reply to an item card (or to a resolution message with one item): a comment on the item,
    as on Telegram."""
    link = event.message.link
    if link is None or str(link.type) != "reply" or not text or text.startswith("/") or not act.member:
        return False
    item = await reports.item_of_max_message(act.session, link.message.mid)
    if item is None:
        return False
    await _comment_on_item(act, item, text)
    return True


PRESSES: tuple[tuple[type[CallbackData], PressHandler], ...] = (
    (ReportCb, on_report),
    (CommentCb, on_details_done),
    (ReviewCb, on_review),
    (ExtCb, on_extension),
    (SnoozeCb, on_snooze),
    (AnswerCb, on_answer_ask),
)
STEPS: dict[str, TextStep] = {
    State.COMMENT: _step_comment,  # words, a file or a photo
    State.ITEM_COMMENT: _needs_text(_step_item_comment),
    State.ANSWER: _needs_text(_step_answer),
    State.RETURN_COMMENT: _needs_text(_step_return),
    State.EXTENSION_DATE: _needs_text(_step_extension_date),
    State.EXTENSION_REASON: _needs_text(_step_extension_reason),
}
