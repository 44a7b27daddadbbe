"""An in-process Telegram Bot API server for end-to-end tests of an unmodified aiogram bot.

The bot connects with ``TelegramAPIServer.from_base(emulator.base_url)``; tests act as users through plain
async methods (``send_message``, ``click``...) and inspect what the bot did (``messages``, ``callback_answers``...).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import mimetypes
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import urlsplit

from aiohttp import web

from .html_check import ParsedText
from .models import (
    ApiError,
    CallbackAnswer,
    EditRecord,
    FileRecord,
    PendingCallback,
    SentMessage,
    Stats,
    UserInfo,
    bad_request,
)
from .validation import (
    CALLBACK_ANSWER_LIMIT,
    check_commands,
    check_reply_markup,
    load_json,
    parse_text,
)

MB = 1024 * 1024
_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?")
# What getUpdates delivers when allowed_updates was never given (or given as []), per the Bot API docs.
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
_POLL_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"

Params = Mapping[str, Any]
Handler = Callable[[Params], Awaitable[Any]]


@dataclass
class _Fault:
    remaining: int
    status: int
    description: str | None
    retry_after: int | None
    drop: bool


@dataclass
class _Upload:
    content: bytes
    filename: str | None
    content_type: str | None


class _RateWindow:
    """Sliding window allowing ``count`` events per ``window`` seconds (so fractional rates work too)."""

    def __init__(self, per_second: float) -> None:
        if per_second <= 0:
            msg = "rate must be positive"
            raise ValueError(msg)
        self.count = max(1, math.floor(per_second))
        self.window = self.count / per_second
        self.events: deque[float] = deque()

    def retry_after(self, now: float) -> int | None:
        events = self.events
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.count:
            return max(1, math.ceil(events[0] + self.window - now))
        return None


class TelegramEmulator:
    """Telegram Bot API emulator; one instance serves one bot on 127.0.0.1 and a random port."""

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_username: str = "adresat_test_bot",
        bot_first_name: str = "Адресат",
        host: str = "127.0.0.1",
        port: int = 0,
        max_upload_size: int = 50 * MB,
        max_download_size: int = 20 * MB,
        callback_ttl: float = 15.0,
        webhook_timeout: float = 30.0,
        strict_html_entities: bool = True,
        require_known_chats: bool = False,
    ) -> None:
        """``token=None`` accepts any well-formed token; the bot id is its numeric part."""
        self.token = token
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.host = host
        self.port = port
        self.max_upload_size = max_upload_size
        self.max_download_size = max_download_size
        self.callback_ttl = callback_ttl
        self.webhook_timeout = webhook_timeout
        self.strict_html_entities = strict_html_entities
        self.require_known_chats = require_known_chats

        self._bot_id = int(token.split(":", 1)[0]) if token else 123456
        self._runner: web.AppRunner | None = None
        self._stopping = False
        self._updates_event = asyncio.Event()
        self._change_event = asyncio.Event()
        # Not part of reset(): a poller still waiting must not mistake a reset for a rival poller.
        self._poll_generation = 0
        # Update ids and callback ids keep growing across reset(): a bot that keeps polling with its
        # old offset would otherwise silently drop the "new" low-numbered updates.
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._methods: dict[str, Handler] = {
            "getme": self._get_me,
            "logout": self._ok_true,
            "close": self._ok_true,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendmessage": self._send_message_api,
            "senddocument": self._send_document_api,
            "sendphoto": self._send_photo_api,
            "sendmediagroup": self._send_media_group_api,
            "editmessagetext": self._edit_message_text,
            "editmessagecaption": self._edit_message_caption,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "deletemessages": self._delete_messages,
            "answercallbackquery": self._answer_callback_query,
            "sendchataction": self._send_chat_action,
            "getfile": self._get_file,
            "getchat": self._get_chat,
        }
        self._init_state()

    # ------------------------------------------------------------------ lifecycle

    def _init_state(self) -> None:
        self.stats = Stats()
        self.users: dict[int, UserInfo] = {}
        self.callback_answers: list[CallbackAnswer] = []
        self.edits: list[EditRecord] = []
        self.deleted: list[tuple[int, int]] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.recent_requests: deque[tuple[str, dict[str, Any]]] = deque(maxlen=100)
        self.webhook_url: str = ""
        self.webhook_secret: str = ""
        # Where webhook updates really go (the tests' stand-in for the reverse proxy in front of the bot's
        # instances): plain-HTTP base URLs on loopback, taken round-robin; the registered URL's path is kept.
        self.webhook_routes: list[str] = []
        self.webhook_posts = 0
        self.webhook_posts_by_route: Counter[str] = Counter()
        self.webhook_failures = 0
        self._webhook_turn = 0
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._chats: dict[int, dict[int, SentMessage]] = {}
        self._bot_messages: dict[int, list[SentMessage]] = {}
        self._consumed: dict[int, int] = {}
        self._next_message_id: dict[int, int] = {}
        self._updates: deque[tuple[int, str, dict[str, Any]]] = deque()
        self._allowed_updates: frozenset[str] | None = None
        self._callbacks: dict[str, PendingCallback] = {}
        self._files: dict[str, FileRecord] = {}
        self._files_by_path: dict[str, FileRecord] = {}
        self._blocked: set[int] = set()
        self._deactivated: set[int] = set()
        self._faults: dict[str, deque[_Fault]] = {}
        self._global_rate: _RateWindow | None = None
        self._chat_rate_per_second: float | None = None
        self._chat_rates: dict[int, _RateWindow] = {}

    def reset(self) -> None:
        """Forget all chats, files, users, faults and counters; the server keeps running."""
        self._init_state()
        self._wake_pollers()
        self._changed()

    async def start(self) -> None:
        self._stopping = False
        app = web.Application(client_max_size=self.max_upload_size + MB)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # handler_cancellation: a long poll whose client went away must not keep the server busy.
        runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0, handler_cancellation=True
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]
        self._webhook_task: asyncio.Task[None] | None = asyncio.create_task(
            self._push_webhooks(), name="emulator-webhook"
        )

    async def stop(self) -> None:
        self._stopping = True
        self._wake_pollers()
        task = getattr(self, "_webhook_task", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def bot_id(self) -> int:
        """Numeric part of the token (the configured one, else the last one seen)."""
        return self._bot_id

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self._bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # ------------------------------------------------------------------ HTTP plumbing

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return self._download(path[len("/file/bot") :])
        if not path.startswith("/bot"):
            return _error_response(ApiError(404, "Not Found"))
        token, _, method = path[4:].partition("/")
        if not _TOKEN_RE.fullmatch(token) or (self.token is not None and token != self.token):
            return _error_response(ApiError(401, "Unauthorized"))
        self._bot_id = int(token.split(":", 1)[0])
        stats = self.stats
        stats.requests += 1
        key = method.lower()
        handler = self._methods.get(key)
        if handler is None:
            return _error_response(ApiError(404, "Not Found"))
        stats.calls[method] += 1
        fault = self._take_fault(key)
        if fault is not None:
            stats.injected_faults += 1
            if fault.drop:
                if request.transport is not None:
                    request.transport.abort()
                # The client already saw the connection die; this response is never written.
                return web.Response(status=500)
            return _error_response(_fault_error(fault))
        try:
            params = await self._read_params(request)
            self.recent_requests.append((method, {k: _summary(v) for k, v in params.items()}))
            result = await handler(params)
        except ApiError as exc:
            if exc.status == 400:
                stats.bad_requests += 1
            elif exc.status == 403:
                stats.forbidden += 1
            elif exc.status == 429:
                stats.rate_limited += 1
            return _error_response(exc)
        except web.HTTPRequestEntityTooLarge:
            return _error_response(ApiError(413, "Request Entity Too Large"))
        return web.Response(body=json.dumps({"ok": True, "result": result}), content_type="application/json")

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.body_exists:
            return params
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if isinstance(body, dict):
                params.update(body)
            return params
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = _Upload(value.file.read(), value.filename, value.content_type)
            elif isinstance(value, bytes | bytearray):
                params[key] = _Upload(bytes(value), None, None)
            else:
                params[key] = value
        return params

    def _download(self, rest: str) -> web.Response:
        token, _, file_path = rest.partition("/")
        if not _TOKEN_RE.fullmatch(token) or (self.token is not None and token != self.token):
            return _error_response(ApiError(401, "Unauthorized"))
        record = self._files_by_path.get(file_path)
        if record is None:
            return _error_response(ApiError(404, "Not Found"))
        return web.Response(body=record.content, content_type=record.mime_type or "application/octet-stream")

    def _take_fault(self, method: str) -> _Fault | None:
        for key in (method, "*"):
            queue = self._faults.get(key)
            if queue:
                fault = queue[0]
                fault.remaining -= 1
                if fault.remaining <= 0:
                    queue.popleft()
                return fault
        return None

    def _changed(self) -> None:
        """Wake every wait_until(); a fresh Event per change keeps this O(1) without a lock."""
        event = self._change_event
        self._change_event = asyncio.Event()
        event.set()

    def _wake_pollers(self) -> None:
        event = self._updates_event
        self._updates_event = asyncio.Event()
        event.set()

    # ------------------------------------------------------------------ parameter helpers

    def _chat_id(self, params: Params, name: str = "chat_id") -> int:
        value = params.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, str) and value.startswith("@"):
            for user in self.users.values():
                if user.username and user.username.lower() == value[1:].lower():
                    return user.id
            raise bad_request("chat not found")
        try:
            chat_id = int(value)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        if self.require_known_chats and chat_id not in self.users and chat_id not in self._chats:
            raise bad_request("chat not found")
        return chat_id

    @staticmethod
    def _int(params: Params, name: str, default: int | None = None) -> int | None:
        value = params.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    @staticmethod
    def _bool(params: Params, name: str) -> bool:
        value = params.get(name)
        if isinstance(value, str):
            return value.lower() in {"true", "1"}
        return bool(value)

    @staticmethod
    def _str(params: Params, name: str) -> str | None:
        value = params.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else str(value)

    def _message_id(self, params: Params) -> int:
        message_id = self._int(params, "message_id")
        if message_id is None:
            if params.get("inline_message_id"):
                # Inline-mode messages are not emulated.
                raise bad_request("MESSAGE_ID_INVALID")
            raise bad_request("message identifier is not specified")
        return message_id

    def _check_chat_writable(self, chat_id: int) -> None:
        if chat_id in self._deactivated:
            raise ApiError(403, "Forbidden: user is deactivated")
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def _check_rate(self, chat_id: int) -> None:
        if self._global_rate is None and self._chat_rate_per_second is None:
            return
        now = time.monotonic()
        chat_window: _RateWindow | None = None
        if self._chat_rate_per_second is not None:
            chat_window = self._chat_rates.get(chat_id)
            if chat_window is None:
                chat_window = self._chat_rates[chat_id] = _RateWindow(self._chat_rate_per_second)
        for window in (self._global_rate, chat_window):
            if window is not None and (retry := window.retry_after(now)) is not None:
                raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        for window in (self._global_rate, chat_window):
            if window is not None:
                window.events.append(now)

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _chat_api(self, chat_id: int) -> dict[str, Any]:
        user = self.users.get(chat_id)
        if user is not None:
            return user.chat()
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}

    def message_api(self, message: SentMessage, *, with_reply: bool = True) -> dict[str, Any]:
        """The Message object as the Bot API would serialise it."""
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": self._chat_api(message.chat_id),
        }
        if message.from_bot:
            data["from"] = self.bot_user()
        elif message.sender is not None:
            data["from"] = message.sender.to_api()
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.kind == "text":
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        else:
            assert message.file is not None
            if message.kind == "document":
                data["document"] = message.file.document_api()
            else:
                data["photo"] = message.file.photo_api()
            if message.text:
                data["caption"] = message.text
                if message.entities:
                    data["caption_entities"] = message.entities
        if message.reply_markup is not None:
            data["reply_markup"] = message.reply_markup
        if with_reply and message.reply_to_message_id is not None:
            target = self._chats.get(message.chat_id, {}).get(message.reply_to_message_id)
            if target is not None and not target.deleted:
                data["reply_to_message"] = self.message_api(target, with_reply=False)
        return data

    # ------------------------------------------------------------------ Bot API methods

    async def _ok_true(self, params: Params) -> bool:
        return True

    async def _get_me(self, params: Params) -> dict[str, Any]:
        return self.bot_user()

    async def _get_updates(self, params: Params) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        offset = self._int(params, "offset", 0) or 0
        limit = min(max(self._int(params, "limit", 100) or 100, 1), 100)
        timeout = max(0, self._int(params, "timeout", 0) or 0)
        allowed = params.get("allowed_updates")
        if allowed is not None and allowed != "":
            kinds = load_json(allowed, "allowed_updates")
            self._allowed_updates = frozenset(kinds) if kinds else None
        self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_pollers()  # a poller already waiting is now superseded and gets a 409
        deadline = time.monotonic() + timeout
        while True:
            batch = self._collect(limit)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._stopping:
                return batch
            event = self._updates_event
            try:
                async with asyncio.timeout(remaining):
                    await event.wait()
            except TimeoutError:
                return []
            if self._poll_generation != generation:
                raise ApiError(409, _POLL_CONFLICT)
            if self.webhook_url:
                raise ApiError(409, _WEBHOOK_CONFLICT)

    def _confirm(self, offset: int) -> None:
        updates = self._updates
        if offset > 0:
            while updates and updates[0][0] < offset:
                updates.popleft()
        elif offset < 0:
            while len(updates) > -offset:
                updates.popleft()

    def _collect(self, limit: int) -> list[dict[str, Any]]:
        allowed = self._is_allowed
        batch: list[dict[str, Any]] = []
        dropped = False
        for update_id, kind, payload in self._updates:
            if allowed(kind):
                batch.append({"update_id": update_id, kind: payload})
                if len(batch) >= limit:
                    break
            else:
                dropped = True
        if dropped:
            # Telegram never delivers filtered-out updates; forget them so they don't resurface later.
            self._updates = deque(item for item in self._updates if allowed(item[1]))
        return batch

    def _is_allowed(self, kind: str) -> bool:
        if self._allowed_updates is None:
            return kind not in _DEFAULT_EXCLUDED_UPDATES
        return kind in self._allowed_updates

    async def _set_webhook(self, params: Params) -> bool:
        url = self._str(params, "url") or ""
        if url and not url.lower().startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if self._bool(params, "drop_pending_updates"):
            self._updates.clear()
        self.webhook_url = url
        self.webhook_secret = self._str(params, "secret_token") or ""
        allowed = params.get("allowed_updates")
        if allowed is not None and allowed != "":
            kinds = load_json(allowed, "allowed_updates")
            self._allowed_updates = frozenset(kinds) if kinds else None
        self._wake_pollers()
        return True

    async def _delete_webhook(self, params: Params) -> bool:
        if self._bool(params, "drop_pending_updates"):
            self._updates.clear()
        self.webhook_url = ""
        return True

    async def _get_webhook_info(self, params: Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url:
            info["max_connections"] = 40
        return info

    def route_webhook(self, *base_urls: str) -> None:
        """Deliver webhook updates to these servers in turn (as a load balancer in front of several
        instances would), keeping the registered URL's path; an update a server fails is tried on the next."""
        self.webhook_routes = [url.rstrip("/") for url in base_urls]
        self._wake_pollers()

    async def _push_webhooks(self) -> None:
        """Telegram's side of webhook mode: each pending update is POSTed (with the secret header) until a
        server answers 2xx; a failed or timed-out request is retried, as Telegram does, on the next route."""
        import aiohttp

        timeout = aiohttp.ClientTimeout(total=self.webhook_timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not self._stopping:
                event = self._updates_event
                item = self._next_webhook_update()
                if item is None:
                    await event.wait()
                    continue
                update_id, kind, payload = item
                route = self.webhook_routes[self._webhook_turn % len(self.webhook_routes)]
                self._webhook_turn += 1
                path = urlsplit(self.webhook_url).path or "/"
                headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret} if self.webhook_secret else {}
                self.webhook_posts += 1
                self.webhook_posts_by_route[route] += 1
                try:
                    async with session.post(
                        route + path, json={"update_id": update_id, kind: payload}, headers=headers
                    ) as response:
                        delivered = 200 <= response.status < 300
                except (aiohttp.ClientError, TimeoutError):
                    delivered = False
                if delivered:
                    self._confirm(update_id + 1)
                    self._changed()
                else:
                    self.webhook_failures += 1
                    await asyncio.sleep(0.05)

    def _next_webhook_update(self) -> tuple[int, str, dict[str, Any]] | None:
        if not self.webhook_url or not self.webhook_routes:
            return None
        batch = self._collect(1)
        if not batch:
            return None
        update = batch[0]
        update_id = update.pop("update_id")
        ((kind, payload),) = update.items()
        return update_id, kind, payload

    def _commands_key(self, params: Params) -> tuple[str, str]:
        scope = load_json(params.get("scope"), "scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), self._str(params, "language_code") or ""

    async def _set_my_commands(self, params: Params) -> bool:
        commands = check_commands(load_json(params.get("commands"), "commands"))
        key = self._commands_key(params)
        if commands:
            self.commands[key] = commands
        else:
            self.commands.pop(key, None)
        self._changed()  # a test may be waiting for a chat's menu
        return True

    async def _get_my_commands(self, params: Params) -> list[dict[str, str]]:
        return self.commands.get(self._commands_key(params), [])

    async def _delete_my_commands(self, params: Params) -> bool:
        self.commands.pop(self._commands_key(params), None)
        self._changed()
        return True

    def _reply_to(self, params: Params, chat_id: int) -> int | None:
        reply = load_json(params.get("reply_parameters"), "reply parameters")
        message_id = reply.get("message_id") if isinstance(reply, dict) else self._int(params, "reply_to_message_id")
        if message_id is None:
            return None
        target = self._chats.get(chat_id, {}).get(int(message_id))
        if target is None or target.deleted:
            allow = isinstance(reply, dict) and reply.get("allow_sending_without_reply")
            if allow or self._bool(params, "allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return int(message_id)

    def _store_bot_message(
        self,
        chat_id: int,
        kind: Literal["text", "document", "photo"],
        raw: str,
        parse_mode: str | None,
        parsed: ParsedText,
        params: Params,
        file: FileRecord | None = None,
    ) -> dict[str, Any]:
        inline, other = check_reply_markup(load_json(params.get("reply_markup"), "reply keyboard markup"))
        reply_to = self._reply_to(params, chat_id)
        # Only now, with the request known to be valid, does it count against the flood limits.
        self._check_rate(chat_id)
        self._check_chat_writable(chat_id)
        message = SentMessage(
            chat_id=chat_id,
            message_id=self._new_message_id(chat_id),
            from_bot=True,
            date=int(time.time()),
            kind=kind,
            text=parsed.text,
            html=raw,
            parse_mode=parse_mode,
            entities=parsed.entities,
            reply_markup=inline,
            reply_keyboard=other,
            file=file,
            reply_to_message_id=reply_to,
        )
        self._chats.setdefault(chat_id, {})[message.message_id] = message
        self._bot_messages.setdefault(chat_id, []).append(message)
        self.stats.record_send(chat_id)
        self._changed()
        return self.message_api(message)

    async def _send_message_api(self, params: Params) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        text = self._str(params, "text")
        parse_mode = self._str(params, "parse_mode")
        entities = load_json(params.get("entities"), "entities")
        parsed = parse_text(text, parse_mode, entities, caption=False, strict_entities=self.strict_html_entities)
        return self._store_bot_message(chat_id, "text", text or "", parse_mode, parsed, params)

    async def _send_document_api(self, params: Params) -> dict[str, Any]:
        return await self._send_media(params, "document")

    async def _send_photo_api(self, params: Params) -> dict[str, Any]:
        return await self._send_media(params, "photo")

    async def _send_media(self, params: Params, kind: Literal["document", "photo"]) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        record = self._media_param(params, kind)
        caption = self._str(params, "caption")
        parse_mode = self._str(params, "parse_mode")
        entities = load_json(params.get("caption_entities"), "caption entities")
        parsed = parse_text(caption, parse_mode, entities, caption=True, strict_entities=self.strict_html_entities)
        result = self._store_bot_message(chat_id, kind, caption or "", parse_mode, parsed, params, record)
        self._register_file(record)
        return result

    async def _send_media_group_api(self, params: Params) -> list[dict[str, Any]]:
        """An album: 2–10 photos, or 2–10 documents (Telegram does not mix documents with photos)."""
        media = load_json(params.get("media"), "media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media in the album: must be 2-10")
        kinds = {item.get("type") for item in media if isinstance(item, dict)}
        if not kinds or not kinds <= {"photo", "document"} or len(kinds) > 1:
            raise bad_request("documents can be only grouped in an album with messages of the same type")
        sent = []
        for item in media:
            kind: Literal["document", "photo"] = "photo" if item["type"] == "photo" else "document"
            single: dict[str, Any] = {k: v for k, v in params.items() if k not in {"media", "reply_markup"}}
            single[kind] = item.get("media")
            for key in ("caption", "parse_mode"):
                if key in item:
                    single[key] = item[key]
                else:
                    single.pop(key, None)
            sent.append(await self._send_media(single, kind))
        return sent

    def _media_param(self, params: Params, kind: Literal["document", "photo"]) -> FileRecord:
        value = params.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if isinstance(value, _Upload):
            if len(value.content) > self.max_upload_size:
                raise ApiError(413, "Request Entity Too Large")
            if not value.content:
                raise bad_request("file must be non-empty")
            name = value.filename or ("photo.jpg" if kind == "photo" else "document")
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(name)[0] or mime
            return self._new_file(kind, value.content, name, mime, uploaded_by_bot=True)
        if isinstance(value, str) and value:
            known = self._files.get(value)
            if known is None:
                if value.lower().startswith(("http://", "https://")):
                    raise bad_request("failed to get HTTP URL content")
                raise bad_request("wrong file identifier/HTTP URL specified")
            if known.kind != kind:
                raise bad_request(f"can't use file of type {known.kind.capitalize()} as {kind.capitalize()}")
            return known
        raise bad_request(f"there is no {kind} in the request")

    def _new_file(
        self,
        kind: Literal["document", "photo"],
        content: bytes,
        name: str | None,
        mime: str | None,
        *,
        uploaded_by_bot: bool,
        size: int | None = None,
        width: int = 1280,
        height: int = 960,
    ) -> FileRecord:
        number = next(self._file_ids)
        prefix = "BQACAgIAAxkBAA" if kind == "document" else "AgACAgIAAxkBAA"
        ext = mimetypes.guess_extension(mime) if mime else None
        if name and "." in name:
            ext = "." + name.rsplit(".", 1)[1]
        folder = "documents" if kind == "document" else "photos"
        return FileRecord(
            file_id=f"{prefix}{number:06d}{secrets.token_urlsafe(12)}",
            file_unique_id=f"AgAD{number:06d}",
            file_path=f"{folder}/file_{number}{ext or ('.jpg' if kind == 'photo' else '')}",
            kind=kind,
            content=content,
            size=len(content) if size is None else size,
            file_name=name if kind == "document" else None,
            mime_type=mime if kind == "document" else None,
            width=width,
            height=height,
            uploaded_by_bot=uploaded_by_bot,
        )

    def _register_file(self, record: FileRecord) -> None:
        self._files[record.file_id] = record
        self._files_by_path[record.file_path] = record

    def _editable(self, params: Params, *, deleting: bool = False) -> SentMessage:
        chat_id = self._chat_id(params)
        message_id = self._message_id(params)
        message = self._chats.get(chat_id, {}).get(message_id)
        if message is None or message.deleted:
            raise bad_request("message to delete not found" if deleting else "message to edit not found")
        if not deleting:
            if not message.from_bot:
                raise bad_request("message can't be edited")
            self._check_rate(chat_id)
            self._check_chat_writable(chat_id)
        return message

    def _apply_edit(
        self,
        message: SentMessage,
        method: str,
        parsed: ParsedText | None,
        raw: str | None,
        parse_mode: str | None,
        markup: dict[str, Any] | None,
    ) -> dict[str, Any]:
        new_text = parsed.text if parsed is not None else message.text
        new_entities = parsed.entities if parsed is not None else message.entities
        if new_text == message.text and new_entities == message.entities and markup == message.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        self.edits.append(
            EditRecord(
                message.chat_id, message.message_id, method, message.text, new_text, message.reply_markup, markup
            )
        )
        if parsed is not None and raw is not None:
            message.text, message.entities, message.html, message.parse_mode = new_text, new_entities, raw, parse_mode
        message.reply_markup = markup
        message.edit_date = int(time.time())
        self.stats.edited_messages += 1
        self._changed()
        return self.message_api(message)

    async def _edit_message_text(self, params: Params) -> dict[str, Any]:
        text = self._str(params, "text")
        parse_mode = self._str(params, "parse_mode")
        entities = load_json(params.get("entities"), "entities")
        parsed = parse_text(text, parse_mode, entities, caption=False, strict_entities=self.strict_html_entities)
        inline, _ = check_reply_markup(load_json(params.get("reply_markup"), "reply keyboard markup"))
        message = self._editable(params)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        return self._apply_edit(message, "editMessageText", parsed, text or "", parse_mode, inline)

    async def _edit_message_caption(self, params: Params) -> dict[str, Any]:
        caption = self._str(params, "caption")
        parse_mode = self._str(params, "parse_mode")
        entities = load_json(params.get("caption_entities"), "caption entities")
        parsed = parse_text(caption, parse_mode, entities, caption=True, strict_entities=self.strict_html_entities)
        inline, _ = check_reply_markup(load_json(params.get("reply_markup"), "reply keyboard markup"))
        message = self._editable(params)
        if message.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        return self._apply_edit(message, "editMessageCaption", parsed, caption or "", parse_mode, inline)

    async def _edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        inline, _ = check_reply_markup(load_json(params.get("reply_markup"), "reply keyboard markup"))
        message = self._editable(params)
        return self._apply_edit(message, "editMessageReplyMarkup", None, None, None, inline)

    async def _delete_message(self, params: Params) -> bool:
        message = self._editable(params, deleting=True)
        self._mark_deleted(message)
        return True

    async def _delete_messages(self, params: Params) -> bool:
        chat_id = self._chat_id(params)
        ids = load_json(params.get("message_ids"), "message identifiers")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message identifiers are not specified")
        for message_id in ids:
            message = self._chats.get(chat_id, {}).get(int(message_id))
            if message is not None and not message.deleted:
                self._mark_deleted(message)
        return True

    def _mark_deleted(self, message: SentMessage) -> None:
        message.deleted = True
        self.deleted.append((message.chat_id, message.message_id))
        self.stats.deleted_messages += 1
        self._changed()

    async def _answer_callback_query(self, params: Params) -> bool:
        query_id = self._str(params, "callback_query_id") or ""
        text = self._str(params, "text")
        if text is not None and len(text) > CALLBACK_ANSWER_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        pending = self._callbacks.get(query_id)
        if pending is not None and not pending.expired and time.monotonic() - pending.created > self.callback_ttl:
            pending.expired = True
        if pending is None or pending.answered or pending.expired:
            raise bad_request(_QUERY_TOO_OLD)
        pending.answered = True
        self.callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id,
                data=pending.data,
                text=text,
                show_alert=self._bool(params, "show_alert"),
                url=self._str(params, "url"),
                cache_time=self._int(params, "cache_time", 0) or 0,
            )
        )
        self._changed()
        return True

    async def _send_chat_action(self, params: Params) -> bool:
        chat_id = self._chat_id(params)
        action = self._str(params, "action") or ""
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._check_chat_writable(chat_id)
        self.chat_actions.append((chat_id, action))
        return True

    async def _get_file(self, params: Params) -> dict[str, Any]:
        file_id = self._str(params, "file_id") or ""
        record = self._files.get(file_id)
        if record is None:
            raise bad_request("invalid file_id")
        if record.size > self.max_download_size:
            raise bad_request("file is too big")
        return {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "file_size": record.size,
            "file_path": record.file_path,
        }

    async def _get_chat(self, params: Params) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        if chat_id not in self.users and chat_id not in self._chats:
            raise bad_request("chat not found")
        chat = self._chat_api(chat_id)
        chat.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return chat

    # ------------------------------------------------------------------ acting as users

    def register_user(
        self,
        user_id: int,
        first_name: str,
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = "ru",
    ) -> UserInfo:
        """Declare a user (their private chat id equals ``user_id``); re-registering updates the profile."""
        user = UserInfo(user_id, first_name, username, last_name, language_code)
        self.users[user_id] = user
        return user

    def _user(self, user_id: int, first_name: str | None, username: str | None) -> UserInfo:
        user = self.users.get(user_id)
        if user is None:
            user = self.register_user(user_id, first_name or f"User{user_id}", username)
        else:
            if first_name is not None:
                user.first_name = first_name
            if username is not None:
                user.username = username
        # Writing to a bot one has blocked means unblocking it first, as in the Telegram apps.
        self._blocked.discard(user_id)
        return user

    def push_update(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue a raw update of any type (e.g. "my_chat_member"); returns its update_id."""
        update_id = next(self._update_ids)
        self._updates.append((update_id, kind, payload))
        self._wake_pollers()
        return update_id

    def _user_message(
        self,
        user: UserInfo,
        kind: Literal["text", "document", "photo"],
        text: str,
        entities: list[dict[str, Any]],
        file: FileRecord | None,
        reply_to: int | None,
    ) -> SentMessage:
        message = SentMessage(
            chat_id=user.id,
            message_id=self._new_message_id(user.id),
            from_bot=False,
            date=int(time.time()),
            kind=kind,
            text=text,
            html=text,
            entities=entities,
            file=file,
            reply_to_message_id=reply_to,
            sender=user,
        )
        self._chats.setdefault(user.id, {})[message.message_id] = message
        self.push_update("message", self.message_api(message))
        return message

    async def send_message(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        username: str | None = None,
        reply_to: int | None = None,
    ) -> SentMessage:
        """The user writes ``text`` to the bot; a leading /command gets a bot_command entity."""
        user = self._user(user_id, first_name, username)
        entities: list[dict[str, Any]] = []
        if match := _COMMAND_RE.match(text):
            entities.append({"type": "bot_command", "offset": 0, "length": len(match.group())})
        return self._user_message(user, "text", text, entities, None, reply_to)

    async def send_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        *,
        caption: str | None = None,
        mime_type: str | None = None,
        size: int | None = None,
        first_name: str | None = None,
        username: str | None = None,
    ) -> SentMessage:
        """The user sends a file; ``size`` overrides the reported size (e.g. 25 MB) without holding the bytes."""
        user = self._user(user_id, first_name, username)
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        record = self._new_file("document", content, filename, mime, uploaded_by_bot=False, size=size)
        self._register_file(record)
        return self._user_message(user, "document", caption or "", [], record, None)

    async def send_photo(
        self,
        user_id: int,
        content: bytes,
        *,
        caption: str | None = None,
        width: int = 1280,
        height: int = 960,
        size: int | None = None,
        first_name: str | None = None,
        username: str | None = None,
    ) -> SentMessage:
        """The user sends a photo (one PhotoSize; the bytes are not checked to be an image)."""
        user = self._user(user_id, first_name, username)
        record = self._new_file(
            "photo", content, None, "image/jpeg", uploaded_by_bot=False, size=size, width=width, height=height
        )
        self._register_file(record)
        return self._user_message(user, "photo", caption or "", [], record, None)

    async def click(self, user_id: int, message_id: int, callback_data: str | None) -> str:
        """The user presses a button carrying ``callback_data`` (not checked against the keyboard,
        so forged data can be sent); returns the callback query id."""
        message = self._chats.get(user_id, {}).get(message_id)
        if message is None or message.deleted:
            msg = f"chat {user_id} has no message {message_id} to click on"
            raise LookupError(msg)
        user = self._user(user_id, None, None)
        query_id = str(4_000_000_000_000_000 + next(self._callback_ids))
        payload: dict[str, Any] = {
            "id": query_id,
            "from": user.to_api(),
            "message": self.message_api(message),
            "chat_instance": f"-{7_000_000_000 + user_id}",
        }
        if callback_data is not None:
            payload["data"] = callback_data
        self._callbacks[query_id] = PendingCallback(
            query_id, user_id, user_id, message_id, callback_data, time.monotonic()
        )
        self.push_update("callback_query", payload)
        return query_id

    async def click_button(self, user_id: int, message: SentMessage | int, text: str) -> str:
        """Press the inline button with this visible text on the message's current keyboard."""
        message_id = message if isinstance(message, int) else message.message_id
        current = self._chats.get(user_id, {}).get(message_id)
        if current is None:
            msg = f"chat {user_id} has no message {message_id}"
            raise LookupError(msg)
        button = current.find_button(text)
        if button.callback_data is None:
            msg = f"button {text!r} is not a callback button: {button.raw}"
            raise AssertionError(msg)
        return await self.click(user_id, message_id, button.callback_data)

    # ------------------------------------------------------------------ faults

    def block(self, chat_id: int, *, notify: bool = False) -> None:
        """The user blocks the bot: sends/edits answer 403; ``notify`` also queues a my_chat_member update."""
        self._blocked.add(chat_id)
        if notify:
            self._push_member_update(chat_id, "member", "kicked")

    def unblock(self, chat_id: int, *, notify: bool = False) -> None:
        self._blocked.discard(chat_id)
        if notify:
            self._push_member_update(chat_id, "kicked", "member")

    def _push_member_update(self, chat_id: int, old: str, new: str) -> None:
        user = self.users.get(chat_id) or self.register_user(chat_id, f"User{chat_id}")
        bot = self.bot_user()
        self.push_update(
            "my_chat_member",
            {
                "chat": user.chat(),
                "from": user.to_api(),
                "date": int(time.time()),
                "old_chat_member": {"status": old, "user": bot},
                "new_chat_member": {"status": new, "user": bot, **({"until_date": 0} if new == "kicked" else {})},
            },
        )

    def deactivate(self, chat_id: int) -> None:
        """The account is deleted: sends/edits answer 403 "user is deactivated"."""
        self._deactivated.add(chat_id)

    def set_rate_limit(self, global_per_second: float | None = None, per_chat_per_second: float | None = None) -> None:
        """Flood control over sends and edits in sliding windows; None switches a limit off."""
        self._global_rate = _RateWindow(global_per_second) if global_per_second is not None else None
        self._chat_rate_per_second = per_chat_per_second
        self._chat_rates.clear()

    def fail_next(
        self,
        method: str = "*",
        times: int = 1,
        *,
        status: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        drop: bool = False,
    ) -> None:
        """Make the next ``times`` calls of ``method`` ("*" = any) fail with ``status`` or a dropped connection."""
        fault = _Fault(times, status, description, retry_after, drop)
        self._faults.setdefault(method.lower(), deque()).append(fault)

    # ------------------------------------------------------------------ inspection

    def messages(self, chat_id: int, *, include_deleted: bool = True) -> list[SentMessage]:
        """The bot's messages to this chat, oldest first (live objects: edits show up in them)."""
        sent = self._bot_messages.get(chat_id, [])
        return list(sent) if include_deleted else [m for m in sent if not m.deleted]

    def user_messages(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self._chats.get(chat_id, {}).values() if not m.from_bot]

    def last_message(self, chat_id: int) -> SentMessage:
        sent = self._bot_messages.get(chat_id)
        if not sent:
            msg = f"the bot has sent nothing to chat {chat_id}"
            raise AssertionError(msg)
        return sent[-1]

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        found = self._chats.get(chat_id, {}).get(message_id)
        if found is None:
            msg = f"no message {message_id} in chat {chat_id}"
            raise LookupError(msg)
        return found

    def chats(self) -> list[int]:
        """Chats the bot has sent at least one message to."""
        return list(self._bot_messages)

    def file(self, file_id: str) -> FileRecord:
        return self._files[file_id]

    def bot_files(self) -> list[FileRecord]:
        return [f for f in self._files.values() if f.uploaded_by_bot]

    def pending_updates(self) -> int:
        return len(self._updates)

    def abandon_callback(self, query_id: str) -> None:
        """The bot process died while handling this query (a crash test): nobody can answer it now."""
        self._callbacks.pop(query_id, None)

    def unanswered_callbacks(self) -> list[PendingCallback]:
        return [cb for cb in self._callbacks.values() if not cb.answered]

    def assert_all_callbacks_answered(self) -> None:
        left = self.unanswered_callbacks()
        if left:
            details = ", ".join(f"{cb.id} (chat {cb.chat_id}, data {cb.data!r})" for cb in left)
            msg = f"{len(left)} callback queries were never answered: {details}"
            raise AssertionError(msg)

    def expire_callbacks(self) -> None:
        """Make every pending query too old to answer, as if the bot had been slow."""
        for cb in self._callbacks.values():
            cb.expired = True

    # ------------------------------------------------------------------ waiting
    # A `timeout` argument (ASYNC109) keeps test code short: `await emulator.wait_for(1, 2, timeout=3)`.

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
        what: str = "condition",
    ) -> None:
        """Wait for a state change that makes ``predicate()`` true; AssertionError on timeout."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await self._change_event.wait()
        except TimeoutError:
            msg = f"timed out after {timeout}s waiting for {what}"
            raise AssertionError(msg) from None

    async def wait_for(
        self,
        chat: int | Callable[[], bool],
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[SentMessage]:
        """Next ``count`` bot messages to ``chat`` that no earlier wait_for returned (an inbox cursor, so a
        reply that arrived before the call still counts). With a predicate, waits for it and returns []."""
        if callable(chat):
            await self.wait_until(chat, timeout)
            return []
        chat_id = chat

        def ready() -> bool:
            return len(self._bot_messages.get(chat_id, [])) - self._consumed.get(chat_id, 0) >= count

        try:
            await self.wait_until(ready, timeout)
        except AssertionError:
            got = self._bot_messages.get(chat_id, [])[self._consumed.get(chat_id, 0) :]
            msg = (
                f"timed out after {timeout}s waiting for {count} new message(s) to chat {chat_id}; "
                f"got {len(got)}: {[m.text[:80] for m in got]}"
            )
            raise AssertionError(msg) from None
        start = self._consumed.get(chat_id, 0)
        self._consumed[chat_id] = start + count
        return self._bot_messages[chat_id][start : start + count]

    def unread(self, chat_id: int) -> int:
        """How many bot messages to this chat no wait_for has returned yet."""
        return len(self._bot_messages.get(chat_id, [])) - self._consumed.get(chat_id, 0)

    def skip_pending(self, chat_id: int | None = None) -> None:
        """Move the wait_for cursor past everything already sent (to one chat or all)."""
        for cid in [chat_id] if chat_id is not None else list(self._bot_messages):
            self._consumed[cid] = len(self._bot_messages.get(cid, []))

    async def wait_callback_answer(self, query_id: str, timeout: float = 5.0) -> CallbackAnswer:  # noqa: ASYNC109
        def answered() -> bool:
            return any(a.callback_query_id == query_id for a in self.callback_answers)

        await self.wait_until(answered, timeout, f"an answer to callback query {query_id}")
        return next(a for a in self.callback_answers if a.callback_query_id == query_id)


def _error_response(error: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": error.status, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return web.Response(status=error.status, body=json.dumps(body), content_type="application/json")


def _fault_error(fault: _Fault) -> ApiError:
    if fault.status == 429:
        retry = fault.retry_after or 1
        return ApiError(429, fault.description or f"Too Many Requests: retry after {retry}", {"retry_after": retry})
    try:
        phrase = HTTPStatus(fault.status).phrase
    except ValueError:
        phrase = "Error"
    return ApiError(fault.status, fault.description or phrase)


def _summary(value: Any) -> Any:
    if isinstance(value, _Upload):
        return f"<file {value.filename!r}, {len(value.content)} bytes>"
    return value
