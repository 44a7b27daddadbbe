"""Editing a message only when something changes: Telegram refuses identical edits."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup, Message


async def edit_if_changed(message: Message, *, text: str | None, markup: InlineKeyboardMarkup | None) -> bool:
    """Edit the text (and keyboard), or only the keyboard when `text` is None. False when nothing changed.

    The comparison is with what the user saw when they pressed the button; a second quick press may
    race the first one's edit, so Telegram's "not modified" also counts as nothing to do.
    """
    same_markup = _dump(message.reply_markup) == _dump(markup)
    try:
        if text is None:
            if same_markup:
                return False
            await message.edit_reply_markup(reply_markup=markup)
            return True
        if message.html_text == text and same_markup:
            return False
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "message is not modified" in exc.message:
            return False
        raise
    return True


def _dump(markup: InlineKeyboardMarkup | None) -> object:
    # Compare what Telegram would store: the received markup carries defaults the built one lacks.
    if markup is None or not markup.inline_keyboard:
        return None
    return markup.model_dump(exclude_none=True, exclude_defaults=True, mode="json")
