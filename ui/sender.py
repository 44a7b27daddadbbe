"""Sending one rendered message to Telegram, with Telegram's failures translated into the delivery
worker's vocabulary. The worker knows nothing of aiogram's exceptions: another messenger brings its
own sender with the same four failures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommandScopeChat,
    BufferedInputFile,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
    ReplyParameters,
)

from ui import texts
from ui.render import OutMessage


class SendError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RateLimitedError(SendError):
    """429: everything waits `retry_after` seconds (the limit is per bot, not per chat)."""

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class BlockedError(SendError):
    """403: the user blocked the bot; nothing more should go to them."""


class RejectedError(SendError):
    """The request itself is wrong, or the chat is gone: retrying cannot help."""


class TransientError(SendError):
    """Network errors and 5xx: worth another attempt later."""


def translated(exc: Exception) -> SendError | None:
    """Telegram's failure in the delivery worker's terms (None: not one of Telegram's)."""
    if isinstance(exc, TelegramRetryAfter):
        return RateLimitedError(f"429 retry_after={exc.retry_after}", exc.retry_after)
    if isinstance(exc, TelegramForbiddenError):
        return BlockedError(exc.message)
    if isinstance(exc, (TelegramBadRequest, TelegramNotFound)):
        return RejectedError(exc.message)
    if isinstance(exc, (TelegramServerError, TelegramNetworkError, TimeoutError, OSError)):
        return TransientError(str(exc))
    return None


class Sender(Protocol):
    async def send(self, chat_id: int, message: OutMessage) -> int | str:
        """Send; returns the message id (MAX: its string `mid`) or raises a SendError."""
        ...


ALBUM = 10  # Telegram's largest media group
# Files that came through MAX (`ReportFile.kind`, the ref is a MAX token) and what they are on Telegram.
FOREIGN_KINDS = {"max_file": "document", "max_image": "photo"}
# (a foreign file's ref) → (file name, bytes): how a file sent on another messenger reaches Telegram.
FileFetch = Callable[[str], Awaitable[tuple[str, bytes]]]

log = logging.getLogger(__name__)


class TelegramSender:
    """Files sent on MAX are fetched once (through `fetch_foreign`, given by the wiring), uploaded, and the
    Telegram file id kept, so a second reviewer costs no upload. A file that cannot be fetched is left
    out: the text says how many files there are and how many could not be forwarded."""

    def __init__(self, bot: Bot, fetch_foreign: FileFetch | None = None) -> None:
        self.bot = bot
        self.fetch_foreign = fetch_foreign
        self._file_ids: dict[str, str] = {}  # MAX token → Telegram file id
        self._uploading = asyncio.Lock()

    async def send(self, chat_id: int, message: OutMessage) -> int:
        try:
            if message.menu is not None:
                await self.bot.set_my_commands(list(message.menu), scope=BotCommandScopeChat(chat_id=chat_id))
                return 0
            if message.edits:
                return await self._edit(chat_id, message)
            first_file, forwarded = await self._files(chat_id, message.files)
            text = message.text
            if forwarded < len(message.files):  # the count in the text says «above»: say what is missing
                text += texts.FILES_NOT_FORWARDED.format(n=len(message.files) - forwarded)
            sent = await self.bot.send_message(
                chat_id=chat_id,
                text=text,
                parse_mode=ParseMode.HTML,  # rendered as HTML, whatever the bot's defaults
                reply_markup=message.markup,
                reply_parameters=(
                    ReplyParameters(message_id=first_file, allow_sending_without_reply=True) if first_file else None
                ),
            )
        except Exception as exc:
            failure = translated(exc)
            if failure is None:
                raise
            raise failure from exc
        return sent.message_id

    async def _files(self, chat_id: int, files: tuple[tuple[str, str], ...]) -> tuple[int | None, int]:
        """Evidence before the text: photos together, documents together (Telegram does not mix them in an
        album), up to ten per album. Returns the first message's id and how many files went."""
        if any(kind in FOREIGN_KINDS and ref not in self._file_ids for kind, ref in files):
            # Reviewers of one report are sent to at the same time: the first uploads, the others wait for
            # the file id it brings back rather than upload the same file again.
            async with self._uploading:
                return await self._send_evidence(chat_id, files)
        return await self._send_evidence(chat_id, files)

    async def _send_evidence(self, chat_id: int, files: tuple[tuple[str, str], ...]) -> tuple[int | None, int]:
        first: int | None = None
        forwarded = 0
        for kind in ("photo", "document"):
            media: list[tuple[str, str | InputFile]] = []
            for file_kind, ref in files:
                if (FOREIGN_KINDS.get(file_kind) or file_kind) == kind:
                    item = await self._media(file_kind, ref)
                    if item is not None:
                        media.append((ref, item))
            for start in range(0, len(media), ALBUM):
                chunk = media[start : start + ALBUM]
                try:
                    sent = await self._send_files(chat_id, kind, [item for _ref, item in chunk])
                except TelegramBadRequest:
                    if not any(isinstance(item, InputFile) for _ref, item in chunk):
                        raise
                    # Telegram refused a file brought from MAX (not a photo it can process, say): the
                    # others go, and the text still says how many there are.
                    log.warning("Telegram refused a file sent on MAX", exc_info=True)
                    chunk = [(ref, item) for ref, item in chunk if not isinstance(item, InputFile)]
                    if not chunk:
                        continue
                    sent = await self._send_files(chat_id, kind, [item for _ref, item in chunk])
                for (ref, item), message in zip(chunk, sent, strict=False):
                    if isinstance(item, InputFile):  # uploaded now: the next reviewer gets it by its id
                        self._remember(ref, message)
                first = first or sent[0].message_id
                forwarded += len(chunk)
        return first, forwarded

    async def _send_files(self, chat_id: int, kind: str, items: list[str | InputFile]) -> list[Message]:
        if len(items) == 1:
            single = self.bot.send_photo if kind == "photo" else self.bot.send_document
            return [await single(chat_id, items[0])]
        return await self.bot.send_media_group(
            chat_id, [InputMediaPhoto(media=f) if kind == "photo" else InputMediaDocument(media=f) for f in items]
        )

    async def _media(self, kind: str, ref: str) -> str | InputFile | None:
        """What Telegram is sent for a file: its own file id, or a file from another messenger (uploaded)."""
        if kind not in FOREIGN_KINDS:
            return ref
        if ref in self._file_ids:
            return self._file_ids[ref]
        if self.fetch_foreign is None:
            return None
        try:
            name, content = await self.fetch_foreign(ref)
        except Exception:  # gone, expired or unreachable: the text still counts the file
            log.warning("a file sent on MAX could not be fetched for Telegram", exc_info=True)
            return None
        return BufferedInputFile(content, filename=name) if content else None

    def _remember(self, ref: str, message: Message) -> None:
        if message.document is not None:
            self._file_ids[ref] = message.document.file_id
        elif message.photo:
            self._file_ids[ref] = message.photo[-1].file_id

    async def _edit(self, chat_id: int, message: OutMessage) -> int:
        for edit in message.edits:
            try:
                await self.bot.edit_message_text(
                    chat_id=chat_id,
                    message_id=edit.message_id,
                    text=edit.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=edit.markup,
                )
            except TelegramBadRequest as exc:
                # Unchanged, deleted by the user, or too old to edit: nothing to bring up to date there.
                if not any(reason in exc.message for reason in _EDIT_NOTHING_TO_DO):
                    raise
        return message.edits[0].message_id


_EDIT_NOTHING_TO_DO = ("message is not modified", "message to edit not found", "message can't be edited")
