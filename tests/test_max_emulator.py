"""The MAX emulator keeps MAX's rules: the bot's MAX transport is only as well tested as this is faithful."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from maxapi import Bot as MaxBot
from maxapi import Dispatcher as MaxDispatcher
from maxapi.types import MessageCreated

from tests.max_emulator import SECRET_HEADER, TOKEN, MaxEmulator

USER = 501


@pytest.fixture
async def emu() -> AsyncIterator[MaxEmulator]:
    async with MaxEmulator() as emulator:
        yield emulator


@pytest.fixture
async def http(emu: MaxEmulator) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=emu.base_url, headers={"Authorization": TOKEN}) as session:
        yield session


async def call(http: aiohttp.ClientSession, method: str, path: str, body: Any = None, **query: Any) -> tuple[int, Any]:
    async with http.request(method, path, params={k: str(v) for k, v in query.items()}, json=body) as response:
        return response.status, await response.json()


def keyboard(rows: list[list[dict[str, Any]]]) -> dict[str, Any]:
    return {"type": "inline_keyboard", "payload": {"buttons": rows}}


def callback(text: str = "Да", payload: str = "p") -> dict[str, Any]:
    return {"type": "callback", "text": text, "payload": payload}


async def test_token_in_the_header_or_401(emu: MaxEmulator) -> None:
    async with aiohttp.ClientSession(base_url=emu.base_url) as anonymous, anonymous.get("/me") as response:
        assert response.status == 401
        assert (await response.json())["code"] == "verify.token"
    async with (
        aiohttp.ClientSession(base_url=emu.base_url, headers={"Authorization": TOKEN}) as s,
        s.get("/me") as response,
    ):
        assert (await response.json())["username"] == emu.bot_username


async def test_a_user_who_never_started_the_bot_or_stopped_it_is_403(
    emu: MaxEmulator, http: aiohttp.ClientSession
) -> None:
    status, body = await call(http, "POST", "/messages", {"text": "Привет"}, user_id=USER)
    assert (status, body["code"]) == (403, "chat.denied")
    emu.press_start(USER)
    status, body = await call(http, "POST", "/messages", {"text": "Привет", "format": "html"}, user_id=USER)
    assert status == 200
    assert body["message"]["body"]["mid"].startswith("mid.")
    emu.block(USER)
    status, _ = await call(http, "POST", "/messages", {"text": "Ещё"}, user_id=USER)
    assert status == 403


async def test_text_and_keyboard_limits(emu: MaxEmulator, http: aiohttp.ClientSession) -> None:
    emu.press_start(USER)
    ok = [
        {"text": "а" * 4000},
        {"text": "x", "attachments": [keyboard([[callback(payload="p" * 1024)]])]},
        {"text": "x", "attachments": [keyboard([[callback()] * 7] * 30)]},
        {"text": "x", "attachments": [keyboard([[{"type": "link", "text": "Сайт", "url": "https://max.ru"}] * 3])]},
    ]
    for body in ok:
        status, answer = await call(http, "POST", "/messages", body, user_id=USER)
        assert status == 200, answer
    bad = [
        {"text": "а" * 4001},
        {"text": "x", "attachments": [keyboard([[callback(payload="p" * 1025)]])]},
        {"text": "x", "attachments": [keyboard([[callback()] * 8])]},
        {"text": "x", "attachments": [keyboard([[callback()]] * 31)]},
        {"text": "x", "attachments": [keyboard([[{"type": "link", "text": "Сайт", "url": "https://max.ru"}] * 4])]},
        {"text": "x", "attachments": [keyboard([[callback(text="т" * 129)]])]},
        {"text": "x", "attachments": [keyboard([[callback()]]), keyboard([[callback()]])]},
        {"text": "x", "attachments": [{"type": "file", "payload": {"token": "never-uploaded"}}]},
        {"text": ""},
    ]
    for body in bad:
        status, answer = await call(http, "POST", "/messages", body, user_id=USER)
        assert status == 400, (body, answer)
    assert len(emu.messages_to(USER)) == len(ok)


async def test_rate_limit_answers_429_with_retry_after() -> None:
    async with (
        MaxEmulator(rate_per_second=30) as emu,
        aiohttp.ClientSession(base_url=emu.base_url, headers={"Authorization": TOKEN}) as http,
    ):
        emu.press_start(USER)
        statuses = []
        retry_after = None
        for _ in range(40):
            async with http.post("/messages", params={"user_id": str(USER)}, json={"text": "x"}) as response:
                statuses.append(response.status)
                if response.status == 429:
                    retry_after = response.headers.get("Retry-After")
                    assert (await response.json())["code"] == "too.many.requests"
        assert statuses.count(200) == 30
        assert statuses.count(429) == 10
        assert retry_after is not None
        assert int(retry_after) >= 1


async def test_upload_then_send_and_resend_by_token(emu: MaxEmulator, http: aiohttp.ClientSession) -> None:
    emu.press_start(USER)
    status, answer = await call(http, "POST", "/uploads", type="file")
    assert status == 200
    form = aiohttp.FormData()
    form.add_field("data", b"%PDF-1.4 report", filename="report.pdf")
    async with aiohttp.ClientSession() as raw, raw.post(answer["url"], data=form) as response:
        token = (await response.json())["token"]
    file = {"type": "file", "payload": {"token": token}}
    for _ in range(2):  # a token is reusable: the second message sends the same file without uploading it again
        status, _answer = await call(http, "POST", "/messages", {"text": "Отчёт", "attachments": [file]}, user_id=USER)
        assert status == 200
    sent = emu.messages_to(USER)
    assert [m.files[0]["filename"] for m in sent] == ["report.pdf", "report.pdf"]
    assert emu.stats.uploads == 1
    async with aiohttp.ClientSession() as raw, raw.get(sent[0].files[0]["payload"]["url"]) as response:
        assert await response.read() == b"%PDF-1.4 report"


async def test_edit_and_answer_a_callback(emu: MaxEmulator, http: aiohttp.ClientSession) -> None:
    emu.press_start(USER)
    _, answer = await call(
        http, "POST", "/messages", {"text": "Вопрос", "attachments": [keyboard([[callback()]])]}, user_id=USER
    )
    mid = answer["message"]["body"]["mid"]
    message = emu.by_mid[mid]
    callback_id = emu.click_button(USER, message, "Да")
    status, _ = await call(http, "POST", "/answers", {"notification": "Принято"}, callback_id=callback_id)
    assert status == 200
    assert emu.callbacks[callback_id].notification == "Принято"
    status, _ = await call(http, "POST", "/answers", {"notification": "x"}, callback_id="forged")
    assert status == 400
    status, _ = await call(http, "PUT", "/messages", {"text": "Вопрос решён", "attachments": []}, message_id=mid)
    assert status == 200
    assert (message.text, message.buttons) == ("Вопрос решён", [])
    status, _ = await call(http, "PUT", "/messages", {"text": "x"}, message_id="mid.unknown")
    assert status == 404
    emu.assert_all_callbacks_answered()


async def test_long_polling_with_a_marker(emu: MaxEmulator, http: aiohttp.ClientSession) -> None:
    emu.send_text(USER, "первое")
    emu.send_text(USER, "второе")
    _, batch = await call(http, "GET", "/updates", timeout=0)
    assert [u["message"]["body"]["text"] for u in batch["updates"]] == ["первое", "второе"]
    _, again = await call(http, "GET", "/updates", timeout=0, marker=batch["marker"])
    assert again["updates"] == []  # the marker confirmed the first batch
    waiting = asyncio.create_task(call(http, "GET", "/updates", timeout=5, marker=batch["marker"]))
    await asyncio.sleep(0.1)
    emu.press_start(USER, payload="abc")
    _, late = await waiting
    assert [(u["update_type"], u["payload"]) for u in late["updates"]] == [("bot_started", "abc")]


async def test_start_payload_over_128_characters_is_dropped(emu: MaxEmulator, http: aiohttp.ClientSession) -> None:
    emu.press_start(USER, payload="a" * 129)
    _, batch = await call(http, "GET", "/updates", timeout=0)
    assert batch["updates"][0]["payload"] is None


async def test_webhook_posts_updates_with_the_secret_and_retries(emu: MaxEmulator, http: aiohttp.ClientSession) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    answers = [500, 200, 200]

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.Response(status=answers.pop(0) if answers else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        status, _ = await call(
            http, "POST", "/subscriptions", {"url": f"http://127.0.0.1:{port}/hook", "secret": "s3cret"}
        )
        assert status == 200
        status, _ = await call(http, "GET", "/updates", timeout=0)
        assert status == 405  # long polling and webhooks cannot be used together
        emu.send_text(USER, "через вебхук")
        await emu.wait_until(lambda: len(received) >= 2, what="the retried webhook post")
        assert {secret for secret, _ in received} == {"s3cret"}
        assert received[-1][1]["message"]["body"]["text"] == "через вебхук"
        assert emu.webhook_failures == [500]
        _, subs = await call(http, "GET", "/subscriptions")
        assert "secret" not in subs["subscriptions"][0]
        await call(http, "DELETE", "/subscriptions", url=f"http://127.0.0.1:{port}/hook")
    finally:
        await runner.cleanup()


async def test_maxapi_polls_the_emulator(emu: MaxEmulator) -> None:
    """The framework the bot runs on reads the emulator's updates as MAX's own."""
    bot = MaxBot(token=TOKEN, auto_requests=False)
    bot.set_api_url(emu.base_url)
    dp = MaxDispatcher()
    seen: list[str] = []

    @dp.message_created()
    async def echo(event: MessageCreated) -> None:
        body = event.message.body
        seen.append(body.text or "" if body else "")

    task = asyncio.create_task(dp.start_polling(bot))
    try:
        emu.send_text(USER, "привет")
        await emu.wait_until(lambda: seen == ["привет"], what="the handler")
    finally:
        await dp.stop_polling()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await bot.close_session()
