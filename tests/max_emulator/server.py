"""An in-process MAX Bot API server for end-to-end tests of the bot's MAX transport.

Written from MAX's public description of the Bot API (the OpenAPI schema in
github.com/max-messenger-bot/max-bot-api-schemas and dev.max.ru/docs-api): REST over JSON, the token in the
`Authorization` header, errors as {"code", "message"}. It serves what the bot uses: GET /me, POST/PUT/DELETE
/messages with inline keyboards, POST /answers, POST /uploads and the upload URL, GET /updates (long polling
with a marker), GET/POST/DELETE /subscriptions (webhooks, each POST carrying `X-Max-Bot-Api-Secret`).
MAX's rules where they matter are kept: the limits in `models`, 429 with Retry-After past the bot's request
rate, 403 for a user who stopped the bot or never opened the dialog, 400 for a token nobody uploaded.

Tests act as users through plain methods (`press_start`, `send_text`, `send_file`, `click_button`) and look at what
the bot did (`wait_for`, `messages_to`, `callbacks`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from .models import (
    ATTACHMENT_TYPES,
    BUTTON_TEXT_LIMIT,
    BUTTON_TYPES,
    CALLBACK_PAYLOAD_LIMIT,
    KEYBOARD_BUTTONS,
    KEYBOARD_ROW_BUTTONS,
    KEYBOARD_ROWS,
    KEYBOARD_WIDE_ROW_BUTTONS,
    LINK_LIMIT,
    START_PAYLOAD_LIMIT,
    TEXT_LIMIT,
    UPLOAD_TYPES,
    WIDE_BUTTONS,
    ApiError,
    BotMessage,
    CallbackRecord,
    MaxUser,
    Stats,
    Upload,
    bad_request,
)

TOKEN = "max-test-token"
SECRET_HEADER = "X-Max-Bot-Api-Secret"


class _RateWindow:
    """At most `per_second` requests in any one-second window (MAX: about 30 per bot)."""

    def __init__(self, per_second: float) -> None:
        self.count = max(1, math.floor(per_second))
        self.window = self.count / per_second
        self.events: deque[float] = deque()

    def retry_after(self, now: float) -> int | None:
        while self.events and self.events[0] <= now - self.window:
            self.events.popleft()
        if len(self.events) >= self.count:
            return max(1, math.ceil(self.events[0] + self.window - now))
        self.events.append(now)
        return None


class MaxEmulator:
    """MAX Bot API emulator: one bot, on 127.0.0.1 and a random port."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        bot_id: int = 900_001,
        bot_username: str = "adresat_bot",
        host: str = "127.0.0.1",
        rate_per_second: float | None = None,
        require_started: bool = True,
        processing_seconds: float = 0.0,
    ) -> None:
        self.token = token
        # A file uploaded less than this ago is still being processed: a message carrying it answers
        # 400 attachment.not.ready, as MAX does ("pause after the upload, retry with a growing interval").
        self.processing_seconds = processing_seconds
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.host = host
        self.port = 0
        self.require_started = require_started
        self._rate = _RateWindow(rate_per_second) if rate_per_second else None
        self._runner: web.AppRunner | None = None
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self.stats = Stats()
        self.users: dict[int, MaxUser] = {}
        self.messages: list[BotMessage] = []
        self.by_mid: dict[str, BotMessage] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.uploads: dict[str, Upload] = {}
        self._pending_uploads: dict[str, str] = {}  # upload id → type
        self._updates: list[tuple[int, dict[str, Any]]] = []  # (number, update), numbers keep growing
        self._faults: dict[str, deque[tuple[int, str, dict[str, str]]]] = {}
        self._consumed: dict[int, int] = {}
        self.subscription: dict[str, Any] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_sent = 0  # updates up to this number went to the webhook
        self.webhook_failures: list[int] = []  # statuses the webhook answered other than 200
        self.webhook_delivered: list[dict[str, Any]] = []  # updates a webhook took (answered 200), in order
        self.webhook_routes: list[str] = []  # where posts really go (tests: the subscribed URL is a public one)
        self.webhook_posts_by_route: Counter[str] = Counter()
        self._webhook_turn = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0, handler_cancellation=True
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, 0)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]

    async def stop(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> MaxEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @staticmethod
    def now_ms() -> int:
        return int(time.time() * 1000)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # ------------------------------------------------------------------ HTTP

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/") or "/"
        try:
            if path.startswith("/files/"):  # download URLs of uploaded files carry no token, as CDN links
                return self._download(path.removeprefix("/files/"))
            if path.startswith("/upload/"):  # the upload URL POST /uploads handed out
                return web.json_response(await self._receive_upload(request, path.removeprefix("/upload/")))
            self.stats.requests += 1
            if request.headers.get("Authorization") != self.token:
                raise ApiError(401, "verify.token", "Invalid access_token")
            fault = self._take_fault(f"{request.method} {path}")
            if fault is not None:
                status, code, headers = fault
                raise ApiError(status, code, "injected fault", headers)
            if self._rate is not None:
                wait = self._rate.retry_after(time.monotonic())
                if wait is not None:
                    self.stats.rate_limited += 1
                    raise ApiError(429, "too.many.requests", "Too many requests", {"Retry-After": str(wait)})
            result = await self._route(request, path)
        except ApiError as exc:
            if exc.status == 403:
                self.stats.forbidden += 1
            elif exc.status == 400:
                self.stats.rejected += 1
            return web.json_response({"code": exc.code, "message": exc.message}, status=exc.status, headers=exc.headers)
        return web.json_response(result)

    async def _route(self, request: web.Request, path: str) -> dict[str, Any]:
        method = request.method
        query = request.query
        if (method, path) == ("GET", "/me"):
            return {
                "user_id": self.bot_id,
                "first_name": "Адресат",
                "username": self.bot_username,
                "is_bot": True,
                "last_activity_time": self.now_ms(),
                "name": "Адресат",
            }
        if (method, path) == ("GET", "/updates"):
            return await self._get_updates(query)
        if path == "/subscriptions":
            return await self._subscriptions(method, query, await self._json(request) if method == "POST" else {})
        if (method, path) == ("POST", "/messages"):
            return self._send(query, await self._json(request))
        if (method, path) == ("PUT", "/messages"):
            return self._edit(query, await self._json(request))
        if (method, path) == ("DELETE", "/messages"):
            message = self._message(query.get("message_id", ""))
            message.deleted = True
            self._notify()
            return {"success": True}
        if (method, path) == ("POST", "/answers"):
            return self._answer(query, await self._json(request))
        if (method, path) == ("POST", "/uploads"):
            kind = query.get("type", "")
            if kind not in UPLOAD_TYPES:
                raise bad_request(f"unknown upload type {kind!r}")
            upload_id = secrets.token_hex(8)
            self._pending_uploads[upload_id] = kind
            answer: dict[str, Any] = {"url": f"{self.base_url}/upload/{upload_id}"}
            if kind in {"video", "audio"}:  # MAX hands these tokens out before the upload
                answer["token"] = self._new_upload(kind, None, b"").token
            return answer
        if method == "POST" and path == "/commands":
            return {"success": True}
        raise ApiError(404, "not.found", f"{method} {path} is not emulated")

    @staticmethod
    async def _json(request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise bad_request("body is not JSON") from exc
        if not isinstance(body, dict):
            raise bad_request("body must be a JSON object")
        return body

    def _take_fault(self, key: str) -> tuple[int, str, dict[str, str]] | None:
        queue = self._faults.get(key)
        return queue.popleft() if queue else None

    # ------------------------------------------------------------------ messages

    def _recipient(self, query: Any) -> MaxUser:
        raw = query.get("user_id") or query.get("chat_id")
        if raw is None:
            raise bad_request("user_id or chat_id is required")
        try:
            user_id = int(raw)
        except ValueError as exc:
            raise bad_request("user_id must be a number") from exc
        user = self.users.get(user_id)
        if user is None and not self.require_started:
            user = self.user(user_id)  # benchmarks: any user may receive messages
        if user is None or user.blocked or (self.require_started and not user.started):
            raise ApiError(403, "chat.denied", "dialog.suspended: user stopped the bot or never started it")
        return user

    def _check_body(self, body: dict[str, Any], *, editing: bool) -> tuple[str, list[dict[str, Any]] | None]:
        text = body.get("text")
        if text is not None and not isinstance(text, str):
            raise bad_request("text must be a string")
        if text is not None and len(text) > TEXT_LIMIT:
            raise bad_request(f"text: length must be less than or equal to {TEXT_LIMIT}")
        fmt = body.get("format")
        if fmt not in (None, "html", "markdown"):
            raise bad_request(f"format: unknown value {fmt!r}")
        attachments = body.get("attachments")
        if attachments is not None:
            if not isinstance(attachments, list):
                raise bad_request("attachments must be an array")
            keyboards = 0
            for attachment in attachments:
                kind = attachment.get("type") if isinstance(attachment, dict) else None
                if kind not in ATTACHMENT_TYPES:
                    raise bad_request(f"attachments: unknown type {kind!r}")
                if kind == "inline_keyboard":
                    keyboards += 1
                    self._check_keyboard(attachment.get("payload"))
                elif kind in UPLOAD_TYPES:
                    token = (attachment.get("payload") or {}).get("token")
                    if token not in self.uploads:
                        raise bad_request(f"attachment token {token!r} is unknown", "attachment.invalid")
                    if time.monotonic() - self.uploads[token].uploaded_at < self.processing_seconds:
                        self.stats.not_ready += 1
                        raise bad_request(
                            "Key: errors.process.attachment.file.not.processed", "attachment.not.ready"
                        )
            if keyboards > 1:
                raise bad_request("only one inline_keyboard per message")
        if not editing and not text and not attachments:
            raise bad_request("message is empty")
        return text or "", attachments

    @staticmethod
    def _check_keyboard(payload: Any) -> None:
        rows = payload.get("buttons") if isinstance(payload, dict) else None
        if not isinstance(rows, list) or not rows:
            raise bad_request("inline_keyboard: buttons must be a non-empty array of rows")
        if len(rows) > KEYBOARD_ROWS:
            raise bad_request(f"inline_keyboard: at most {KEYBOARD_ROWS} rows")
        total = 0
        for row in rows:
            if not isinstance(row, list) or not row:
                raise bad_request("inline_keyboard: a row must be a non-empty array")
            wide = any(isinstance(b, dict) and b.get("type") in WIDE_BUTTONS for b in row)
            limit = KEYBOARD_WIDE_ROW_BUTTONS if wide else KEYBOARD_ROW_BUTTONS
            if len(row) > limit:
                raise bad_request(f"inline_keyboard: at most {limit} buttons in this row")
            total += len(row)
            for button in row:
                kind = button.get("type")
                if kind not in BUTTON_TYPES:
                    raise bad_request(f"button: unknown type {kind!r}")
                text = button.get("text")
                if not isinstance(text, str) or not 1 <= len(text) <= BUTTON_TEXT_LIMIT:
                    raise bad_request(f"button: text length must be 1..{BUTTON_TEXT_LIMIT}")
                if kind == "callback":
                    payload_text = button.get("payload")
                    if not isinstance(payload_text, str) or len(payload_text) > CALLBACK_PAYLOAD_LIMIT:
                        raise bad_request(f"callback button: payload is required, at most {CALLBACK_PAYLOAD_LIMIT}")
                if kind == "link":
                    url = button.get("url")
                    if not isinstance(url, str) or len(url) > LINK_LIMIT:
                        raise bad_request(f"link button: url is required, at most {LINK_LIMIT}")
        if total > KEYBOARD_BUTTONS:
            raise bad_request(f"inline_keyboard: at most {KEYBOARD_BUTTONS} buttons")

    def _new_message(
        self, user_id: int, text: str, fmt: str | None, attachments: list[dict[str, Any]], *, from_user: bool
    ) -> BotMessage:
        message = BotMessage(
            mid=f"mid.{secrets.token_hex(12)}",
            seq=next(self._seq),
            user_id=user_id,
            text=text,
            format=fmt,
            attachments=attachments,
            from_user=from_user,
            timestamp=self.now_ms(),
        )
        self.messages.append(message)
        self.by_mid[message.mid] = message
        return message

    def message_api(self, message: BotMessage) -> dict[str, Any]:
        user = self.users.get(message.user_id)
        bot = {
            "user_id": self.bot_id,
            "first_name": "Адресат",
            "username": self.bot_username,
            "is_bot": True,
            "last_activity_time": self.now_ms(),
            "name": "Адресат",
        }
        sender = bot if not message.from_user else (user.api(self.now_ms()) if user else bot)
        api: dict[str, Any] = {
            "sender": sender,
            "recipient": {"chat_id": message.user_id, "chat_type": "dialog", "user_id": message.user_id},
            "timestamp": message.timestamp,
            "body": {"mid": message.mid, "seq": message.seq, "text": message.text, "attachments": message.attachments},
        }
        replied = self.by_mid.get(message.reply_to) if message.reply_to else None
        if replied is not None:  # LinkedMessage: the answered message's body, as MAX sends it
            api["link"] = {
                "type": "reply",
                "sender": bot if not replied.from_user else sender,
                "message": {"mid": replied.mid, "seq": replied.seq, "text": replied.text, "attachments": []},
            }
        return api

    def _stored_attachments(self, attachments: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        stored: list[dict[str, Any]] = []
        for attachment in attachments or []:
            if attachment["type"] in UPLOAD_TYPES:
                upload = self.uploads[attachment["payload"]["token"]]
                stored.append(
                    {
                        "type": attachment["type"],
                        "filename": upload.filename,
                        "payload": {"token": upload.token, "url": f"{self.base_url}/files/{upload.token}"},
                    }
                )
            else:
                stored.append(attachment)
        return stored

    def _send(self, query: Any, body: dict[str, Any]) -> dict[str, Any]:
        user = self._recipient(query)
        text, attachments = self._check_body(body, editing=False)
        message = self._new_message(
            user.user_id, text, body.get("format"), self._stored_attachments(attachments), from_user=False
        )
        self.stats.sent += 1
        self.stats.sent_at.append(time.monotonic())
        self._notify()
        return {"message": self.message_api(message)}

    def _message(self, mid: str) -> BotMessage:
        message = self.by_mid.get(mid)
        if message is None or message.from_user or message.deleted:
            raise ApiError(404, "not.found", f"message {mid!r} not found")
        return message

    def _edit(self, query: Any, body: dict[str, Any]) -> dict[str, Any]:
        message = self._message(query.get("message_id", ""))
        text, attachments = self._check_body(body, editing=True)
        if body.get("text") is not None:
            message.text = text
            message.format = body.get("format")
        if attachments is not None:  # null keeps the attachments, [] removes them (the schema's words)
            message.attachments = self._stored_attachments(attachments)
        message.edits += 1
        self._notify()
        return {"success": True}

    def _answer(self, query: Any, body: dict[str, Any]) -> dict[str, Any]:
        record = self.callbacks.get(query.get("callback_id", ""))
        if record is None:
            raise bad_request("callback_id is unknown or expired", "invalid.callback")
        if body.get("message") is None and not body.get("notification"):
            raise bad_request("either message or notification is required")
        if body.get("message") is not None:
            text, attachments = self._check_body(body["message"], editing=True)
            message = self._message(record.mid)
            if body["message"].get("text") is not None:
                message.text = text
            if attachments is not None:
                message.attachments = self._stored_attachments(attachments)
            message.edits += 1
        record.answers.append(body)
        self._notify()
        return {"success": True}

    # ------------------------------------------------------------------ uploads

    def _new_upload(self, kind: str, filename: str | None, content: bytes) -> Upload:
        upload = Upload(
            kind=kind,
            token=f"tok{next(self._ids)}{secrets.token_hex(6)}",
            filename=filename,
            content=content,
            uploaded_at=time.monotonic(),
        )
        self.uploads[upload.token] = upload
        return upload

    async def _receive_upload(self, request: web.Request, upload_id: str) -> dict[str, Any]:
        kind = self._pending_uploads.pop(upload_id, None)
        if kind is None:
            raise ApiError(404, "not.found", "upload URL is unknown or used")
        reader = await request.multipart()
        part = await reader.next()
        if part is None or not isinstance(part, aiohttp.BodyPartReader):
            raise bad_request("multipart body with the file is required")
        content = await part.read()
        upload = self._new_upload(kind, part.filename, bytes(content))
        self.stats.uploads += 1
        if kind == "image":
            return {"photos": {str(next(self._ids)): {"token": upload.token}}}
        return {"fileId": next(self._ids), "token": upload.token}

    def _download(self, token: str) -> web.Response:
        upload = self.uploads.get(token)
        if upload is None:
            return web.Response(status=404)
        return web.Response(
            body=upload.content, headers={"Content-Disposition": f'attachment; filename="{upload.filename}"'}
        )

    # ------------------------------------------------------------------ updates: long polling and webhooks

    def _push(self, update: dict[str, Any]) -> None:
        number = next(self._seq)
        self._updates.append((number, update))
        self._notify()

    async def _get_updates(self, query: Any) -> dict[str, Any]:
        if self.subscription is not None:
            raise ApiError(405, "method.not.allowed", "long polling is off while a webhook subscription is active")
        try:
            timeout = min(90, max(0, int(query.get("timeout", 30))))
            limit = min(1000, max(1, int(query.get("limit", 100))))
            marker = int(query["marker"]) if query.get("marker") not in (None, "", "null") else None
        except ValueError as exc:
            raise bad_request("limit, timeout and marker are numbers") from exc
        types = {t for t in query.get("types", "").split(",") if t}
        if marker is not None:  # everything before the marker was received: MAX forgets it
            self._updates = [(n, u) for n, u in self._updates if n >= marker]
        deadline = time.monotonic() + timeout
        while True:
            ready = [(n, u) for n, u in self._updates if not types or u["update_type"] in types][:limit]
            if ready or time.monotonic() >= deadline or self._runner is None:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=deadline - time.monotonic())
        next_marker = ready[-1][0] + 1 if ready else (marker if marker is not None else next(self._seq))
        return {"updates": [u for _n, u in ready], "marker": next_marker}

    async def _subscriptions(self, method: str, query: Any, body: dict[str, Any]) -> dict[str, Any]:
        if method == "GET":
            subs = [] if self.subscription is None else [self.subscription]
            return {"subscriptions": [{k: v for k, v in s.items() if k != "secret"} for s in subs]}
        if method == "POST":
            url = body.get("url")
            secret = body.get("secret")
            if not isinstance(url, str) or not url:
                raise bad_request("url is required")
            if secret is not None and (not isinstance(secret, str) or not 5 <= len(secret) <= 256):
                raise bad_request("secret: 5..256 characters")
            self.subscription = {
                "url": url,
                "time": self.now_ms(),
                "update_types": body.get("update_types"),
                "version": body.get("version"),
                "secret": secret,
            }
            self._webhook_sent = max((n for n, _u in self._updates), default=0)
            if self._webhook_task is None or self._webhook_task.done():
                self._webhook_task = asyncio.create_task(self._webhook_loop())
            return {"success": True}
        if method == "DELETE":
            self.subscription = None
            return {"success": True}
        raise ApiError(405, "method.not.allowed", method)

    def _current_subscription(self) -> dict[str, Any] | None:
        return self.subscription

    def route_webhook(self, *base_urls: str) -> None:
        """Post webhook updates to these servers in turn (as a load balancer in front of several instances
        would), keeping the subscribed URL's path; an update a server fails is tried on the next."""
        self.webhook_routes = [url.rstrip("/") for url in base_urls]
        self._notify()

    def _webhook_target(self, url: str) -> str:
        if not self.webhook_routes:
            return url
        route = self.webhook_routes[self._webhook_turn % len(self.webhook_routes)]
        self._webhook_turn += 1
        self.webhook_posts_by_route[route] += 1
        return route + (urlsplit(url).path or "/")

    async def _webhook_loop(self) -> None:
        """POST every new update to the subscribed URL with the secret header; retry until it answers 200."""
        async with aiohttp.ClientSession() as client:
            while self.subscription is not None:
                changed = self._changed
                pending = [(n, u) for n, u in self._updates if n > self._webhook_sent]
                for number, update in pending:
                    sub = self._current_subscription()  # DELETE /subscriptions may come between two posts
                    if sub is None:
                        break
                    headers = {SECRET_HEADER: sub["secret"]} if sub.get("secret") else {}
                    try:
                        target = self._webhook_target(sub["url"])
                        async with client.post(target, json=update, headers=headers) as response:
                            status = response.status
                    except aiohttp.ClientError:
                        status = 0
                    self.stats.webhook_posts += 1
                    if status != 200:
                        self.webhook_failures.append(status)
                        await asyncio.sleep(0.2)  # MAX retries later (30–60 s); the emulator sooner
                        break
                    self._webhook_sent = number
                    self.webhook_delivered.append(update)
                else:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(changed.wait(), timeout=1.0)

    # ------------------------------------------------------------------ acting as users

    def user(self, user_id: int, name: str = "", username: str | None = None) -> MaxUser:
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = MaxUser(user_id, name or f"Пользователь {user_id}", username)
        return user

    def press_start(self, user_id: int, payload: str | None = None, name: str = "") -> None:
        """The user opens the dialog (by a deep link `https://max.ru/<bot>?start=<payload>`, or the Start button)."""
        user = self.user(user_id, name)
        user.started = True
        user.blocked = False
        if payload is not None and len(payload) > START_PAYLOAD_LIMIT:
            payload = None  # longer payloads are dropped, not cut
        self._push(
            {
                "update_type": "bot_started",
                "timestamp": self.now_ms(),
                "chat_id": user_id,
                "user": user.api(self.now_ms()),
                "payload": payload,
                "user_locale": "ru",
            }
        )

    def _user_message(
        self, user_id: int, text: str, attachments: list[dict[str, Any]], *, reply_to: str | None = None
    ) -> BotMessage:
        user = self.user(user_id)
        user.started = True  # writing to the bot opens the dialog too
        message = self._new_message(user_id, text, None, attachments, from_user=True)
        message.reply_to = reply_to
        self._push(
            {
                "update_type": "message_created",
                "timestamp": self.now_ms(),
                "message": self.message_api(message),
                "user_locale": "ru",
            }
        )
        return message

    def send_text(self, user_id: int, text: str, *, reply_to: BotMessage | None = None) -> BotMessage:
        return self._user_message(user_id, text, [], reply_to=reply_to.mid if reply_to is not None else None)

    def send_file(self, user_id: int, filename: str, content: bytes, caption: str = "") -> BotMessage:
        upload = self._new_upload("file", filename, content)
        attachment = {
            "type": "file",
            "filename": filename,
            "size": len(content),
            "payload": {"url": f"{self.base_url}/files/{upload.token}", "token": upload.token},
        }
        return self._user_message(user_id, caption, [attachment])

    def click(self, user_id: int, message: BotMessage, payload: str) -> str:
        if message.user_id != user_id:
            msg = "a user can only press buttons in their own dialog"
            raise AssertionError(msg)
        callback_id = f"cb{next(self._ids)}.{secrets.token_hex(6)}"
        self.callbacks[callback_id] = CallbackRecord(callback_id, user_id, message.mid, payload)
        user = self.user(user_id)
        self._push(
            {
                "update_type": "message_callback",
                "timestamp": self.now_ms(),
                "callback": {
                    "timestamp": self.now_ms(),
                    "callback_id": callback_id,
                    "payload": payload,
                    "user": user.api(self.now_ms()),
                },
                "message": self.message_api(message),
                "user_locale": "ru",
            }
        )
        return callback_id

    def click_button(self, user_id: int, message: BotMessage, text: str) -> str:
        return self.click(user_id, message, message.payload_of(text))

    def block(self, user_id: int) -> None:
        """The user stops the bot: MAX answers 403 to whatever the bot sends them."""
        user = self.user(user_id)
        user.blocked = True
        self._push(
            {
                "update_type": "bot_stopped",
                "timestamp": self.now_ms(),
                "chat_id": user_id,
                "user": user.api(self.now_ms()),
                "user_locale": "ru",
            }
        )

    def fail_next(
        self,
        method: str,
        path: str,
        status: int,
        code: str = "error",
        *,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """The next `times` requests to `method path` answer `status` (429 with Retry-After if given)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self._faults.setdefault(f"{method} {path}", deque()).extend([(status, code, headers)] * times)

    # ------------------------------------------------------------------ looking at what the bot did

    def pending_updates(self) -> int:
        """Updates no poll has confirmed yet (by asking with a later marker): a new poller gets them again."""
        return len(self._updates)

    def messages_to(self, user_id: int) -> list[BotMessage]:
        return [m for m in self.messages if m.user_id == user_id and not m.from_user]

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0, what: str = "a condition") -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                msg = f"timed out after {timeout}s waiting for {what}"
                raise AssertionError(msg)
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout=min(left, 0.2))

    async def wait_for(self, user_id: int, count: int = 1, timeout: float = 5.0) -> list[BotMessage]:  # noqa: ASYNC109
        """The next `count` bot messages to `user_id` no earlier wait_for returned (an inbox cursor)."""
        start = self._consumed.get(user_id, 0)
        try:
            await self.wait_until(
                lambda: len(self.messages_to(user_id)) - start >= count, timeout, f"{count} message(s) to {user_id}"
            )
        except AssertionError:
            got = [m.text[:80] for m in self.messages_to(user_id)[start:]]
            msg = f"timed out after {timeout}s waiting for {count} new message(s) to {user_id}; got {got}"
            raise AssertionError(msg) from None
        self._consumed[user_id] = start + count
        return self.messages_to(user_id)[start : start + count]

    async def wait_answer(self, callback_id: str, timeout: float = 5.0) -> CallbackRecord:  # noqa: ASYNC109
        record = self.callbacks[callback_id]
        await self.wait_until(lambda: record.answered, timeout, f"the answer to callback {callback_id}")
        return record

    def assert_all_callbacks_answered(self) -> None:
        unanswered = [r.payload for r in self.callbacks.values() if not r.answered]
        assert not unanswered, f"callbacks never answered: {unanswered}"
