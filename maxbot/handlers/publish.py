"""Admins publish on MAX as on Telegram: a file or a pasted text → the preview (addressees, roles, items,
dates, who it reaches) → roles fixed → publish; /resolutions lists the published ones with «Отозвать»; the
final summary's «Отправить ещё раз» works here too. The same services (`models.publishing`), the same
keyboards and texts as `handlers/upload.py`; the progress message appears in the messenger the admin
published from (`scheduler.broadcast_progress`).

Every press is checked here against the admin list (a forged payload from a member is a stale button), and
again by the services where they decide.
"""

from __future__ import annotations

import asyncio
from pathlib import PurePath
from typing import Any

from aiogram.filters.callback_data import CallbackData
from maxapi import Router
from maxapi.filters.command import Command
from maxapi.types import MessageCreated

from maxbot.client import TooLargeError
from maxbot.handlers.base import Act, Press, PressHandler, State, TextStep, document_of
from maxbot.keyboards import TEXT_LIMIT
from models import oversight, publishing, redelivery
from models.entities import Resolution, ResolutionState
from models.parsing import ParseError, parse_bytes, parse_text
from models.parsing.api import ACCEPTED_SUFFIXES
from ui import resolutions, texts
from ui.callbacks import PasteAction, PasteCb, PubAction, PubCb, ResendCb, ResolutionsCb, RoleChoice
from ui.keyboards import (
    admin_start_keyboard,
    paste_done_keyboard,
    paste_offer_keyboard,
    preview_keyboard,
    role_choice_keyboard,
    withdraw_keyboard,
)
from ui.messages import OFFER_LENGTH, SPLIT_PART, pack_blocks


async def admin_start(act: Act) -> None:
    """The admin's /start: the region's checklist with the next steps' buttons, as on Telegram."""
    region = await oversight.region_state(act.session)
    markup = admin_start_keyboard(
        directory=bool(region.organisations),
        lonely=bool(region.municipalities_without_officer),
        published=bool(region.resolutions_published),
    )
    await act.say(texts.admin_checklist(region), markup)


# -- a file, or a pasted text -----------------------------------------------------------------------------


async def _read_file(act: Act, name: str, url: str, size: int | None) -> None:
    limit = act.deps.max_upload_bytes
    limit_mb = f"{limit / 1024 / 1024:g}"
    if PurePath(name).suffix.lower() not in ACCEPTED_SUFFIXES:
        await act.say(texts.UPLOAD_WRONG_TYPE.format(name=texts.esc(name)))
        return
    if size is not None and size > limit:
        await act.say(texts.UPLOAD_TOO_BIG.format(size=texts.mb(size), limit=limit_mb))
        return
    try:
        content = await act.deps.client.download(url, limit)
    except TooLargeError as exc:
        await act.say(texts.UPLOAD_TOO_BIG.format(size=texts.mb(exc.size), limit=limit_mb))
        return
    try:
        # Parsing is CPU work (docx/pdf); the event loop stays free for other users.
        parsed = await asyncio.to_thread(parse_bytes, content, name, max_bytes=limit)
    except ParseError as exc:
        await act.say(texts.UPLOAD_FAILED.format(name=texts.esc(name), reason=texts.esc(exc.message)))
        return
    draft = await publishing.save_draft(act.session, parsed, created_by=act.principal, source_name=name)
    await _show_preview(act, draft.id)


async def _show_preview(act: Act, resolution_id: int, *, parts: int = 1) -> None:
    preview = await publishing.preview(act.session, resolution_id)
    preview.parts = parts
    messages = pack_blocks(texts.preview_blocks(preview), limit=TEXT_LIMIT)
    for text in messages[:-1]:
        await act.say(text)
    await act.say(messages[-1], preview_keyboard(preview))


async def _read_pasted(act: Act, parts: list[str]) -> None:
    try:
        parsed = await asyncio.to_thread(parse_text, "\n".join(parts))
    except ParseError as exc:
        await act.context.set_state(State.PUBLISH_TEXT)  # the admin can paste a corrected text
        await act.context.update_data(parts=[])
        await act.say(texts.UPLOAD_FAILED.format(name="текст", reason=texts.esc(exc.message)))
        return
    await act.context.clear()
    draft = await publishing.save_draft(act.session, parsed, created_by=act.principal, source_name=None)
    await _show_preview(act, draft.id, parts=len(parts))


async def on_publish_command(event: MessageCreated, act: Act) -> None:
    if not act.is_admin:
        await act.say(texts.UNKNOWN_COMMAND)
        return
    await act.context.clear()
    await act.context.set_state(State.PUBLISH_TEXT)
    await act.say(texts.PUBLISH_PASTE)


