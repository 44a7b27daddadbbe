"""Members report on their items: «Ознакомлен», the four statuses, an optional comment or file."""

from __future__ import annotations

import contextlib
from datetime import date, datetime

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.edits import edit_if_changed
from handlers.filters import IsApprovedMember
from models import oversight, reports
from models.config import Config
from models.entities import Member, Status
from models.notices import load_items
from models.timeutil import local_today
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
    TasksCb,
)
from ui.keyboards import details_keyboard, tasks_keyboard, with_item_status
from ui.render import Renderer
from ui.reporting import ACTION_STATUS, EVIDENCE, HELD


class ReportStates(StatesGroup):
    comment = State()  # comment and files after a status report
    item_comment = State()  # a later comment on an item
    answer = State()  # an officer's answer on an item
    return_comment = State()
    extension_date = State()
    extension_reason = State()


def _today(member: Member | None, settings: Settings) -> date:
    return local_today(member.timezone if member else None, settings.timezone)


async def show_card(message: Message, session: AsyncSession, renderer: Renderer, assignment_id: int) -> None:
    """Send an item's card and remember it, so that a later status change redraws it."""
    facts = (await load_items(session, [assignment_id]))[assignment_id]
    card = await renderer.card(session, facts)
    sent = await message.answer(card.text, reply_markup=card.markup)
    await reports.remember_card(session, chat_id=sent.chat.id, message_id=sent.message_id, assignment_id=assignment_id)


async def on_open(
    callback: CallbackQuery, callback_data: ReportCb, session: AsyncSession, member: Member | None, renderer: Renderer
) -> None:
    item = await reports.load_item(session, callback_data.assignment_id)
    refusal = reports.check_access(member, item)
    if refusal is not None or item is None:
        await callback.answer(texts.refusal(refusal), show_alert=True)
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        await show_card(callback.message, session, renderer, item.assignment.id)


async def on_status(
    callback: CallbackQuery,
    callback_data: ReportCb,
    session: AsyncSession,
    member: Member | None,
    config: Config,
    state: FSMContext,
    renderer: Renderer,
) -> None:
    status = ACTION_STATUS[callback_data.action]
    item, row, refusal = await reports.report(session, member, callback_data.assignment_id, status, config=config)
    if refusal is not None or item is None:
        await callback.answer(texts.refusal(refusal), show_alert=True)
        return
    current = item.assignment.status
    if row is None and current in (status, Status.ACCEPTED):
        await callback.answer(texts.REPORT_SAME)  # a double click
    elif row is None:  # a stale button: a colleague reported since this copy was drawn
        await callback.answer(texts.REPORT_STALE.format(status=texts.STATUS_NAMES[current]))
    elif callback_data.action == ReportAction.ACK:
        await callback.answer(texts.REPORT_ACK)
    else:
        await callback.answer(texts.REPORT_SAVED.format(status=texts.STATUS_NAMES[row.status]))
    message = callback.message
    if not isinstance(message, Message):
        return
    # The answer is out; now the slower edits, each only if what the user sees changes.
    markup = with_item_status(message.reply_markup, item.assignment.id, item.assignment.status)
    if markup is not None:  # a resolution message: that item's button shows the new status
        await edit_if_changed(message, text=None, markup=markup)
    elif callback_data.action != ReportAction.ACK:  # the item card itself
        card = await renderer.card(session, (await load_items(session, [item.assignment.id]))[item.assignment.id])
        await edit_if_changed(message, text=card.text, markup=card.markup)
    if row is None or callback_data.action == ReportAction.ACK:
        return
    await state.set_state(ReportStates.comment)
    await state.update_data(report_id=row.id)
    ask = {Status.DONE: texts.REPORT_ASK_DETAILS, Status.BLOCKED: texts.REPORT_ASK_DIFFICULTY}.get(
        Status(row.status), texts.REPORT_ASK_EVIDENCE if row.status in EVIDENCE else texts.REPORT_ASK_COMMENT
    )
    await message.answer(ask, reply_markup=details_keyboard(row.id, added=False))


async def on_details_done(
    callback: CallbackQuery,
    callback_data: CommentCb,
    session: AsyncSession,
    member: Member | None,
    state: FSMContext,
) -> None:
    """«Готово» / «Пропустить»: the comment step ends and a held review request or difficulty goes out."""
    data = await state.get_data()
    if data.get("report_id") == callback_data.report_id:
        await state.clear()
    report = await reports.own_report(session, member, callback_data.report_id)
    if report is None:
        await callback.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await reports.finish_report(session, member, report.id)
    done = HELD.get(Status(report.status))
    await callback.answer(done or texts.REPORT_DETAILS_DONE)
    if isinstance(callback.message, Message):
        text = done or (texts.REPORT_DETAILS_DONE if report.comment else texts.REPORT_NO_COMMENT)
        await edit_if_changed(callback.message, text=text, markup=None)


