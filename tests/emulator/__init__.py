"""Telegram Bot API emulator for end-to-end tests (see server.TelegramEmulator)."""

from .fixtures import TOKEN, EmulatorSession, emulator_bot, make_bot, polling, running_emulator
from .html_check import HtmlParseError, ParsedText, parse_html
from .models import Button, CallbackAnswer, EditRecord, FileRecord, PendingCallback, SentMessage, Stats, UserInfo
from .server import TelegramEmulator

__all__ = [
    "TOKEN",
    "Button",
    "CallbackAnswer",
    "EditRecord",
    "EmulatorSession",
    "FileRecord",
    "HtmlParseError",
    "ParsedText",
    "PendingCallback",
    "SentMessage",
    "Stats",
    "TelegramEmulator",
    "UserInfo",
    "emulator_bot",
    "make_bot",
    "parse_html",
    "polling",
    "running_emulator",
]
