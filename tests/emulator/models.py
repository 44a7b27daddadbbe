"""Records the emulator keeps: messages, files, callback queries, edits; tests inspect these."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal


class ApiError(Exception):
    """A Bot API error reply: HTTP status, description and optional ResponseParameters."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass
class UserInfo:
    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "ru"

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def chat(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class FileRecord:
    """A stored file; ``content`` is what a download returns, ``size`` what the API reports."""

    file_id: str
    file_unique_id: str
    file_path: str
    kind: Literal["document", "photo"]
    content: bytes
    size: int
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    uploaded_by_bot: bool = False

    def document_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_name:
            data["file_name"] = self.file_name
        if self.mime_type:
            data["mime_type"] = self.mime_type
        return data

    def photo_api(self) -> list[dict[str, Any]]:
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_size": self.size,
                "width": self.width,
                "height": self.height,
            }
        ]


@dataclass(frozen=True)
class Button:
    """One inline button as the bot sent it."""

    text: str
    callback_data: str | None
    url: str | None
    raw: dict[str, Any]


@dataclass
class SentMessage:
    """A message in a chat; bot messages are updated in place on edit/delete, so references stay live."""

    chat_id: int
    message_id: int
    from_bot: bool
    date: int
    kind: Literal["text", "document", "photo"]
    text: str  # visible text (caption for media), after HTML parsing and trimming
    html: str  # what was sent, markup included
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None  # inline keyboard only, as Telegram returns it
    reply_keyboard: dict[str, Any] | None = None  # ReplyKeyboardMarkup / Remove / ForceReply, never echoed
    file: FileRecord | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    deleted: bool = False
    sender: UserInfo | None = None  # for user messages

    @property
    def caption(self) -> str | None:
        return self.text if self.kind != "text" else None

    @property
    def document(self) -> FileRecord | None:
        return self.file if self.kind == "document" else None

    @property
    def photo(self) -> FileRecord | None:
        return self.file if self.kind == "photo" else None

    @property
    def inline_buttons(self) -> list[list[Button]]:
        if not self.reply_markup:
            return []
        return [
            [Button(b.get("text", ""), b.get("callback_data"), b.get("url"), b) for b in row]
            for row in self.reply_markup.get("inline_keyboard", [])
        ]

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Rows of (text, callback_data)."""
        return [[(b.text, b.callback_data) for b in row] for row in self.inline_buttons]

    @property
    def button_texts(self) -> list[str]:
        return [b.text for row in self.inline_buttons for b in row]

    def find_button(self, text: str) -> Button:
        """The inline button with exactly this visible text; AssertionError listing the buttons otherwise."""
        for row in self.inline_buttons:
            for button in row:
                if button.text == text:
                    return button
        msg = f"no button {text!r} in message {self.message_id} of chat {self.chat_id}; buttons: {self.button_texts}"
        raise AssertionError(msg)


@dataclass
class PendingCallback:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    created: float
    answered: bool = False
    expired: bool = False


@dataclass(frozen=True)
class CallbackAnswer:
    callback_query_id: str
    data: str | None
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int


@dataclass(frozen=True)
class EditRecord:
    chat_id: int
    message_id: int
    method: str
    old_text: str
    new_text: str
    old_markup: dict[str, Any] | None
    new_markup: dict[str, Any] | None


@dataclass
class Stats:
    """Counters for benchmarks and fault tests; times are time.monotonic() of successful sends."""

    requests: int = 0
    sent_messages: int = 0
    edited_messages: int = 0
    deleted_messages: int = 0
    rate_limited: int = 0
    forbidden: int = 0
    bad_requests: int = 0
    injected_faults: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    send_times: list[float] = field(default_factory=list)
    send_times_by_chat: dict[int, list[float]] = field(default_factory=dict)

    def record_send(self, chat_id: int) -> None:
        now = time.monotonic()
        self.sent_messages += 1
        self.send_times.append(now)
        self.send_times_by_chat.setdefault(chat_id, []).append(now)

    def max_in_window(self, window: float = 1.0, chat_id: int | None = None) -> int:
        """Most successful sends within any sliding window of ``window`` seconds."""
        times = self.send_times if chat_id is None else self.send_times_by_chat.get(chat_id, [])
        best = 0
        start = 0
        for end, moment in enumerate(times):
            while moment - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def sustained_rate(self) -> float:
        """Average sends per second between the first and the last successful send."""
        if len(self.send_times) < 2:
            return float(len(self.send_times))
        span = self.send_times[-1] - self.send_times[0]
        return (len(self.send_times) - 1) / span if span > 0 else float("inf")

    def per_second(self) -> list[int]:
        """Successful sends bucketed into whole seconds since the first one."""
        if not self.send_times:
            return []
        first = self.send_times[0]
        buckets = [0] * (int(self.send_times[-1] - first) + 1)
        for moment in self.send_times:
            buckets[int(moment - first)] += 1
        return buckets
