"""Sending one rendered notice through MAX, for the MAX delivery worker (same four failures as Telegram's).

Files travel in the message itself (MAX mixes files and a keyboard in one message, unlike Telegram). A file
sent on MAX is resent by its token; a file that came through Telegram is fetched from Telegram once (when the
app has a Telegram bot), uploaded to MAX, and its token kept, so a second reviewer costs no upload.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.types import InlineKeyboardMarkup

from maxbot.client import MaxClient
from maxbot.keyboards import body
from maxbot.render import FILE_KINDS, MaxEdit
from ui.render import OutMessage
from ui.sender import RejectedError, TransientError

# (Telegram file id) → (file name, bytes): how a Telegram file reaches MAX.
TelegramFetch = Callable[[str], Awaitable[tuple[str, bytes]]]
_TELEGRAM_KINDS = {"document": "file", "photo": "image"}


class MaxSender:
    def __init__(self, client: MaxClient, fetch_telegram: TelegramFetch | None = None) -> None:
        self.client = client
        self.fetch_telegram = fetch_telegram
        self._tokens: dict[str, str] = {}  # Telegram file id → MAX token (a token may be sent any number of times)

    async def send(self, chat_id: int, message: OutMessage) -> str:
        if message.menu is not None:
            return ""  # Telegram's per-chat command menu: MAX has none (its commands are the bot's, for all)
        if message.edits:
            for edit in message.edits:
                if isinstance(edit, MaxEdit) and edit.ref:
                    # Deleted by the user, or never there: nothing to bring up to date.
                    with contextlib.suppress(RejectedError):
                        await self.client.edit(edit.ref, body(edit.text, edit.markup))
            first = message.edits[0]
            return first.ref if isinstance(first, MaxEdit) else ""
        files = [await self._file(kind, ref) for kind, ref in message.files]
        return await self.client.send(chat_id, body(message.text, message.markup, [f for f in files if f]))

    async def _file(self, kind: str, ref: str) -> dict[str, Any] | None:
        if kind in FILE_KINDS:
            return {"type": FILE_KINDS[kind], "payload": {"token": ref}}
        max_kind = _TELEGRAM_KINDS.get(kind)
        if max_kind is None or self.fetch_telegram is None:
            return None  # nothing to carry it across with: the text still says how many files there are
        token = self._tokens.get(ref)
        if token is None:
            try:
                name, content = await self.fetch_telegram(ref)
            except Exception as exc:  # Telegram's failure to hand the file over is a transient one here
                raise TransientError(f"Telegram file {ref} unavailable: {exc!r}") from exc
            token = await self.client.upload(max_kind, name, content)
            self._tokens[ref] = token
        return {"type": max_kind, "payload": {"token": token}}


class MaxProgressPost:
    """The admin's broadcast progress message on MAX (`scheduler.broadcast_progress.ProgressPost`)."""

    def __init__(self, client: MaxClient) -> None:
        self.client = client

    async def send(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> str:
        return await self.client.send(chat_id, body(text, markup))

    async def edit(self, chat_id: int, ref: str, text: str, markup: InlineKeyboardMarkup | None) -> None:
        await self.client.edit(ref, body(text, markup))