async def _step_pasted(act: Act, event: MessageCreated, text: str, data: dict[str, Any]) -> None:
    """A part of a pasted resolution (or the file sent instead). Parts are collected until one is shorter
    than a messenger's cut (the last one) or the admin presses «Готово»."""
    document = document_of(event)
    if document is not None:
        await act.context.clear()
        await _read_file(act, *document)
        return
    if not text or text.startswith("/"):
        await act.say(texts.PUBLISH_PASTE)
        return
    parts = [*data.get("parts", []), text]
    if len(text) >= SPLIT_PART:
        await act.context.update_data(parts=parts)
        await act.say(texts.PASTE_MORE.format(n=len(parts)), paste_done_keyboard())
        return
    await _read_pasted(act, parts)


async def unprompted(act: Act, event: MessageCreated, text: str) -> bool:
    """An admin's message outside any step: a resolution file is read at once; a long text is offered."""
    if not act.is_admin:
        return False
    document = document_of(event)
    if document is not None:
        await _read_file(act, *document)
        return True
    if len(text) > OFFER_LENGTH and not text.startswith("/"):
        await act.context.update_data(offered=text)
        await act.say(texts.PASTE_OFFER, paste_offer_keyboard())
        return True
    return False


async def on_paste(press: Press, data: PasteCb) -> None:
    act = press.act
    stored = await act.context.get_data()
    parts = list(stored.get("parts", [])) if data.action == PasteAction.DONE else [str(stored.get("offered") or "")]
    if not act.is_admin or not any(parts):
        await press.answer(texts.STALE_BUTTON)
        return
    await press.settle(texts.MAX_READING)
    await _read_pasted(act, parts)


# -- the preview's buttons ---------------------------------------------------------------------------------


async def on_pub(press: Press, data: PubCb) -> None:
    if not press.act.is_admin:
        await press.answer(texts.STALE_BUTTON)
        return
    await PUB_ACTIONS[data.action](press, data)


async def _publish(press: Press, data: PubCb) -> None:
    act = press.act
    try:
        if data.action != PubAction.CONFIRM_EMPTY:
            preview = await publishing.preview(act.session, data.resolution_id)
            if preview.reaches_nobody:  # an old button of a preview that said otherwise: ask again
                await press.answer(texts.PUBLISH_NOBODY)
                return
        await publishing.publish(
            act.session, resolution_id=data.resolution_id, admin_chat_id=act.principal, config=act.deps.config
        )
    except publishing.PublishError as exc:
        await press.answer(texts.PUBLISH_PROBLEMS[exc.problem])
        return
    # The live progress message and the final summary come from the delivery worker, here on MAX.
    await press.settle(texts.PUBLISH_DONE)


async def _cancel(press: Press, data: PubCb) -> None:
    act = press.act
    resolution = await act.session.get(Resolution, data.resolution_id)
    if resolution is None or resolution.state != ResolutionState.DRAFT:
        await press.answer(texts.PUBLISH_STALE)
        return
    await publishing.discard_draft(act.session, resolution)
    await press.settle(texts.PUBLISH_CANCELLED)


async def _addressee(press: Press, data: PubCb, *, draft: bool) -> tuple[Resolution, Any] | None:
    resolution = await publishing.load(press.act.session, data.resolution_id)
    addressee = next((a for a in resolution.addressees if a.id == data.addressee_id), None) if resolution else None
    if resolution is None or addressee is None or (draft and resolution.state != ResolutionState.DRAFT):
        await press.answer(texts.PUBLISH_STALE if draft else texts.STALE_BUTTON)
        return None
    return resolution, addressee


async def _show(press: Press, data: PubCb) -> None:
    found = await _addressee(press, data, draft=False)
    if found is None:
        return
    _resolution, addressee = found
    await press.answer(texts.MAX_ITEMS_SHOWN)
    items = [(r.text, r.due, r.starts, r.recurring) for r in addressee.recommendations]
    for part in pack_blocks(texts.addressee_text_blocks(addressee.heading, items), limit=TEXT_LIMIT):
        await press.act.say(part)


async def _ask_role(press: Press, data: PubCb) -> None:
    found = await _addressee(press, data, draft=True)
    if found is None:
        return
    resolution, addressee = found
    await press.answer(texts.MAX_OPENED)
    await press.act.say(
        texts.PUBLISH_ROLE_ASK.format(heading=texts.esc(addressee.heading)),
        role_choice_keyboard(resolution.id, addressee.id),
    )


