"""/export: the execution report as XLSX (and CSV on request) — admins for the region, municipal officers for
their municipality; /audit: the trail of actions that changed who gets what (admins)."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, FSInputFile, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.edits import edit_if_changed
from handlers.filters import IsAdmin, IsAdminOrMember
from models import audit, execution, policy
from models.entities import Member, Resolution
from models.policy import Scope
from models.timeutil import local_today, utcnow
from ui import texts
from ui.callbacks import AuditCb, ExportCb, ExportFormat
from ui.keyboards import audit_keyboard, csv_keyboard, export_keyboard

AUDIT_PAGE = 15


def _export_scope(user_id: int, member: Member | None, settings: Settings) -> Scope | None:
    """Admins the region, officers their municipality; nobody else exports."""
    scope = policy.oversight_scope(policy.Actor(user_id, member), settings.admin_ids)
    if scope is None or scope.organisation_id is not None:
        return None
    return scope


async def export_command(message: Message, session: AsyncSession, member: Member | None, settings: Settings) -> None:
    assert message.from_user is not None
    scope = _export_scope(message.from_user.id, member, settings)
    if scope is None:
        await message.answer(texts.EXPORT_FORBIDDEN)
        return
    today = local_today(member.timezone if member else None, settings.timezone)
    listed = await execution.resolutions(session, today, municipality_id=scope.municipality_id, limit=20)
    if not listed.total:
        await message.answer(texts.EXPORT_NONE)
        return
    await message.answer(
        texts.EXPORT_CHOOSE, reply_markup=export_keyboard([(r.resolution_id, r.title) for r in listed.items])
    )


async def on_export(
    callback: CallbackQuery,
    callback_data: ExportCb,
    session: AsyncSession,
    member: Member | None,
    settings: Settings,
    bot: Bot,
) -> None:
    """Written into a temporary folder and sent as documents; the scope is checked again on the server."""
    scope = _export_scope(callback.from_user.id, member, settings)
    resolution = await session.get(Resolution, callback_data.resolution_id) if callback_data.resolution_id else None
    if scope is None or (callback_data.resolution_id and (resolution is None or not policy.is_live(resolution))):
        await callback.answer(texts.EXPORT_FORBIDDEN if scope is None else texts.STALE_BUTTON, show_alert=True)
        return
    await callback.answer(texts.EXPORT_PREPARING)
    from exports.csv_export import export_csv  # the writers load on the first export, not at start
    from exports.xlsx import export_xlsx

    today = local_today(member.timezone if member else None, settings.timezone)
    write = export_xlsx if callback_data.fmt is ExportFormat.XLSX else export_csv
    chat = callback.from_user.id
    with tempfile.TemporaryDirectory() as folder:
        done = await write(
            session,
            Path(folder),
            today=today,
            resolution_id=callback_data.resolution_id or None,
            municipality_id=scope.municipality_id,
        )
        if done.split:
            await bot.send_message(chat, texts.EXPORT_SPLIT.format(n=len(done.parts)))
        for part in done.parts:
            if part in done.oversized:
                await bot.send_message(chat, texts.EXPORT_OVERSIZED.format(title=texts.esc(part.title)))
                continue
            caption = texts.EXPORT_PART.format(title=texts.esc(part.title), date=texts.fmt_date(today))
            await bot.send_document(chat, FSInputFile(part.path, filename=part.path.name), caption=caption)
    if callback_data.fmt is ExportFormat.XLSX:
        await bot.send_message(chat, texts.EXPORT_CSV_OFFER, reply_markup=csv_keyboard(callback_data.resolution_id))


async def audit_command(message: Message, session: AsyncSession) -> None:
    text, markup = await _audit_page(session, 0)
    await message.answer(text, reply_markup=markup)


async def on_audit(callback: CallbackQuery, callback_data: AuditCb, session: AsyncSession) -> None:
    if callback_data.csv:
        await callback.answer()
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(texts.AUDIT_CSV_HEADER)
        for entry in await audit.everything(session):
            writer.writerow(
                [
                    entry.at.strftime("%Y-%m-%d %H:%M:%S"),
                    entry.actor_id if entry.actor_id is not None else "",
                    texts.AUDIT_ACTIONS.get(entry.action, entry.action),
                    entry.object_type,
                    entry.object_id if entry.object_id is not None else "",
                    json.dumps(entry.details, ensure_ascii=False),
                ]
            )
        data = "\ufeff".encode() + buffer.getvalue().encode()  # the BOM makes Excel read UTF-8
        name = f"audit-{utcnow():%Y-%m-%d}.csv"
        if isinstance(callback.message, Message):
            await callback.message.answer_document(BufferedInputFile(data, filename=name))
        return
    await callback.answer()
    text, markup = await _audit_page(session, max(0, callback_data.page))
    if isinstance(callback.message, Message):
        await edit_if_changed(callback.message, text=text, markup=markup)


async def _audit_page(session: AsyncSession, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    entries, total = await audit.latest(session, offset=page * AUDIT_PAGE, limit=AUDIT_PAGE)
    if not total:
        return texts.AUDIT_EMPTY, None
    first = page * AUDIT_PAGE + 1
    lines = [texts.AUDIT_HEAD.format(shown=f"{first}–{first + len(entries) - 1}", total=total), ""]
    lines += [texts.audit_line(e.at, e.actor_id, e.action, e.object_id, e.details) for e in entries]
    return "\n".join(lines), audit_keyboard(page, total, AUDIT_PAGE)


def create_router() -> Router:
    router = Router(name="exports")
    router.message.register(export_command, Command("export"), IsAdminOrMember())
    router.callback_query.register(on_export, ExportCb.filter(), IsAdminOrMember())
    router.message.register(audit_command, Command("audit"), IsAdmin())
    router.callback_query.register(on_audit, AuditCb.filter(), IsAdmin())
    return router