async def on_comment(message: Message, session: AsyncSession, member: Member | None, state: FSMContext) -> None:
    """A comment, a file or a photo after a report. After «Выполнено» and «Есть трудности» several may
    follow, until «Готово»; after the other statuses a comment ends the step."""
    report_id = int((await state.get_data()).get("report_id", 0))
    file: tuple[str, str] | None = None
    if message.document is not None:
        file = (message.document.file_id, "document")
    elif message.photo:
        file = (message.photo[-1].file_id, "photo")
    saved = await reports.attach_to_report(
        session, member, report_id, comment=message.text or message.caption, file=file
    )
    if saved is None:
        await state.clear()
        await message.answer(texts.STALE_BUTTON)
        return
    if Status(saved.status) in HELD:
        await message.answer(texts.REPORT_DETAIL_SAVED, reply_markup=details_keyboard(saved.id, added=True))
        return
    await state.clear()
    await message.answer(texts.REPORT_FILE_SAVED if file else texts.REPORT_COMMENT_SAVED)


async def ask_about_item(
    callback: CallbackQuery,
    session: AsyncSession,
    member: Member | None,
    state: FSMContext,
    assignment_id: int,
    step: State,
    prompt: str,
) -> None:
    """A member's button that opens a typed step about one of their items (a comment, a new due date)."""
    item = await reports.load_item(session, assignment_id)
    refusal = reports.check_access(member, item)
    if refusal is not None:
        await callback.answer(texts.refusal(refusal), show_alert=True)
        return
    await callback.answer()
    await state.set_state(step)
    await state.update_data(assignment_id=assignment_id)
    if isinstance(callback.message, Message):
        await callback.message.answer(prompt)


async def on_item_comment_ask(
    callback: CallbackQuery, callback_data: ReportCb, session: AsyncSession, member: Member | None, state: FSMContext
) -> None:
    await ask_about_item(
        callback, session, member, state, callback_data.assignment_id, ReportStates.item_comment, texts.ITEM_COMMENT_ASK
    )


async def _comment_on(
    message: Message, session: AsyncSession, member: Member | None, config: Config, assignment_id: int
) -> None:
    status_before = await reports.load_item(session, assignment_id)
    refusal = await reports.comment_on_item(session, member, assignment_id, message.text or "", config)
    if refusal is not None:
        await message.answer(texts.refusal(refusal))
        return
    waiting = status_before is not None and status_before.assignment.status in (Status.DONE, Status.BLOCKED)
    await message.answer(texts.ITEM_COMMENT_SENT if waiting else texts.ITEM_COMMENT_SAVED)


async def on_item_comment(
    message: Message, session: AsyncSession, member: Member | None, config: Config, state: FSMContext
) -> None:
    assignment_id = int((await state.get_data()).get("assignment_id", 0))
    await state.clear()
    await _comment_on(message, session, member, config, assignment_id)


async def on_card_reply(message: Message, session: AsyncSession, member: Member | None, config: Config) -> None:
    """A reply to an item card (or a resolution message about one item) is a comment on that item."""
    assignment_id = replied_item(message)
    if assignment_id is None:
        await message.answer(texts.FREE_TEXT)
        return
    await _comment_on(message, session, member, config, assignment_id)


def replied_item(message: Message) -> int | None:
    """The item a reply refers to: the one the replied-to message's report buttons are about."""
    replied = message.reply_to_message
    markup = replied.reply_markup if replied is not None else None
    if markup is None:
        return None
    datas = [button.callback_data or "" for row in markup.inline_keyboard for button in row]
    items = {ReportCb.unpack(data).assignment_id for data in datas if data.startswith(f"{ReportCb.__prefix__}:")}
    return items.pop() if len(items) == 1 else None


async def on_answer_ask(
    callback: CallbackQuery, callback_data: AnswerCb, session: AsyncSession, config: Config, state: FSMContext
) -> None:
    item = await reports.load_item(session, callback_data.assignment_id)
    refusal = await reports.check_review(session, callback.from_user.id, item, config)
    if refusal is not None:
        await callback.answer(texts.refusal(refusal), show_alert=True)
        return
    await callback.answer()
    await state.set_state(ReportStates.answer)
    await state.update_data(assignment_id=callback_data.assignment_id)
    if isinstance(callback.message, Message):
        await callback.message.answer(texts.ANSWER_ASK)


async def on_answer(message: Message, session: AsyncSession, config: Config, state: FSMContext) -> None:
    assert message.from_user is not None
    assignment_id = int((await state.get_data()).get("assignment_id", 0))
    await state.clear()
    refusal = await reports.answer_item(
        session, user_id=message.from_user.id, assignment_id=assignment_id, text=message.text or "", config=config
    )
    await message.answer(texts.refusal(refusal) if refusal is not None else texts.ANSWER_SENT)


