"""«Отправить ещё раз» under a broadcast's final summary: its unconfirmed messages are queued again."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.filters import IsAdmin
from models import redelivery
from ui import texts
from ui.callbacks import ResendCb


async def on_resend(query: CallbackQuery, callback_data: ResendCb, session: AsyncSession, settings: Settings) -> None:
    queued = await redelivery.resend_unconfirmed(
        session, callback_data.broadcast_id, actor_id=query.from_user.id, admin_ids=settings.admin_ids
    )
    if queued is None:  # the router's filter stops non-admins first; the service checks again anyway
        await query.answer(texts.RESEND_FORBIDDEN, show_alert=True)
        return
    await query.answer(texts.RESEND_DONE.format(n=queued) if queued else texts.RESEND_NOTHING, show_alert=True)


def create_router() -> Router:
    router = Router(name="redelivery")
    router.callback_query.filter(IsAdmin())
    router.callback_query.register(on_resend, ResendCb.filter())
    return router
