"""/me and /leave: a member's own settings — time zone, quiet hours, vacation pause — and leaving."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.edits import edit_if_changed
from handlers.filters import IsApprovedMember
from models import membership
from models.entities import Member
from models.timeutil import local_today
from ui import profile, texts
from ui.callbacks import ProfileAction, ProfileCb
from ui.keyboards import leave_keyboard, profile_keyboard, quiet_keyboard, timezone_keyboard


class ProfileStates(StatesGroup):
    pause_until = State()


def card(member: Member, settings: Settings) -> str:
    defaults = profile.Defaults(settings.timezone, settings.quiet_hours_start, settings.quiet_hours_end)
    return profile.card(member, defaults, local_today(member.timezone, settings.timezone))


async def me(message: Message, member: Member, settings: Settings) -> None:
    await message.answer(
        card(member, settings), reply_markup=profile_keyboard(max_enabled=settings.max_bot_token is not None)
    )


async def leave(message: Message, member: Member) -> None:
    org = member.organisation.name if member.organisation else ""
    await message.answer(texts.LEAVE_ASK.format(org=texts.esc(org)), reply_markup=leave_keyboard())


async def on_profile(
    callback: CallbackQuery,
    callback_data: ProfileCb,
    member: Member,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    action, value = callback_data.action, callback_data.value
    menus: dict[ProfileAction, tuple[str, InlineKeyboardMarkup]] = {
        ProfileAction.TIMEZONE: (texts.ME_CHOOSE_TZ, timezone_keyboard()),
        ProfileAction.QUIET: (texts.ME_CHOOSE_QUIET, quiet_keyboard()),
    }
    if action in menus:
        await callback.answer()
        text, markup = menus[action]
        if isinstance(callback.message, Message):
            await edit_if_changed(callback.message, text=text, markup=markup)
        return
    if action == ProfileAction.PAUSE:
        await callback.answer()
        await state.set_state(ProfileStates.pause_until)
        if isinstance(callback.message, Message):
            await callback.message.answer(texts.ME_PAUSE_ASK)
        return
    change = profile.setting_change(action, value)
    if change is not None:
        await membership.update_profile(session, member, **change)
    elif action == ProfileAction.LEAVE_CANCEL:
        await callback.answer()
        if isinstance(callback.message, Message):
            await edit_if_changed(callback.message, text=texts.LEAVE_KEPT, markup=None)
        return
    elif action == ProfileAction.LEAVE_CONFIRM:
        await membership.leave(session, member)
        await callback.answer()
        if isinstance(callback.message, Message):
            await edit_if_changed(callback.message, text=texts.LEAVE_DONE, markup=None)
        return
    else:  # a forged value: change nothing
        await callback.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await callback.answer(texts.ME_SAVED)
    if isinstance(callback.message, Message):
        markup = profile_keyboard(max_enabled=settings.max_bot_token is not None)
        await edit_if_changed(callback.message, text=card(member, settings), markup=markup)


async def pause_until(
    message: Message, member: Member, session: AsyncSession, settings: Settings, state: FSMContext
) -> None:
    answer = profile.read_pause(message.text or "", local_today(member.timezone, settings.timezone))
    if not answer.ok:
        await message.answer(answer.reply)
        return
    await state.clear()
    await membership.update_profile(session, member, paused_until=answer.until)
    await message.answer(answer.reply)


def create_router() -> Router:
    router = Router(name="profile")
    router.message.filter(IsApprovedMember())
    router.callback_query.filter(IsApprovedMember())
    router.message.register(me, Command("me"))
    router.message.register(leave, Command("leave"))
    router.callback_query.register(on_profile, ProfileCb.filter())
    router.message.register(pause_until, StateFilter(ProfileStates.pause_until), F.text & ~F.text.startswith("/"))
    return router
