"""/start and /help for everyone: the text depends on who is asking."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.filters import IsApprovedMember
from models import membership, policy
from models.entities import Member
from ui import texts
from ui.reporting import cancel_comment_step


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
    """For the role of the person asking: a guest how to join, a member what to do with an item, an officer
    and an admin their own commands."""
    assert message.from_user is not None
    audience = policy.audience(policy.Actor(message.from_user.id, member), settings.admin_ids)
    text = texts.help_for(audience, settings.max_upload_mb)
    await message.answer(text)


async def cancel(message: Message, state: FSMContext, session: AsyncSession, member: Member | None) -> None:
    """Leaves any multi-step input (pasted text, comment, extension request); a report's comment step ends
    with the report sent as it is."""
    if await state.get_state() is None:
        await message.answer(texts.PUBLISH_NOTHING)
        return
    report_id = int((await state.get_data()).get("report_id") or 0)
    await state.clear()
    await message.answer(await cancel_comment_step(session, member, report_id))


def create_router() -> Router:
    router = Router(name="common")
    router.message.register(cancel, Command("cancel"))
    router.message.register(start, CommandStart(), IsApprovedMember())
    router.message.register(help_, Command("help"))
    return router
