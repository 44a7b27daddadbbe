"""/export and /audit on MAX, as on Telegram (`handlers/exports.py`): the same report files and the same
scope checks (`exports.sending`); each file is uploaded to MAX and sent with its caption."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from aiogram.filters.callback_data import CallbackData
from maxapi import Router
from maxapi.filters.command import Command
from maxapi.types import MessageCreated

from exports import sending
from maxbot.handlers.base import Act, Press, PressHandler, TextStep
from maxbot.keyboards import body
from models import policy
from ui import texts
from ui.callbacks import AuditCb, ExportCb


def _scope(act: Act) -> policy.Scope | None:
    return sending.export_scope(policy.Actor(act.principal, act.member), act.deps.config.admin_ids)


async def _send_file(act: Act, name: str, content: bytes, caption: str) -> None:
    token = await act.deps.client.upload("file", name, content)
    await act.deps.client.send(act.user.user_id, body(caption, None, [{"type": "file", "payload": {"token": token}}]))


async def on_export_command(event: MessageCreated, act: Act) -> None:
    menu = await sending.export_menu(act.session, _scope(act), act.today())
    await act.say(menu.text, menu.markup)


async def on_export(press: Press, data: ExportCb) -> None:
    act = press.act
    scope = _scope(act)
    refusal = await sending.export_refusal(act.session, scope, data.resolution_id)
    if refusal is not None or scope is None:
        await press.answer(refusal or texts.EXPORT_FORBIDDEN)
        return
    await press.answer(texts.EXPORT_PREPARING)
    with tempfile.TemporaryDirectory() as folder:
        out = await sending.export_messages(
            act.session, Path(folder), scope, today=act.today(), resolution_id=data.resolution_id, fmt=data.fmt
        )
        for message in out:
            if message.path is None:
                await act.say(message.text, message.markup)
            else:
                content = await asyncio.to_thread(message.path.read_bytes)
                await _send_file(act, message.path.name, content, message.text)


async def on_audit_command(event: MessageCreated, act: Act) -> None:
    if not act.is_admin:
        await act.say(texts.UNKNOWN_COMMAND)
        return
    await act.say(*await sending.audit_page(act.session, 0))


async def on_audit(press: Press, data: AuditCb) -> None:
    act = press.act
    if not act.is_admin:
        await press.answer(texts.STALE_BUTTON)
        return
    if data.csv:
        await press.answer(texts.EXPORT_PREPARING)
        name, content = await sending.audit_csv(act.session)
        await _send_file(act, name, content, name)
        return
    await press.answer(f"Страница {max(0, data.page) + 1}")
    await act.edit(press.mid, *await sending.audit_page(act.session, max(0, data.page)))


PRESSES: tuple[tuple[type[CallbackData], PressHandler], ...] = ((ExportCb, on_export), (AuditCb, on_audit))
STEPS: dict[str, TextStep] = {}


def register(router: Router) -> None:
    router.message_created.register(on_export_command, Command("export"))
    router.message_created.register(on_audit_command, Command("audit"))
