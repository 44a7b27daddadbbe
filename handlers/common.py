"""/start and /help for everyone: the text depends on who is asking."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.settings import Settings
from handlers import texts
from models.entities import Approval, Member


def _is_admin(message: Message, settings: Settings) -> bool:
    return message.from_user is not None and message.from_user.id in settings.admin_ids


async def start(message: Message, settings: Settings, member: Member | None) -> None:
    if member is not None and member.approval == Approval.APPROVED and member.organisation is not None:
        await message.answer(
            texts.START_MEMBER.format(
                name=texts.esc(member.full_name or "коллега"),
                org=texts.esc(member.organisation.name),
                role=texts.ROLE_SHORT.get(member.role, member.role),
            )
        )
    elif _is_admin(message, settings):
        await message.answer(texts.START_ADMIN)
    else:
        await message.answer(texts.START_GUEST)


async def help_(message: Message, settings: Settings) -> None:
    text = texts.HELP_COMMON
    if _is_admin(message, settings):
        text += texts.HELP_ADMIN.format(limit=f"{settings.max_upload_mb:g}")
    await message.answer(text)


async def cancel(message: Message, state: FSMContext) -> None:
    """Leaves any multi-step input (pasted text, comment, extension request)."""
    if await state.get_state() is None:
        await message.answer(texts.PUBLISH_NOTHING)
        return
    await state.clear()
    await message.answer(texts.CANCELLED)


def create_router() -> Router:
    router = Router(name="common")
    router.message.register(cancel, Command("cancel"))
    router.message.register(start, CommandStart())
    router.message.register(help_, Command("help"))
    return router
