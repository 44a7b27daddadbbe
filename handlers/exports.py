"""/export: the execution report as XLSX (and CSV on request) — admins for the region, municipal officers for
their municipality; /audit: the trail of actions that changed who gets what (admins). What is sent is
`exports.sending`'s, shared with MAX."""

from __future__ import annotations

import tempfile
from pathlib import Path

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, FSInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from exports import sending
from handlers.edits import edit_if_changed
from handlers.filters import IsAdmin, IsAdminOrMember
from models import policy
from models.entities import Member
from models.timeutil import local_today
from ui import texts
from ui.callbacks import AuditCb, ExportCb


async def export_command(message: Message, session: AsyncSession, member: Member | None, settings: Settings) -> None:
    assert message.from_user is not None
    scope = sending.export_scope(policy.Actor(message.from_user.id, member), settings.admin_ids)
    today = local_today(member.timezone if member else None, settings.timezone)
    menu = await sending.export_menu(session, scope, today)
    await message.answer(menu.text, reply_markup=menu.markup)


async def on_export(
    callback: CallbackQuery,
    callback_data: ExportCb,
    session: AsyncSession,
    member: Member | None,
    settings: Settings,
    bot: Bot,
) -> None:
    """Written into a temporary folder and sent as documents; the scope is checked again on the server."""
    scope = sending.export_scope(policy.Actor(callback.from_user.id, member), settings.admin_ids)
    refusal = await sending.export_refusal(session, scope, callback_data.resolution_id)
    if refusal is not None or scope is None:
        await callback.answer(refusal, show_alert=True)
        return
    await callback.answer(texts.EXPORT_PREPARING)
    today = local_today(member.timezone if member else None, settings.timezone)
    chat = callback.from_user.id
    with tempfile.TemporaryDirectory() as folder:
        out = await sending.export_messages(
            session, Path(folder), scope, today=today, resolution_id=callback_data.resolution_id, fmt=callback_data.fmt
        )
        for message in out:
            if message.path is None:
                await bot.send_message(chat, message.text, reply_markup=message.markup)
            else:
                document = FSInputFile(message.path, filename=message.path.name)
                await bot.send_document(chat, document, caption=message.text)


async def audit_command(message: Message, session: AsyncSession) -> None:
    text, markup = await sending.audit_page(session, 0)
    await message.answer(text, reply_markup=markup)


async def on_audit(callback: CallbackQuery, callback_data: AuditCb, session: AsyncSession) -> None:
    await callback.answer()
    if callback_data.csv:
        name, data = await sending.audit_csv(session)
        if isinstance(callback.message, Message):
            await callback.message.answer_document(BufferedInputFile(data, filename=name))
        return
    text, markup = await sending.audit_page(session, max(0, callback_data.page))
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=text, markup=markup)


def create_router() -> Router:
    router = Router(name="exports")
    router.message.register(export_command, Command("export"), IsAdminOrMember())
    router.callback_query.register(on_export, ExportCb.filter(), IsAdminOrMember())
    router.message.register(audit_command, Command("audit"), IsAdmin())
    router.callback_query.register(on_audit, AuditCb.filter(), IsAdmin())
    return router
