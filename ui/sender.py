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
    async def send(self, chat_id: int, message: OutMessage) -> int:
        """Send; returns the message id or raises a SendError."""
        ...


class TelegramSender:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, message: OutMessage) -> int:
        try:
            sent = await self.bot.send_message(
                chat_id=chat_id,
                text=message.text,
                parse_mode=ParseMode.HTML,  # rendered as HTML, whatever the bot's defaults
                reply_markup=message.markup,
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
