"""Admins publish resolutions: file or pasted text → preview → roles fixed → publish; or withdraw."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable
from pathlib import PurePath

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.edits import edit_if_changed
from handlers.filters import IsAdmin
from models import publishing
from models.config import Config
from models.entities import Resolution, ResolutionState
from models.parsing import ParsedResolution, ParseError, parse_bytes, parse_text
from models.parsing.api import ACCEPTED_SUFFIXES
from ui import resolutions, texts
from ui.callbacks import PasteAction, PasteCb, PubAction, PubCb, ResolutionsCb, RoleChoice
from ui.keyboards import (
    directory_offer_keyboard,
    paste_done_keyboard,
    paste_offer_keyboard,
    preview_keyboard,
    role_choice_keyboard,
    withdraw_keyboard,
)
from ui.messages import OFFER_LENGTH, SPLIT_PART, pack_blocks


class PublishStates(StatesGroup):
    waiting_text = State()


async def read_resolution(message: Message, bot: Bot, settings: Settings) -> ParsedResolution | None:
    """Download and parse the document of `message`; on any problem answer clearly and return None."""
    document = message.document
    assert document is not None  # guaranteed by the F.document filter
    name = document.file_name or "документ"
    if PurePath(name).suffix.lower() not in ACCEPTED_SUFFIXES:
        await message.answer(texts.UPLOAD_WRONG_TYPE.format(name=texts.esc(name)))
        return None
    if document.file_size is not None and document.file_size > settings.max_upload_bytes:
        await message.answer(
            texts.UPLOAD_TOO_BIG.format(size=texts.mb(document.file_size), limit=f"{settings.max_upload_mb:g}")
        )
        return None
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    try:
        # Parsing is CPU work (docx/pdf); keep the event loop free for other users.
        return await asyncio.to_thread(parse_bytes, buffer.getvalue(), name, max_bytes=settings.max_upload_bytes)
    except ParseError as exc:
        await message.answer(texts.UPLOAD_FAILED.format(name=texts.esc(name), reason=texts.esc(exc.message)))
        return None


async def show_preview(message: Message, session: AsyncSession, resolution_id: int, *, parts: int = 1) -> None:
    preview = await publishing.preview(session, resolution_id)
    preview.parts = parts
    messages = pack_blocks(texts.preview_blocks(preview))
    for text in messages[:-1]:
        await message.answer(text)
    await message.answer(messages[-1], reply_markup=preview_keyboard(preview))


async def resolution_file(
    message: Message, bot: Bot, settings: Settings, session: AsyncSession, state: FSMContext
) -> None:
    await state.clear()
    document = message.document
    assert document is not None
    name = document.file_name or ""
    if PurePath(name).suffix.lower() in {".csv", ".xlsx", ".xls"}:
        # A table is more likely the directory than a resolution: offer to load it as such.
        await state.update_data(directory_file_id=document.file_id, directory_file_name=name)
        offer = texts.DIRECTORY_OFFER.format(name=texts.esc(name))
        await message.answer(offer, reply_markup=directory_offer_keyboard())
        return
    parsed = await read_resolution(message, bot, settings)
    if parsed is None:
        return
    assert message.from_user is not None
    assert message.document is not None
    draft = await publishing.save_draft(
        session, parsed, created_by=message.from_user.id, source_name=message.document.file_name
    )
    await show_preview(message, session, draft.id)


async def publish_command(message: Message, state: FSMContext) -> None:
    await state.set_state(PublishStates.waiting_text)
    await message.answer(texts.PUBLISH_PASTE)


async def pasted_text(message: Message, session: AsyncSession, state: FSMContext) -> None:
    """A part of a pasted resolution. Parts are collected until one is shorter than Telegram's cut (the
    last one) or the admin presses «Готово»; then the whole text is read as one document."""
    text = message.text or ""
    parts = [*(await state.get_data()).get("parts", []), text]
    if len(text) >= SPLIT_PART:
        await state.update_data(parts=parts)
        await message.answer(texts.PASTE_MORE.format(n=len(parts)), reply_markup=paste_done_keyboard())
        return
    await read_pasted(message, session, state, parts)


async def on_paste_done(callback: CallbackQuery, session: AsyncSession, state: FSMContext) -> None:
    parts = (await state.get_data()).get("parts", [])
    if not parts or not isinstance(callback.message, Message):
        await callback.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await callback.answer()
    await edit_if_changed(callback.message, text=None, markup=None)
    await read_pasted(callback.message, session, state, parts, author=callback.from_user.id)


async def read_pasted(
    message: Message, session: AsyncSession, state: FSMContext, parts: list[str], *, author: int | None = None
) -> None:
    author = author or (message.from_user.id if message.from_user else 0)
    try:
        parsed = await asyncio.to_thread(parse_text, "\n".join(parts))
    except ParseError as exc:
        await state.update_data(parts=[])
        await message.answer(texts.UPLOAD_FAILED.format(name="текст", reason=texts.esc(exc.message)))
        return  # stay in the state: the admin can paste a corrected text
    await state.clear()
    draft = await publishing.save_draft(session, parsed, created_by=author, source_name=None)
    await show_preview(message, session, draft.id, parts=len(parts))


async def offered_text(message: Message, state: FSMContext) -> None:
    """An admin pasted or forwarded what looks like a resolution without /publish: offer to read it."""
    await state.update_data(offered=message.text or "")
    await message.answer(texts.PASTE_OFFER, reply_markup=paste_offer_keyboard())


async def on_paste_offer(callback: CallbackQuery, session: AsyncSession, state: FSMContext) -> None:
    offered = (await state.get_data()).get("offered")
    if not offered or not isinstance(callback.message, Message):
        await callback.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await callback.answer()
    await edit_if_changed(callback.message, text=None, markup=None)
    await state.set_state(PublishStates.waiting_text)
    await read_pasted(callback.message, session, state, [offered], author=callback.from_user.id)


async def on_publish(callback: CallbackQuery, callback_data: PubCb, session: AsyncSession, config: Config) -> None:
    try:
        if callback_data.action != PubAction.CONFIRM_EMPTY:
            preview = await publishing.preview(session, callback_data.resolution_id)
            if preview.reaches_nobody:  # an old button of a preview that said otherwise: ask again
                await callback.answer(texts.PUBLISH_NOBODY, show_alert=True)
                return
        await publishing.publish(
            session, resolution_id=callback_data.resolution_id, admin_chat_id=callback.from_user.id, config=config
        )
    except publishing.PublishError as exc:
        await callback.answer(texts.PUBLISH_PROBLEMS[exc.problem], show_alert=True)
        return
    # The live progress message and the final summary come from the delivery worker.
    await callback.answer(texts.PUBLISH_DONE)
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=None, markup=None)


async def on_cancel(callback: CallbackQuery, callback_data: PubCb, session: AsyncSession) -> None:
    resolution = await session.get(Resolution, callback_data.resolution_id)
    if resolution is None or resolution.state != ResolutionState.DRAFT:
        await callback.answer(texts.PUBLISH_STALE, show_alert=True)
        return
    await callback.answer()
    await publishing.discard_draft(session, resolution)
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=None, markup=None)
        await callback.message.answer(texts.PUBLISH_CANCELLED)


async def on_show(callback: CallbackQuery, callback_data: PubCb, session: AsyncSession) -> None:
    resolution = await publishing.load(session, callback_data.resolution_id)
    addressee = (
        next((a for a in resolution.addressees if a.id == callback_data.addressee_id), None) if resolution else None
    )
    if addressee is None:
        await callback.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await callback.answer()
    items = [(r.text, r.due, r.starts, r.recurring) for r in addressee.recommendations]
    blocks = texts.addressee_text_blocks(addressee.heading, items)
    for part in pack_blocks(blocks):
        await callback.bot.send_message(callback.from_user.id, part)  # type: ignore[union-attr]


async def on_ask_role(callback: CallbackQuery, callback_data: PubCb, session: AsyncSession) -> None:
    resolution = await publishing.load(session, callback_data.resolution_id)
    addressee = (
        next((a for a in resolution.addressees if a.id == callback_data.addressee_id), None) if resolution else None
    )
    if addressee is None or resolution is None or resolution.state != ResolutionState.DRAFT:
        await callback.answer(texts.PUBLISH_STALE, show_alert=True)
        return
    await callback.answer()
    await callback.bot.send_message(  # type: ignore[union-attr]
        callback.from_user.id,
        texts.PUBLISH_ROLE_ASK.format(heading=texts.esc(addressee.heading)),
        reply_markup=role_choice_keyboard(resolution.id, addressee.id),
    )


async def on_set_role(callback: CallbackQuery, callback_data: PubCb, session: AsyncSession) -> None:
    role = None if callback_data.role == RoleChoice.SKIP else str(callback_data.role)
    change = publishing.map_addressee(
        session, resolution_id=callback_data.resolution_id, addressee_id=callback_data.addressee_id, role=role
    )
    await _draft_change(callback, session, callback_data.resolution_id, change)


async def on_all_of_role(callback: CallbackQuery, callback_data: PubCb, session: AsyncSession) -> None:
    change = publishing.clear_target(
        session, resolution_id=callback_data.resolution_id, addressee_id=callback_data.addressee_id
    )
    await _draft_change(callback, session, callback_data.resolution_id, change)


async def _draft_change(
    callback: CallbackQuery, session: AsyncSession, resolution_id: int, change: Awaitable[None]
) -> None:
    """Apply a change to a draft, then show the updated preview in place of the old buttons."""
    try:
        await change
    except publishing.PublishError as exc:
        await callback.answer(texts.PUBLISH_PROBLEMS[exc.problem], show_alert=True)
        return
    await callback.answer("Готово")
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=None, markup=None)
        await show_preview(callback.message, session, resolution_id)


async def resolutions_command(message: Message, session: AsyncSession) -> None:
    await _resolutions_page(message, session, 0)


async def on_resolutions_page(callback: CallbackQuery, callback_data: ResolutionsCb, session: AsyncSession) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=None, markup=None)
        await _resolutions_page(callback.message, session, max(0, callback_data.page))


async def _resolutions_page(message: Message, session: AsyncSession, page: int) -> None:
    for text, markup in await resolutions.resolutions_page(session, page):
        await message.answer(text, reply_markup=markup)


async def on_withdraw(callback: CallbackQuery, callback_data: PubCb, session: AsyncSession) -> None:
    resolution = await session.get(Resolution, callback_data.resolution_id)
    if resolution is None or resolution.state != ResolutionState.PUBLISHED:
        await callback.answer(texts.WITHDRAW_STALE, show_alert=True)
        return
    await callback.answer()
    await callback.bot.send_message(  # type: ignore[union-attr]
        callback.from_user.id,
        texts.WITHDRAW_ASK.format(title=texts.esc(resolution.title)),
        reply_markup=withdraw_keyboard(resolution.id, confirm=True),
    )


async def on_withdraw_confirm(callback: CallbackQuery, callback_data: PubCb, session: AsyncSession) -> None:
    try:
        told = await publishing.withdraw(
            session, resolution_id=callback_data.resolution_id, actor_id=callback.from_user.id
        )
    except publishing.PublishError as exc:
        await callback.answer(texts.PUBLISH_PROBLEMS[exc.problem], show_alert=True)
        return
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=texts.WITHDRAW_DONE.format(n=told), markup=None)


async def on_withdraw_cancel(callback: CallbackQuery) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=texts.WITHDRAW_KEPT, markup=None)


def create_router() -> Router:
    router = Router(name="publishing")
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.register(resolution_file, F.document)
    router.message.register(publish_command, Command("publish"))
    router.message.register(resolutions_command, Command("resolutions"))
    router.callback_query.register(on_resolutions_page, ResolutionsCb.filter())
    router.message.register(pasted_text, StateFilter(PublishStates.waiting_text), F.text & ~F.text.startswith("/"))
    router.callback_query.register(on_paste_done, PasteCb.filter(F.action == PasteAction.DONE))
    router.callback_query.register(on_paste_offer, PasteCb.filter(F.action == PasteAction.READ))
    # A long text (or a forwarded one) from an admin outside any step is probably a resolution.
    router.message.register(offered_text, StateFilter(None), F.text.len() > OFFER_LENGTH, ~F.text.startswith("/"))
    router.callback_query.register(
        on_publish,
        PubCb.filter(F.action.in_({PubAction.PUBLISH, PubAction.CONFIRM_DUPLICATE, PubAction.CONFIRM_EMPTY})),
    )
    router.callback_query.register(on_cancel, PubCb.filter(F.action == PubAction.CANCEL))
    router.callback_query.register(on_show, PubCb.filter(F.action == PubAction.SHOW))
    router.callback_query.register(on_ask_role, PubCb.filter(F.action == PubAction.ASK_ROLE))
    router.callback_query.register(on_set_role, PubCb.filter(F.action == PubAction.SET_ROLE))
    router.callback_query.register(on_all_of_role, PubCb.filter(F.action == PubAction.ALL_OF_ROLE))
    router.callback_query.register(on_withdraw, PubCb.filter(F.action == PubAction.WITHDRAW))
    router.callback_query.register(on_withdraw_confirm, PubCb.filter(F.action == PubAction.WITHDRAW_CONFIRM))
    router.callback_query.register(on_withdraw_cancel, PubCb.filter(F.action == PubAction.WITHDRAW_CANCEL))
    return router
