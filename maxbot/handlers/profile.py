"""/me and /leave on MAX, as on Telegram (`handlers/profile.py`): the member's card with time zone, quiet
hours and the vacation pause, the preferred messenger and a code to link Telegram; leaving the organisation,
or withdrawing a pending request."""

from __future__ import annotations

from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from maxapi import Router
from maxapi.filters.command import Command
from maxapi.types import MessageCreated

from maxbot.handlers.base import Act, Press, PressHandler, State, TextStep
from models import channels, membership, policy
from models.channels import Channel
from models.entities import Approval, Member
from models.timeutil import utcnow
from ui import profile, texts
from ui.callbacks import ChannelCb, ProfileAction, ProfileCb
from ui.keyboards import leave_keyboard, profile_keyboard, quiet_keyboard, timezone_keyboard


def _defaults(act: Act) -> profile.Defaults:
    config = act.deps.config
    return profile.Defaults(act.deps.timezone, config.quiet_start, config.quiet_end)


async def _card(act: Act, member: Member) -> tuple[str, InlineKeyboardMarkup]:
    """The card, the messenger notices go to with a code to link Telegram (when it runs), and the buttons."""
    if act.deps.telegram_username is None:  # MAX alone: nothing to link, nowhere else to send
        return profile.card(member, _defaults(act), act.today()), profile_keyboard()
    code = await channels.issue_link_code(act.session, member, Channel.TELEGRAM, utcnow())
    preferred = (await channels.load_reach(act.session, [member.id]))[member.id].preferred_channel()
    text = "\n\n".join(
        [
            profile.card(member, _defaults(act), act.today()),
            texts.MAX_ME.format(channel=texts.CHANNEL_NAMES[preferred], code=code),
        ]
    )
    markup = profile_keyboard()
    other = preferred.other
    prefer = texts.CHANNEL_PREFER.format(channel=texts.CHANNEL_NAMES[other])
    markup.inline_keyboard.append([InlineKeyboardButton(text=prefer, callback_data=ChannelCb(channel=other).pack())])
    return text, markup


async def on_me(event: MessageCreated, act: Act) -> None:
    member = act.member
    if not policy.is_approved(member) or member is None:
        await act.say(texts.ADMIN_NOT_MEMBER if act.is_admin else texts.NOT_MEMBER)
        return
    await act.context.clear()
    await act.say(*await _card(act, member))


async def on_leave(event: MessageCreated, act: Act) -> None:
    """/leave: an approved member is asked first; a pending request is withdrawn at once."""
    member = act.member
    if member is not None and member.approval == Approval.PENDING:
        org = member.organisation.name if member.organisation else ""
        await membership.leave(act.session, member)
        await act.say(texts.JOIN_WITHDRAWN.format(org=texts.esc(org)))
        return
    if not policy.is_approved(member) or member is None:
        await act.say(texts.NOT_MEMBER)
        return
    org = member.organisation.name if member.organisation else ""
    await act.say(texts.LEAVE_ASK.format(org=texts.esc(org)), leave_keyboard())


async def on_profile(press: Press, data: ProfileCb) -> None:
    act = press.act
    member = act.member
    if not policy.is_approved(member) or member is None:
        await press.answer(texts.STALE_BUTTON)
        return
    menus = {
        ProfileAction.TIMEZONE: (texts.ME_CHOOSE_TZ, timezone_keyboard()),
        ProfileAction.QUIET: (texts.ME_CHOOSE_QUIET, quiet_keyboard()),
    }
    if data.action in menus:
        await press.answer(menus[data.action][0])
        await act.edit(press.mid, *menus[data.action])
        return
    if data.action == ProfileAction.PAUSE:
        await press.answer(texts.MAX_ASKED)
        await act.context.set_state(State.PAUSE_UNTIL)
        await act.say(texts.ME_PAUSE_ASK)
        return
    if data.action == ProfileAction.LEAVE_CANCEL:
        await press.settle(texts.LEAVE_KEPT)
        return
    if data.action == ProfileAction.LEAVE_CONFIRM:
        await membership.leave(act.session, member)
        await press.settle(texts.LEAVE_DONE)
        return
    change = profile.setting_change(data.action, data.value)
    if change is None:  # a forged value: nothing changes
        await press.answer(texts.STALE_BUTTON)
        return
    await membership.update_profile(act.session, member, **change)
    await press.answer(texts.ME_SAVED)
    await act.edit(press.mid, *await _card(act, member))


async def _step_pause(act: Act, event: MessageCreated, text: str, data: dict[str, Any]) -> None:
    member = act.member
    if not policy.is_approved(member) or member is None:
        await act.context.clear()
        await act.say(texts.NOT_MEMBER)
        return
    answer = profile.read_pause(text, act.today())
    if not answer.ok:
        await act.say(answer.reply)
        return
    await act.context.clear()
    await membership.update_profile(act.session, member, paused_until=answer.until)
    await act.say(answer.reply)


PRESSES: tuple[tuple[type[CallbackData], PressHandler], ...] = ((ProfileCb, on_profile),)
STEPS: dict[str, TextStep] = {State.PAUSE_UNTIL: _step_pause}


def register(router: Router) -> None:
    router.message_created.register(on_me, Command("me"))
    router.message_created.register(on_leave, Command("leave"))