async def _set_role(press: Press, data: PubCb) -> None:
    role = None if data.role == RoleChoice.SKIP else str(data.role)
    session = press.act.session
    change = publishing.map_addressee(
        session, resolution_id=data.resolution_id, addressee_id=data.addressee_id, role=role
    )
    try:
        await change
    except publishing.PublishError as exc:
        await press.answer(texts.PUBLISH_PROBLEMS[exc.problem])
        return
    await _changed(press, data)


async def _all_of_role(press: Press, data: PubCb) -> None:
    try:
        await publishing.clear_target(
            press.act.session, resolution_id=data.resolution_id, addressee_id=data.addressee_id
        )
    except publishing.PublishError as exc:
        await press.answer(texts.PUBLISH_PROBLEMS[exc.problem])
        return
    await _changed(press, data)


async def _changed(press: Press, data: PubCb) -> None:
    """The draft changed: the old buttons go, the updated preview follows."""
    await press.answer("Готово")
    await press.act.edit(press.mid, texts.MAX_PREVIEW_UPDATED)
    await _show_preview(press.act, data.resolution_id)


async def _withdraw(press: Press, data: PubCb) -> None:
    act = press.act
    resolution = await act.session.get(Resolution, data.resolution_id)
    if resolution is None or resolution.state != ResolutionState.PUBLISHED:
        await press.answer(texts.WITHDRAW_STALE)
        return
    await press.answer(texts.MAX_ASKED_CONFIRM)
    await act.say(
        texts.WITHDRAW_ASK.format(title=texts.esc(resolution.title)), withdraw_keyboard(resolution.id, confirm=True)
    )


async def _withdraw_confirm(press: Press, data: PubCb) -> None:
    try:
        told = await publishing.withdraw(
            press.act.session, resolution_id=data.resolution_id, actor_id=press.act.principal
        )
    except publishing.PublishError as exc:
        await press.answer(texts.PUBLISH_PROBLEMS[exc.problem])
        return
    done = texts.WITHDRAW_DONE.format(n=told)
    await press.settle(done)


async def _withdraw_cancel(press: Press, data: PubCb) -> None:
    await press.settle(texts.WITHDRAW_KEPT)


PUB_ACTIONS: dict[PubAction, PressHandler] = {
    PubAction.PUBLISH: _publish,
    PubAction.CONFIRM_DUPLICATE: _publish,
    PubAction.CONFIRM_EMPTY: _publish,
    PubAction.CANCEL: _cancel,
    PubAction.SHOW: _show,
    PubAction.ASK_ROLE: _ask_role,
    PubAction.SET_ROLE: _set_role,
    PubAction.ALL_OF_ROLE: _all_of_role,
    PubAction.WITHDRAW: _withdraw,
    PubAction.WITHDRAW_CONFIRM: _withdraw_confirm,
    PubAction.WITHDRAW_CANCEL: _withdraw_cancel,
}


# -- /resolutions and «Отправить ещё раз» -----------------------------------------------------------------


async def on_resolutions_command(event: MessageCreated, act: Act) -> None:
    if not act.is_admin:
        await act.say(texts.UNKNOWN_COMMAND)
        return
    await _resolutions_page(act, 0)


async def on_resolutions_page(press: Press, data: ResolutionsCb) -> None:
    if not press.act.is_admin:
        await press.answer(texts.STALE_BUTTON)
        return
    await press.answer(f"Страница {max(0, data.page) + 1}")
    await press.act.edit(press.mid, texts.RESOLUTIONS_MORE)
    await _resolutions_page(press.act, max(0, data.page))


async def _resolutions_page(act: Act, page: int) -> None:
    for text, markup in await resolutions.resolutions_page(act.session, page):
        await act.say(text, markup)


async def on_resend(press: Press, data: ResendCb) -> None:
    act = press.act
    queued = await redelivery.resend_unconfirmed(
        act.session, data.broadcast_id, actor_id=act.principal, admin_ids=act.deps.config.admin_ids
    )
    if queued is None:
        await press.answer(texts.RESEND_FORBIDDEN)
        return
    await press.answer(texts.RESEND_DONE.format(n=queued) if queued else texts.RESEND_NOTHING)


PRESSES: tuple[tuple[type[CallbackData], PressHandler], ...] = (
    (PubCb, on_pub),
    (PasteCb, on_paste),
    (ResolutionsCb, on_resolutions_page),
    (ResendCb, on_resend),
)
STEPS: dict[str, TextStep] = {State.PUBLISH_TEXT: _step_pasted}


def register(router: Router) -> None:
    router.message_created.register(on_publish_command, Command("publish"))
    router.message_created.register(on_resolutions_command, Command("resolutions"))
