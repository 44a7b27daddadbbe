"""/progress: execution control as a drill-down, edited in place — resolutions → municipality → school →
items, «Кто отстаёт» with a reminder button, and a chart. Admins start at the region, municipal officers at
their municipality, a school's member at their own organisation. Every press is authorised again
(`ui.progress.open_screen`, shared with MAX)."""

from __future__ import annotations

import asyncio
from datetime import date

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.edits import edit_if_changed
from handlers.filters import IsAdminOrMember
from models import policy
from models.config import Config
from models.entities import Member
from models.policy import Scope
from models.timeutil import local_today, utcnow
from ui import progress, texts
from ui.callbacks import ProgressCb


def _scope(user_id: int, member: Member | None, settings: Settings) -> Scope | None:
    return policy.oversight_scope(policy.Actor(user_id, member), settings.admin_ids)


def _today(member: Member | None, settings: Settings) -> date:
    return local_today(member.timezone if member else None, settings.timezone)


async def progress_command(message: Message, session: AsyncSession, member: Member | None, settings: Settings) -> None:
    assert message.from_user is not None
    scope = _scope(message.from_user.id, member, settings)
    today = _today(member, settings)
    screen = await progress.opening_screen(session, scope, member, today) if scope is not None else None
    if screen is None:
        await message.answer(texts.PROGRESS_NONE)
        return
    await message.answer(screen[0], reply_markup=screen[1])


async def on_progress(
    callback: CallbackQuery,
    callback_data: ProgressCb,
    session: AsyncSession,
    member: Member | None,
    settings: Settings,
    config: Config,
) -> None:
    today = _today(member, settings)
    outcome = await progress.open_screen(session, _scope(callback.from_user.id, member, settings), callback_data, today)
    if isinstance(outcome, progress.Refused):
        await callback.answer(outcome.alert, show_alert=True)
    elif isinstance(outcome, progress.Nudge):
        await callback.answer(await progress.nudge(session, outcome, today, config, utcnow()), show_alert=True)
    elif isinstance(outcome, progress.ChartWanted):
        await _chart(callback, session, outcome, today)
    else:
        await callback.answer()
        if isinstance(callback.message, Message):
            await edit_if_changed(callback.message, text=outcome.text, markup=outcome.markup)


async def _chart(callback: CallbackQuery, session: AsyncSession, wanted: progress.ChartWanted, today: date) -> None:
    from exports import chart  # matplotlib loads on the first chart, not at start

    await callback.answer()  # first: drawing takes a moment
    view, caption = await progress.chart_of(session, wanted, today)
    picture = await asyncio.to_thread(chart.render, view, title=wanted.resolution.title)  # CPU: off the loop
    if isinstance(callback.message, Message):
        await callback.message.answer_photo(BufferedInputFile(picture.png, "progress.png"), caption=caption)


def create_router() -> Router:
    router = Router(name="progress")
    router.message.filter(IsAdminOrMember())
    router.callback_query.filter(IsAdminOrMember())
    router.message.register(progress_command, Command("progress"))
    router.callback_query.register(on_progress, ProgressCb.filter())
    return router
