"""Members report on their items: «Ознакомлен», the four statuses, an optional comment or file."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers import texts
from handlers.callbacks import CommentCb, ReportAction, ReportCb
from handlers.keyboards import comment_keyboard, item_card_keyboard, with_item_status
from models import reports
from models.entities import Member, Status

ACTION_STATUS: dict[ReportAction, Status] = {
    ReportAction.ACK: Status.ACKNOWLEDGED,
    ReportAction.NOT_STARTED: Status.NOT_STARTED,
    ReportAction.IN_PROGRESS: Status.IN_PROGRESS,
    ReportAction.DONE: Status.DONE,
    ReportAction.BLOCKED: Status.BLOCKED,
}
EVIDENCE = {Status.DONE, Status.BLOCKED, Status.ACCEPTED}


class ReportStates(StatesGroup):
    comment = State()


def _card(item: reports.ItemView) -> str:
    return texts.item_card(
        item.resolution.title,
        item.recommendation.text,
        item.assignment.due,
        item.assignment.status,
        item.last_report.comment if item.last_report else None,
    )


async def on_open(
    callback: CallbackQuery, callback_data: ReportCb, session: AsyncSession, member: Member | None
) -> None:
    item = await reports.load_item(session, callback_data.assignment_id)
    refusal = reports.check_access(member, item)
    if refusal is not None or item is None:
        await callback.answer(str(refusal), show_alert=True)
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.answer(_card(item), reply_markup=item_card_keyboard(item.assignment.id))


async def on_status(
    callback: CallbackQuery,
    callback_data: ReportCb,
    session: AsyncSession,
    member: Member | None,
    settings: Settings,
    state: FSMContext,
) -> None:
    status = ACTION_STATUS[callback_data.action]
    item, row, refusal = await reports.report(
        session, member, callback_data.assignment_id, status, review_required=settings.review_required
    )
    if refusal is not None or item is None:
        await callback.answer(str(refusal), show_alert=True)
        return
    if row is None:
        await callback.answer(texts.REPORT_SAME)
        return
    if callback_data.action == ReportAction.ACK:
        await callback.answer(texts.REPORT_ACK)
    else:
        await callback.answer(texts.REPORT_SAVED.format(status=texts.STATUS_NAMES[row.status]))
    message = callback.message
    if not isinstance(message, Message):
        return
    # The answer is out; now the slower edits. Each edit follows a real change, so never identical.
    markup = with_item_status(message.reply_markup, item.assignment.id, item.assignment.status)
    if callback_data.action == ReportAction.ACK:
        if markup is not None:
            await message.edit_reply_markup(reply_markup=markup)
        return
    if markup is not None:
        await message.edit_reply_markup(reply_markup=markup)
    else:  # the item card itself
        await message.edit_text(_card(item), reply_markup=item_card_keyboard(item.assignment.id))
    await state.set_state(ReportStates.comment)
    await state.update_data(report_id=row.id)
    ask = texts.REPORT_ASK_EVIDENCE if row.status in EVIDENCE else texts.REPORT_ASK_COMMENT
    await message.answer(ask, reply_markup=comment_keyboard(row.id))


async def on_skip_comment(callback: CallbackQuery, callback_data: CommentCb, state: FSMContext) -> None:
    await callback.answer()
    data = await state.get_data()
    if data.get("report_id") == callback_data.report_id:
        await state.clear()
    if isinstance(callback.message, Message):
        await callback.message.edit_text(texts.REPORT_NO_COMMENT)


async def on_comment(message: Message, session: AsyncSession, member: Member | None, state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    file_id, kind = None, None
    if message.document is not None:
        file_id, kind = message.document.file_id, "document"
    elif message.photo:
        file_id, kind = message.photo[-1].file_id, "photo"
    comment = message.text or message.caption
    saved = await reports.attach_comment(
        session, member, int(data.get("report_id", 0)), comment=comment, file_id=file_id, file_kind=kind
    )
    if saved is None:
        await message.answer(texts.STALE_BUTTON)
        return
    await message.answer(texts.REPORT_FILE_SAVED if file_id else texts.REPORT_COMMENT_SAVED)


def create_router() -> Router:
    router = Router(name="reports")
    router.callback_query.register(on_open, ReportCb.filter(F.action == ReportAction.OPEN))
    router.callback_query.register(on_status, ReportCb.filter(F.action.in_(set(ACTION_STATUS))))
    router.callback_query.register(on_skip_comment, CommentCb.filter())
    router.message.register(
        on_comment, StateFilter(ReportStates.comment), (F.text & ~F.text.startswith("/")) | F.document | F.photo
    )
    return router
