"""What the MAX emulator keeps: the bot's messages, callbacks, uploads; and MAX's limits.

The limits are those MAX publishes (OpenAPI schema of the Bot API, github.com/max-messenger-bot/
max-bot-api-schemas, schema_2026_07_01; dev.max.ru/docs-api/use-cases/sending-messages/keyboard):
text up to 4000 characters; an inline keyboard of up to 210 buttons in 30 rows, up to 7 a row (3 when the
row holds link, open_app, request_geo_location or request_contact buttons); button text 1–128 characters; a
callback payload up to 1024 characters; a link up to 2048; deep-link payload up to 128 characters (maxapi's
DEEPLINK_PAYLOAD_MAX_LENGTH; the older schema text says 512 — we keep to the stricter one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TEXT_LIMIT = 4000
KEYBOARD_ROWS = 30
KEYBOARD_ROW_BUTTONS = 7
KEYBOARD_WIDE_ROW_BUTTONS = 3
KEYBOARD_BUTTONS = 210
BUTTON_TEXT_LIMIT = 128
CALLBACK_PAYLOAD_LIMIT = 1024
LINK_LIMIT = 2048
START_PAYLOAD_LIMIT = 128
WIDE_BUTTONS = frozenset({"link", "open_app", "request_geo_location", "request_contact"})
BUTTON_TYPES = frozenset(
    {"callback", "link", "request_geo_location", "request_contact", "open_app", "message", "clipboard", "chat"}
)
ATTACHMENT_TYPES = frozenset(
    {"image", "video", "audio", "file", "sticker", "contact", "inline_keyboard", "location", "share"}
)
UPLOAD_TYPES = frozenset({"image", "video", "audio", "file"})


class ApiError(Exception):
    """An error answer: HTTP status and MAX's JSON body {"code", "message"}."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def bad_request(message: str, code: str = "proto.payload") -> ApiError:
    return ApiError(400, code, message)


@dataclass
class MaxUser:
    user_id: int
    first_name: str
    username: str | None = None
    started: bool = False  # MAX lets a bot write only to users who opened the dialog with it
    blocked: bool = False

    def api(self, now_ms: int) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "first_name": self.first_name,
            "last_name": "",
            "username": self.username,
            "is_bot": False,
            "last_activity_time": now_ms,
            "name": self.first_name,
        }


@dataclass
class BotMessage:
    """A message the bot sent to a user's dialog (or a user's own message, `from_user`)."""

    mid: str
    seq: int
    user_id: int
    text: str
    format: str | None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    from_user: bool = False
    timestamp: int = 0
    edits: int = 0
    deleted: bool = False
    reply_to: str | None = None  # a user's reply: the mid of the message it answers

    @property
    def keyboard(self) -> list[list[dict[str, Any]]]:
        for attachment in self.attachments:
            if attachment.get("type") == "inline_keyboard":
                rows: list[list[dict[str, Any]]] = attachment["payload"]["buttons"]
                return rows
        return []

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [button for row in self.keyboard for button in row]

    @property
    def button_texts(self) -> list[str]:
        return [str(button["text"]) for button in self.buttons]

    @property
    def files(self) -> list[dict[str, Any]]:
        return [a for a in self.attachments if a.get("type") in UPLOAD_TYPES]

    def payload_of(self, text: str) -> str:
        for button in self.buttons:
            if button["text"] == text:
                return str(button.get("payload", ""))
        msg = f"no button {text!r} in {self.button_texts}"
        raise AssertionError(msg)


@dataclass
class CallbackRecord:
    callback_id: str
    user_id: int
    mid: str
    payload: str
    answers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return bool(self.answers)

    @property
    def notification(self) -> str | None:
        for answer in self.answers:
            if answer.get("notification"):
                return str(answer["notification"])
        return None


@dataclass
class Upload:
    """A file uploaded to MAX; its token goes into attachments, and a sent file is resent by its token."""

    kind: str
    token: str
    filename: str | None = None
    content: bytes = b""
    uploaded_at: float = 0.0  # time.monotonic() of the upload: MAX processes a file before it can be sent


@dataclass
class Stats:
    requests: int = 0
    sent: int = 0
    rate_limited: int = 0
    forbidden: int = 0
    rejected: int = 0
    uploads: int = 0
    webhook_posts: int = 0
    not_ready: int = 0  # messages refused because a file in them was still being processed
    sent_at: list[float] = field(default_factory=list)  # monotonic times of POST /messages, for rate checks
