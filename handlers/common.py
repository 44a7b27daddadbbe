"""/start and /help for everyone: the text depends on who is asking."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.filters import IsApprovedMember
from models import membership
from models.entities import Member
from ui import texts


def _is_admin(message: Message, settings: Settings) -> bool:
    return message.from_user is not None and message.from_user.id in settings.admin_ids


async def start(message: Message, member: Member, session: AsyncSession) -> None:
    """An approved member: who they are. Writing to the bot again also undoes an earlier block."""
    await membership.reactivate(session, member)
    org = member.organisation
    await message.answer(
        texts.START_MEMBER.format(
            name=texts.esc(member.full_name or "коллега"),
            org=texts.esc(org.name if org else ""),
            role=texts.ROLE_SHORT.get(member.role, member.role),
        )
    )


async def help_(message: Message, settings: Settings, member: Member | None) -> None:
    text = texts.HELP_COMMON
    if member is not None and member.organisation is not None and member.organisation.kind == "municipality":
        text += texts.HELP_OFFICER
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
    router.message.register(start, CommandStart(), IsApprovedMember())
    router.message.register(help_, Command("help"))
    return router
