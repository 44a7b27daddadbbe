"""/progress: admins see all organisations, a municipal officer the schools of their municipality."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.filters import IsAdminOrMember
from models import oversight
from models.entities import Member
from ui import texts
from ui.messages import pack_blocks


async def progress_command(message: Message, session: AsyncSession, member: Member | None, settings: Settings) -> None:
    is_admin = message.from_user is not None and message.from_user.id in settings.admin_ids
    org_ids = await oversight.visible_org_ids(session, member, is_admin=is_admin)
    rows = await oversight.progress(session, org_ids)
    if not rows:
        await message.answer(texts.PROGRESS_EMPTY)
        return
    blocks = [texts.PROGRESS_HEAD] + [texts.progress_block(r.title, r.counts) for r in rows]
    zone = ZoneInfo(member.timezone if member and member.timezone else settings.timezone)
    paused = await oversight.paused_members(session, org_ids, datetime.now(zone).date())
    if paused:
        blocks.append(texts.paused_block(paused, with_org=True))
    for part in pack_blocks(blocks):
        await message.answer(part)


def create_router() -> Router:
    router = Router(name="progress")
    router.message.filter(IsAdminOrMember())
    router.message.register(progress_command, Command("progress"))
    return router