async def on_accept(
    callback: CallbackQuery,
    callback_data: ReviewCb,
    session: AsyncSession,
    config: Config,
) -> None:
    _item, refusal = await reports.review(
        session,
        reviewer_id=callback.from_user.id,
        assignment_id=callback_data.assignment_id,
        accept=True,
        comment=None,
        config=config,
    )
    if refusal is not None:
        await callback.answer(texts.refusal(refusal), show_alert=True)
        return
    await callback.answer(texts.REVIEW_ACCEPTED)
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=None, markup=None)


async def on_return(
    callback: CallbackQuery, callback_data: ReviewCb, session: AsyncSession, config: Config, state: FSMContext
) -> None:
    item = await reports.load_item(session, callback_data.assignment_id)
    refusal = await reports.check_review(session, callback.from_user.id, item, config)
    if refusal is None and item is not None and item.assignment.status != Status.DONE:
        refusal = reports.Refusal.NOT_DONE
    if refusal is not None or item is None:
        await callback.answer(texts.refusal(refusal), show_alert=True)
        return
    await callback.answer()
    await state.set_state(ReportStates.return_comment)
    review_message = callback.message.message_id if isinstance(callback.message, Message) else 0
    await state.update_data(assignment_id=item.assignment.id, review_message_id=review_message)
    if isinstance(callback.message, Message):
        await callback.message.answer(texts.REVIEW_ASK_RETURN_COMMENT)


async def on_return_comment(message: Message, session: AsyncSession, config: Config, state: FSMContext) -> None:
    assert message.from_user is not None
    data = await state.get_data()
    await state.clear()
    _item, refusal = await reports.review(
        session,
        reviewer_id=message.from_user.id,
        assignment_id=int(data.get("assignment_id", 0)),
        accept=False,
        comment=message.text,
        config=config,
    )
    if refusal is not None:
        await message.answer(texts.refusal(refusal))
        return
    await message.answer(texts.REVIEW_RETURNED)
    if data.get("review_message_id") and message.bot is not None:
        # The review question is settled: its buttons would only lead to "already reviewed".
        with contextlib.suppress(TelegramBadRequest):
            await message.bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=int(data["review_message_id"]), reply_markup=None
            )


async def on_extension_ask(
    callback: CallbackQuery, callback_data: ExtCb, session: AsyncSession, member: Member | None, state: FSMContext
) -> None:
    await ask_about_item(
        callback, session, member, state, callback_data.assignment_id, ReportStates.extension_date,
        texts.EXTENSION_ASK_DATE,
    )  # fmt: skip


async def on_extension_date(
    message: Message, session: AsyncSession, member: Member | None, settings: Settings, state: FSMContext
) -> None:
    try:
        new_due = datetime.strptime((message.text or "").strip(), "%d.%m.%Y").date()
    except ValueError:
        await message.answer(texts.EXTENSION_BAD_DATE)
        return
    item = await reports.load_item(session, int((await state.get_data()).get("assignment_id", 0)))
    refusal = reports.check_access(member, item)
    if refusal is not None or item is None:
        await state.clear()
        await message.answer(texts.refusal(refusal))
        return
    problem = reports.extension_date_problem(item.assignment.due, new_due, _today(member, settings))
    if problem is not None:
        await message.answer(texts.refusal(problem))  # stay in this step: the member types another date
        return
    await state.update_data(new_due=new_due.isoformat())
    await state.set_state(ReportStates.extension_reason)
    await message.answer(texts.EXTENSION_ASK_REASON)


async def on_extension_reason(
    message: Message,
    session: AsyncSession,
    member: Member | None,
    settings: Settings,
    config: Config,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    await state.clear()
    refusal = await reports.request_extension(
        session,
        member,
        assignment_id=int(data.get("assignment_id", 0)),
        new_due=date.fromisoformat(str(data.get("new_due"))),
        reason=message.text or "",
        today=_today(member, settings),
        config=config,
    )
    if refusal is not None:
        await message.answer(texts.refusal(refusal))
        return
    await message.answer(texts.EXTENSION_SENT)


async def on_extension_decision(
    callback: CallbackQuery, callback_data: ExtCb, session: AsyncSession, config: Config
) -> None:
    approve = callback_data.action == ExtAction.APPROVE
    refusal = await reports.decide_extension(
        session,
        reviewer_id=callback.from_user.id,
        request_id=callback_data.request_id,
        approve=approve,
        config=config,
    )
    if refusal is not None:
        await callback.answer(texts.refusal(refusal), show_alert=True)
        return
    await callback.answer(texts.EXTENSION_DONE_APPROVED if approve else texts.EXTENSION_DONE_DECLINED)
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=None, markup=None)


