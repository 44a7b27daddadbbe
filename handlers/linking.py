"""Telegram's half of linking the two messengers (models/channels.py): /me → «Подключить MAX» gives a one-time
code to send to the bot in MAX; `/link <code>` here takes a code made in MAX; the member chooses where
notices go. Only registered in effect when MAX is on (the button is shown only then)."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from models import channels
from models.channels import Channel
from models.entities import Member
from models.membership import AttemptLimiter
from models.policy import is_approved
from models.timeutil import utcnow
from ui import texts
from ui.callbacks import ChannelCb

MaxUsername = Callable[[], str | None]


async def on_channel(
    callback: CallbackQuery,
    callback_data: ChannelCb,
    session: AsyncSession,
    member: Member | None,
    max_username: MaxUsername | None = None,
) -> None:
    if not is_approved(member) or member is None or callback_data.channel not in set(Channel):
        await callback.answer(texts.STALE_BUTTON, show_alert=True)
        return
    channel = Channel(callback_data.channel)
    if await channels.set_preferred(session, member, channel):
        await callback.answer(texts.CHANNEL_PREFERRED.format(channel=texts.CHANNEL_NAMES[channel]), show_alert=True)
        return
    if channel is not Channel.MAX or max_username is None:
        await callback.answer(texts.CHANNEL_UNREACHABLE.format(channel=texts.CHANNEL_NAMES[channel]), show_alert=True)
        return
    await callback.answer()
    code = await channels.issue_link_code(session, member, Channel.MAX, utcnow())
    username = max_username()
    link = texts.max_invite_link(username, code) if username else "—"
    if isinstance(callback.message, Message):
        await callback.message.answer(texts.ME_LINK_MAX.format(code=code, link=link))


async def link_command(
    message: Message, command: CommandObject, session: AsyncSession, limiter: AttemptLimiter
) -> None:
    """/link <code>: a code taken in MAX's /me joins this Telegram account to the same member."""
    user = message.from_user
    assert user is not None
    if not limiter.allowed(user.id):
        await message.answer(texts.JOIN_THROTTLED)
        return
    outcome, _member = await channels.redeem_link_code(
        session, code=command.args or "", channel=Channel.TELEGRAM, user_id=user.id, now=utcnow()
    )
    if outcome is channels.LinkOutcome.UNKNOWN:
        limiter.failed(user.id)
    await message.answer(texts.LINK_RESULT[outcome])


def create_router() -> Router:
    router = Router(name="linking")
    router.message.register(link_command, Command("link"))
    router.callback_query.register(on_channel, ChannelCb.filter())
    return router
