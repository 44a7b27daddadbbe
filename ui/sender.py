"""Sending one rendered message to Telegram, with Telegram's failures translated into the delivery
worker's vocabulary. The worker knows nothing of aiogram's exceptions: another messenger brings its
own sender with the same four failures."""

from __future__ import annotations

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
from aiogram.types import BotCommandScopeChat, InputMediaDocument, InputMediaPhoto, ReplyParameters

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


class Sender(Protocol):
    async def send(self, chat_id: int, message: OutMessage) -> int | str:
        """Send; returns the message id (MAX: its string `mid`) or raises a SendError."""
        ...


ALBUM = 10  # Telegram's largest media group


class TelegramSender:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, message: OutMessage) -> int:
        try:
            if message.menu is not None:
                await self.bot.set_my_commands(list(message.menu), scope=BotCommandScopeChat(chat_id=chat_id))
                return 0
            if message.edits:
                return await self._edit(chat_id, message)
            first_file = await self._files(chat_id, message.files)
            sent = await self.bot.send_message(
                chat_id=chat_id,
                text=message.text,
                parse_mode=ParseMode.HTML,  # rendered as HTML, whatever the bot's defaults
                reply_markup=message.markup,
                reply_parameters=(
                    ReplyParameters(message_id=first_file, allow_sending_without_reply=True) if first_file else None
                ),
            )
        except TelegramRetryAfter as exc:
            raise RateLimitedError(f"429 retry_after={exc.retry_after}", exc.retry_after) from exc
        except TelegramForbiddenError as exc:
            raise BlockedError(exc.message) from exc
        except (TelegramBadRequest, TelegramNotFound) as exc:
            raise RejectedError(exc.message) from exc
        except (TelegramServerError, TelegramNetworkError, TimeoutError, OSError) as exc:
            raise TransientError(str(exc)) from exc
        return sent.message_id

    async def _files(self, chat_id: int, files: tuple[tuple[str, str], ...]) -> int | None:
        """Evidence before the text: photos together, documents together (Telegram does not mix them in an
        album), up to ten per album. Returns the first message's id."""
        first: int | None = None
        for kind in ("photo", "document"):
            ids = [file_id for k, file_id in files if k == kind]
            for start in range(0, len(ids), ALBUM):
                chunk = ids[start : start + ALBUM]
                if len(chunk) == 1:
                    sent = await (
                        self.bot.send_photo(chat_id, chunk[0])
                        if kind == "photo"
                        else self.bot.send_document(chat_id, chunk[0])
                    )
                    message_ids = [sent.message_id]
                else:
                    album = await self.bot.send_media_group(
                        chat_id,
                        [InputMediaPhoto(media=f) if kind == "photo" else InputMediaDocument(media=f) for f in chunk],
                    )
                    message_ids = [m.message_id for m in album]
                first = first or message_ids[0]
        return first

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
