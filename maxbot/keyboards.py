"""Telegram's inline keyboards as MAX's, and Telegram's HTML as MAX's.

The buttons keep Telegram's packed callback data as MAX callback payloads: typed and versioned by the same
classes (`ui.callbacks`, at most 64 bytes, far within MAX's 1024), so one parser and one authorisation
serve both messengers. MAX allows 30 rows of at most 7 buttons (3 for link buttons), 210 in all, and
button text of 1–128 characters (dev.max.ru/docs-api/use-cases/sending-messages/keyboard).

MAX's HTML knows <b>, <i>, <u>, <s>, <a>, <code>, <pre>, <mark>, <h1> and strips other tags; the bot's texts
use <b> and <i> only. A message holds 4000 characters.
"""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardMarkup

from ui.messages import cut_plain

ROWS = 30
ROW_BUTTONS = 7
LINK_ROW_BUTTONS = 3
BUTTONS = 210
BUTTON_TEXT = 128
PAYLOAD = 1024
TEXT_LIMIT = 4000
Json = dict[str, Any]


def keyboard_rows(markup: InlineKeyboardMarkup | None) -> list[list[Json]]:
    """MAX buttons for a Telegram keyboard; a row too wide is split, what does not fit is left out."""
    if markup is None:
        return []
    rows: list[list[Json]] = []
    for telegram_row in markup.inline_keyboard:
        buttons: list[Json] = []
        for button in telegram_row:
            text = button.text[:BUTTON_TEXT] or "·"
            if button.callback_data is not None and len(button.callback_data) <= PAYLOAD:
                buttons.append({"type": "callback", "text": text, "payload": button.callback_data})
            elif button.url:
                buttons.append({"type": "link", "text": text, "url": button.url})
        width = LINK_ROW_BUTTONS if any(b["type"] == "link" for b in buttons) else ROW_BUTTONS
        rows.extend(buttons[i : i + width] for i in range(0, len(buttons), width))
    kept: list[list[Json]] = []
    total = 0
    for max_row in rows[:ROWS]:
        if total + len(max_row) > BUTTONS:
            break
        kept.append(max_row)
        total += len(max_row)
    return kept


def attachment(markup: InlineKeyboardMarkup | None) -> list[Json]:
    rows = keyboard_rows(markup)
    return [{"type": "inline_keyboard", "payload": {"buttons": rows}}] if rows else []


def fit_text(html: str) -> str:
    """The text within MAX's 4000 characters, markup counted: a longer one loses its tags and is cut."""
    if len(html) <= TEXT_LIMIT:
        return html
    plain = cut_plain(html, TEXT_LIMIT - 1)[0]
    return plain[: TEXT_LIMIT - 1] + "…"


def body(text: str, markup: InlineKeyboardMarkup | None, files: list[Json] | None = None) -> Json:
    """A NewMessageBody: HTML text, the keyboard and any files (MAX sends them in the same message)."""
    return {"text": fit_text(text), "format": "html", "attachments": [*(files or []), *attachment(markup)]}
