"""The last router: whatever nobody else handled gets a short, helpful answer."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.settings import Settings
from models.entities import Approval, Member
from ui import texts


async def unknown_command(message: Message) -> None:
    await message.answer(texts.UNKNOWN_COMMAND)


async def stray_file(message: Message, member: Member | None, settings: Settings) -> None:
    """A file outside any step: members are shown where evidence goes, others who may send resolutions."""
    if message.photo and message.from_user is not None and message.from_user.id in settings.admin_ids:
        await message.answer(texts.ADMIN_PHOTO)
    elif member is not None and member.approval == Approval.APPROVED:
        await message.answer(texts.MEMBER_FILE_HINT)
    else:
        await message.answer(texts.UPLOAD_NOT_ALLOWED)


async def free_text(message: Message, member: Member | None) -> None:
    """Members are pointed to where a report or a comment goes; others to /help."""
    if member is not None and member.approval == Approval.APPROVED:
        await message.answer(texts.MEMBER_FREE_TEXT)
    else:
        await message.answer(texts.FREE_TEXT)


async def stale_callback(callback: CallbackQuery) -> None:
    # Forged or outdated buttons: answer so the spinner stops, and change nothing.
    await callback.answer(texts.STALE_BUTTON, show_alert=True)


def create_router() -> Router:
    router = Router(name="fallback")
    router.message.register(unknown_command, F.text.startswith("/"))
    router.message.register(stray_file, F.document | F.photo)
    router.message.register(free_text)
    router.callback_query.register(stale_callback)
    return router
