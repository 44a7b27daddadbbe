"""The REST calls the bot makes to MAX, with MAX's failures in the delivery worker's terms.

MAX's Bot API (OpenAPI schema: github.com/max-messenger-bot/max-bot-api-schemas; dev.max.ru/docs-api): the
token goes in the `Authorization` header; POST /messages?user_id= sends to a user's dialog; PUT /messages
edits; POST /answers answers a button press; POST /uploads gives an upload URL, and the token the upload
returns is what attachments carry, any number of times. Errors come as {"code", "message"}.

maxapi retries only 502/503/504 by itself; the outbox owns every other retry and MAX's rate (about 30
requests a second per bot), so these calls are single requests: 429 → RateLimitedError (Retry-After, else
one second), 403 → BlockedError (the user stopped the bot), other 4xx → RejectedError, 5xx and network
errors → TransientError.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from ui.sender import BlockedError, RateLimitedError, RejectedError, TransientError

DEFAULT_API_BASE = "https://platform-api.max.ru"
NOT_READY = "attachment.not.ready"
NOT_READY_WAITS = (0.5, 1.0, 2.0, 4.0)


class TooLargeError(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes or more")
        self.size = size


Json = dict[str, Any]


class MaxClient:
    """One aiohttp session to MAX's Bot API; closed with the app."""

    def __init__(self, token: str, base_url: str | None = None, *, timeout: float = 30.0) -> None:
        self.base_url = (base_url or DEFAULT_API_BASE).rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._username: str | None = None
        self._closed = False

    def _http(self) -> aiohttp.ClientSession:
        if self._closed:  # a late call during shutdown must not open a session nobody will close
            raise TransientError("MAX client is closed")
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers={"Authorization": self._token}, timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()

    async def call(self, method: str, path: str, body: Json | None = None, **query: Any) -> Json:
        params = {k: str(v) for k, v in query.items() if v is not None}
        try:
            async with self._http().request(method, self.base_url + path, params=params, json=body) as response:
                status = response.status
                try:
                    answer: Any = await response.json(content_type=None)
                except ValueError:
                    answer = {}
                retry_after = response.headers.get("Retry-After")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransientError(f"MAX unreachable: {exc!r}") from exc
        if not isinstance(answer, dict):
            answer = {}
        if status == 200:
            return dict(answer)
        reason = f"{status} {answer.get('code', '')}: {answer.get('message', '')}".strip()
        if status == 429:
            raise RateLimitedError(reason, _seconds(retry_after))
        if status == 403:
            raise BlockedError(reason)
        if 400 <= status < 500:
            raise RejectedError(reason)
        raise TransientError(reason)

    async def username(self) -> str:
        """The bot's own username (GET /me, asked once): what MAX deep links name."""
        if self._username is None:
            self._username = str((await self.call("GET", "/me")).get("username") or "")
        return self._username

    async def send(self, user_id: int, body: Json) -> str:
        """A message to a user's dialog; returns its `mid`. A file uploaded a moment ago may still be processed
        by MAX (400 attachment.not.ready): MAX's advice is to wait and retry at a growing interval, which this
        does for about eight seconds before leaving it to the outbox's next attempt (TransientError)."""
        for wait in NOT_READY_WAITS:
            try:
                return await self._post_message(user_id, body)
            except RejectedError as exc:
                if NOT_READY not in exc.reason:
                    raise
            await asyncio.sleep(wait)
        try:
            return await self._post_message(user_id, body)
        except RejectedError as exc:
            if NOT_READY in exc.reason:
                raise TransientError(exc.reason) from exc
            raise

    async def _post_message(self, user_id: int, body: Json) -> str:
        answer = await self.call("POST", "/messages", body, user_id=user_id)
        return str(answer.get("message", {}).get("body", {}).get("mid", ""))

    async def edit(self, mid: str, body: Json) -> None:
        await self.call("PUT", "/messages", body, message_id=mid)

    async def answer(self, callback_id: str, *, notification: str | None = None, message: Json | None = None) -> None:
        body: Json = {}
        if notification:
            body["notification"] = notification[:200]
        if message is not None:
            body["message"] = message
        await self.call("POST", "/answers", body, callback_id=callback_id)

    async def download(self, url: str, limit: int) -> bytes:
        """A file a user sent (its attachment's `url`), refused past `limit` bytes (TooLargeError)."""
        try:
            async with self._http().get(url) as response:
                if response.status != 200:
                    raise TransientError(f"download answered {response.status}")
                content = await response.content.read(limit + 1)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransientError(f"MAX download failed: {exc!r}") from exc
        if len(content) > limit:
            raise TooLargeError(len(content))
        return content

    async def upload(self, kind: str, filename: str, content: bytes) -> str:
        """Upload a file (`kind`: file or image); returns the token attachments carry."""
        slot = await self.call("POST", "/uploads", type=kind)
        form = aiohttp.FormData()
        form.add_field("data", content, filename=filename)
        try:
            async with self._http().post(str(slot["url"]), data=form) as response:
                if response.status != 200:
                    raise TransientError(f"upload answered {response.status}")
                answer: Any = await response.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransientError(f"MAX upload failed: {exc!r}") from exc
        if kind == "image" and isinstance(answer.get("photos"), dict):
            return str(next(iter(answer["photos"].values()))["token"])
        return str(answer.get("token") or slot.get("token") or "")


def _seconds(header: str | None) -> float:
    try:
        return max(1.0, float(header)) if header else 1.0
    except ValueError:
        return 1.0