async def on_snooze(
    callback: CallbackQuery, callback_data: SnoozeCb, session: AsyncSession, member: Member | None
) -> None:
    """«Напомнить через N дней» under a reminder: only for this member and this item."""
    if not 1 <= callback_data.days <= 30:
        await callback.answer(texts.STALE_BUTTON, show_alert=True)
        return
    until, refusal = await reports.snooze(
        session, member, assignment_id=callback_data.assignment_id, days=callback_data.days
    )
    if refusal is not None or until is None:
        await callback.answer(
            texts.SNOOZE_CLOSED if refusal == reports.Refusal.CLOSED else texts.refusal(refusal),
            show_alert=True,
        )
        return
    word = texts.plural(callback_data.days, "день", "дня", "дней")
    await callback.answer(texts.SNOOZED.format(days=callback_data.days, word=word))


TASKS_PAGE = 5


async def tasks_page(
    session: AsyncSession, member: Member, settings: Settings, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    assert member.organisation_id is not None
    today = _today(member, settings)
    lines, total = await reports.open_tasks(
        session, member.organisation_id, today, offset=page * TASKS_PAGE, limit=TASKS_PAGE
    )
    if total == 0:
        return texts.TASKS_EMPTY, None
    pages = (total + TASKS_PAGE - 1) // TASKS_PAGE
    first = page * TASKS_PAGE + 1
    blocks = [texts.TASKS_HEAD.format(shown=f"{first}–{first + len(lines) - 1}", total=total)]
    blocks += [texts.task_line(t.number, t.resolution_title, t.text, t.due, t.status, t.overdue) for t in lines]
    colleagues = await oversight.paused_members(session, [member.organisation_id], today, exclude_member_id=member.id)
    if colleagues:
        blocks.append(texts.paused_block(colleagues, with_org=False))
    markup = tasks_keyboard([(t.number, t.assignment_id, t.status) for t in lines], page, pages)
    return "\n\n".join(blocks), markup


async def tasks_command(message: Message, session: AsyncSession, member: Member | None, settings: Settings) -> None:
    if member is None or member.organisation_id is None:
        await message.answer(texts.TASKS_EMPTY)
        return
    text, markup = await tasks_page(session, member, settings, 0)
    await message.answer(text, reply_markup=markup)


async def on_tasks_page(
    callback: CallbackQuery, callback_data: TasksCb, session: AsyncSession, member: Member | None, settings: Settings
) -> None:
    if member is None or member.organisation_id is None or callback_data.page < 0:
        await callback.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await callback.answer()
    text, markup = await tasks_page(session, member, settings, callback_data.page)
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=text, markup=markup)


def create_router() -> Router:
    router = Router(name="reports")
    router.message.register(tasks_command, Command("tasks"), IsApprovedMember())
    router.callback_query.register(on_tasks_page, TasksCb.filter())
    router.callback_query.register(on_snooze, SnoozeCb.filter())
    router.callback_query.register(on_extension_ask, ExtCb.filter(F.action == ExtAction.ASK))
    router.callback_query.register(
        on_extension_decision, ExtCb.filter(F.action.in_({ExtAction.APPROVE, ExtAction.DECLINE}))
    )
    text_only = F.text & ~F.text.startswith("/")
    router.message.register(on_extension_date, StateFilter(ReportStates.extension_date), text_only)
    router.message.register(on_extension_reason, StateFilter(ReportStates.extension_reason), text_only)
    router.callback_query.register(on_accept, ReviewCb.filter(F.action == ReviewAction.ACCEPT))
    router.callback_query.register(on_return, ReviewCb.filter(F.action == ReviewAction.RETURN))
    router.message.register(
        on_return_comment, StateFilter(ReportStates.return_comment), F.text & ~F.text.startswith("/")
    )
    router.callback_query.register(on_open, ReportCb.filter(F.action == ReportAction.OPEN))
    router.callback_query.register(on_status, ReportCb.filter(F.action.in_(set(ACTION_STATUS))))
    router.callback_query.register(on_details_done, CommentCb.filter())
    router.message.register(
        on_comment, StateFilter(ReportStates.comment), (F.text & ~F.text.startswith("/")) | F.document | F.photo
    )
    router.callback_query.register(on_item_comment_ask, ReportCb.filter(F.action == ReportAction.COMMENT))
    router.message.register(on_item_comment, StateFilter(ReportStates.item_comment), text_only)
    router.callback_query.register(on_answer_ask, AnswerCb.filter())
    router.message.register(on_answer, StateFilter(ReportStates.answer), text_only)
    router.message.register(
        on_card_reply, StateFilter(None), IsApprovedMember(), text_only, F.reply_to_message.from_user.is_bot
    )
    return router
