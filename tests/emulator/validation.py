"""Request checks the real Bot API performs: text limits, parse modes, keyboards, commands."""

from __future__ import annotations

import json
import re
from typing import Any

from .html_check import HtmlParseError, ParsedText, parse_html, plain_text
from .models import bad_request

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200

# Exactly one of these makes an inline button do something; a bare text button is rejected.
INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_URL_RE = re.compile(r"(https?|tg)://\S+", re.IGNORECASE)


def parse_text(
    text: str | None,
    parse_mode: str | None,
    entities: Any,
    *,
    caption: bool,
    strict_entities: bool,
) -> ParsedText:
    """Visible text and entities; raises ApiError for the limits and parse errors Telegram enforces."""
    raw = text or ""
    mode = (parse_mode or "").lower()
    if mode == "html":
        try:
            parsed = parse_html(raw, strict_entities=strict_entities)
        except HtmlParseError as exc:
            raise bad_request(f"can't parse entities: {exc.detail}") from None
    elif mode in {"", "markdown", "markdownv2"}:
        # Markdown modes are not interpreted: the raw text counts as visible (the bot uses HTML).
        parsed = plain_text(raw, entities if isinstance(entities, list) else None)
    else:
        raise bad_request("unsupported parse_mode")
    length = len(parsed.text)
    if caption:
        if length > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
    elif length == 0:
        raise bad_request("message text is empty")
    elif length > TEXT_LIMIT:
        raise bad_request("message is too long")
    return parsed


def load_json(value: Any, what: str) -> Any:
    """Complex parameters arrive JSON-encoded in form bodies, or already decoded in JSON bodies."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise bad_request(f"can't parse {what} JSON object") from None


def check_reply_markup(markup: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Split into (inline keyboard, other keyboard) after validating like Telegram."""
    if markup is None:
        return None, None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return _check_inline(markup["inline_keyboard"]), None
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays')
        for row in rows:
            for button in row:
                text = button if isinstance(button, str) else button.get("text") if isinstance(button, dict) else None
                if not text:
                    raise bad_request("can't parse keyboard button: Text must be non-empty")
        return None, markup
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return None, markup
    if not markup:
        return None, None
    raise bad_request("can't parse reply keyboard markup JSON object")


def _check_inline(rows: Any) -> dict[str, Any] | None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays')
    clean_rows: list[list[dict[str, Any]]] = []
    for row in rows:
        clean_row: list[dict[str, Any]] = []
        for button in row:
            if not isinstance(button, dict):
                raise bad_request("can't parse inline keyboard button: InlineKeyboardButton should be an Object")
            if "text" not in button:
                raise bad_request("can't parse inline keyboard button: Can't find field \"text\"")
            if not isinstance(button["text"], str) or not button["text"].strip():
                raise bad_request("can't parse inline keyboard button: Text must be non-empty")
            actions = [key for key in INLINE_ACTIONS if button.get(key) is not None]
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
            if len(actions) > 1:
                raise bad_request(
                    f"can't parse inline keyboard button: exactly one of {', '.join(actions)} must be specified"
                )
            if "callback_data" in actions:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in actions and not (isinstance(button["url"], str) and _URL_RE.fullmatch(button["url"])):
                raise bad_request("BUTTON_URL_INVALID")
            clean_row.append({key: value for key, value in button.items() if value is not None})
        if clean_row:
            clean_rows.append(clean_row)
    # Telegram drops an empty inline keyboard entirely
    return {"inline_keyboard": clean_rows} if clean_rows else None


def check_commands(commands: Any) -> list[dict[str, str]]:
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    result: list[dict[str, str]] = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand")
        command = str(item.get("command", "")).lower()
        description = str(item.get("description", ""))
        if not _COMMAND_RE.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        result.append({"command": command, "description": description})
    return result
