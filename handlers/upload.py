"""Admins send a resolution file; the bot shows how it understood it."""

from __future__ import annotations

import asyncio
import io
from pathlib import PurePath

from aiogram import Bot, F, Router
from aiogram.types import Message

from bot.settings import Settings
from handlers import texts
from handlers.filters import IsAdmin
from models.messages import pack_blocks
from models.parsing import ParseError, ParsedResolution, parse_bytes

ACCEPTED_SUFFIXES = {".docx", ".txt", ".pdf"}


async def read_resolution(message: Message, bot: Bot, settings: Settings) -> ParsedResolution | None:
    """Download and parse the document of `message`; on any problem answer clearly and return None."""
    document = message.document
    assert document is not None  # guaranteed by the F.document filter
    name = document.file_name or "документ"
    if PurePath(name).suffix.lower() not in ACCEPTED_SUFFIXES:
        await message.answer(texts.UPLOAD_WRONG_TYPE.format(name=texts.esc(name)))
        return None
    if document.file_size is not None and document.file_size > settings.max_upload_bytes:
        await message.answer(
            texts.UPLOAD_TOO_BIG.format(size=texts.mb(document.file_size), limit=f"{settings.max_upload_mb:g}")
        )
        return None
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    try:
        # Parsing is CPU work (docx/pdf); keep the event loop free for other users.
        return await asyncio.to_thread(
            parse_bytes, buffer.getvalue(), name, max_bytes=settings.max_upload_bytes
        )
    except ParseError as exc:
        await message.answer(texts.UPLOAD_FAILED.format(name=texts.esc(name), reason=texts.esc(exc.message)))
        return None


async def resolution_file(message: Message, bot: Bot, settings: Settings) -> None:
    parsed = await read_resolution(message, bot, settings)
    if parsed is None:
        return
    for part in pack_blocks(texts.parsed_summary_blocks(parsed)):
        await message.answer(part)


def create_router() -> Router:
    router = Router(name="upload")
    router.message.filter(IsAdmin())
    router.message.register(resolution_file, F.document)
    return router
