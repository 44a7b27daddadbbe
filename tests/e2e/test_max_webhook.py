"""MAX by webhook, and MAX alone: the real app takes the MAX emulator's POSTs (with the secret header) on its
HTTP server; a forged or re-posted update is not handled (twice); without BOT_TOKEN `python -m bot` runs on
MAX only and never calls Telegram."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import App
from bot.health import MAX_POLLING
from bot.webhook import build_web_app, serving
from models import channels, migrate
from models.db import create_engine, create_session_factory
from models.entities import Approval, Member, ProcessedMaxUpdate, Status, StatusReport
from tests.e2e.harness import SEMINAR, add_org, make_settings, max_press, running_app
from tests.e2e.test_max import DIRECTOR_MAX, invite_to, publish, schools
from tests.emulator import TelegramEmulator
from tests.max_emulator import TOKEN as MAX_TOKEN
from tests.max_emulator import MaxEmulator
from ui import texts

ROOT = Path(__file__).resolve().parents[2]
HOOK = "https://bot.example.ru/max/hook"  # the public address MAX is given; the emulator is routed to the app
PATH = "/max/hook"
SECRET = "max-Hook_secret-1"
HEADER = "X-Max-Bot-Api-Secret"
STRANGER = 770_500  # a MAX user who is no member


@pytest.fixture
async def hooked(emulator: TelegramEmulator, max_emu: MaxEmulator, database_url: str) -> AsyncIterator[tuple[App, str]]:
    """The app with Telegram polling and MAX by webhook on its health server (as `python -m bot` runs it)."""
    settings = make_settings(
        emulator.base_url,
        database_url,
        max_bot_token=MAX_TOKEN,
        max_api_base=max_emu.base_url,
        max_webhook_url=HOOK,
        max_webhook_secret=SECRET,
    )
    async with running_app(settings) as app, serving(build_web_app(app, webhook=False), "127.0.0.1", 0) as url:
        max_emu.route_webhook(url)
        yield app, url


async def _post(url: str, update: dict[str, Any], secret: str | None) -> int:
    headers = {HEADER: secret} if secret is not None else {}
    async with aiohttp.ClientSession() as http, http.post(url + PATH, json=update, headers=headers) as response:
        return response.status


async def test_a_start_and_a_press_come_by_webhook(hooked: tuple[App, str], max_emu: MaxEmulator) -> None:
    app, _url = hooked
    # Subscribed at start with the secret and the kinds of update the handlers take; nobody polls MAX.
    assert max_emu.subscription is not None
    assert (max_emu.subscription["url"], max_emu.subscription["secret"]) == (HOOK, SECRET)
    assert {"bot_started", "message_created", "message_callback"} <= set(max_emu.subscription["update_types"])
    assert MAX_POLLING not in app.leadership.status()

    _town, school, _other = await schools(app)
    invite = await invite_to(app, school)
    max_emu.press_start(DIRECTOR_MAX, payload=invite.code, name="Ирина")
    (joined,) = await max_emu.wait_for(DIRECTOR_MAX)
    assert "МБОУ «СШ № 1»" in joined.text
    max_emu.send_text(DIRECTOR_MAX, "/start")
    (again,) = await max_emu.wait_for(DIRECTOR_MAX)
    assert "МБОУ «СШ № 1»" in again.text

    await publish(app)
    (note,) = await max_emu.wait_for(DIRECTOR_MAX, timeout=10)
    assert await max_press(max_emu, DIRECTOR_MAX, note, "1 · Ознакомлен") == "Отмечено: ознакомлен"
    await max_emu.wait_until(lambda: note.button_texts[0] == "1 · ознакомлен · отчёт", what="the redrawn button")
    assert max_emu.webhook_failures == []
    kinds = [u["update_type"] for u in max_emu.webhook_delivered]
    assert kinds == ["bot_started", "message_created", "message_callback"]


async def test_a_post_with_a_wrong_secret_is_refused_and_not_handled(
    hooked: tuple[App, str], max_emu: MaxEmulator
) -> None:
    app, url = hooked
    assert max_emu.subscription is not None
    max_emu.subscription["secret"] = "someone-elses-secret"  # a forger who knows the URL but not the secret
    message = max_emu.send_text(STRANGER, "/help")
    await max_emu.wait_until(lambda: len(max_emu.webhook_failures) >= 2, what="refused posts")
    assert set(max_emu.webhook_failures) == {403}

    update = {"update_type": "message_created", "timestamp": message.timestamp, "message": max_emu.message_api(message)}
    for secret in (None, "", SECRET[:-1] + "X", "секрет-бота"):
        assert await _post(url, update, secret) == 403
    await asyncio.sleep(0.3)
    assert max_emu.messages_to(STRANGER) == [], "a refused update is not handled"
    async with app.session_factory() as session:
        assert (await session.scalars(select(ProcessedMaxUpdate.key))).all() == [], "nor taken"
    assert app.metrics.max_webhook_rejected._value.get() >= 6

    max_emu.subscription["secret"] = SECRET  # MAX's next try carries the right secret: handled, once
    (reply,) = await max_emu.wait_for(STRANGER)
    assert reply.text == f"{texts.HELP_GUEST}\n\n{texts.MAX_ID_LINE.format(max_id=STRANGER)}"
    await asyncio.sleep(0.3)
    assert len(max_emu.messages_to(STRANGER)) == 1


async def test_a_reposted_update_is_handled_once(hooked: tuple[App, str], max_emu: MaxEmulator) -> None:
    app, url = hooked
    message = max_emu.send_text(STRANGER, "/help")
    (reply,) = await max_emu.wait_for(STRANGER)
    posted = max_emu.webhook_delivered[-1]
    assert posted["message"]["body"]["mid"] == message.mid
    # MAX posts an update again when its request timed out: the copies may even arrive together.
    assert await asyncio.gather(*(_post(url, posted, SECRET) for _ in range(3))) == [200, 200, 200]

    callback_id = max_emu.click(STRANGER, reply, "rep1:not-a-number:dn")  # a stale press: answered once
    record = await max_emu.wait_answer(callback_id)
    press_update = max_emu.webhook_delivered[-1]
    assert press_update["callback"]["callback_id"] == callback_id
    assert await asyncio.gather(*(_post(url, press_update, SECRET) for _ in range(2))) == [200, 200]
    await asyncio.sleep(0.5)

    assert len(max_emu.messages_to(STRANGER)) == 1, "the message was answered once"
    assert len(record.answers) == 1, "the press was answered once"
    assert record.notification == texts.STALE_BUTTON
    assert app.metrics.max_webhook_duplicates._value.get() == 5
    async with app.session_factory() as session:
        keys = set((await session.scalars(select(ProcessedMaxUpdate.key))).all())
    assert keys == {message.mid, callback_id}


# -- MAX alone: `python -m bot` without BOT_TOKEN ------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _seed_director(db: str) -> None:
    """A school with its director known only on MAX."""
    engine = create_engine(db)
    await migrate.upgrade(engine)
    try:
        async with create_session_factory(engine)() as session:
            town = await add_org(session, "municipality", "город Смоленск")
            school = await add_org(session, "school", "МБОУ «СШ № 1»", town.id)
            member = Member(
                user_id=channels.principal_for_max(DIRECTOR_MAX),
                max_user_id=DIRECTOR_MAX,
                preferred_channel="max",
                full_name="Ирина Петровна",
                organisation_id=school.id,
                role="school",
                approval=Approval.APPROVED,
            )
            session.add(member)
            await session.commit()
    finally:
        await engine.dispose()


async def _done_report(db: str) -> StatusReport | None:
    engine = create_engine(db)
    try:
        async with create_session_factory(engine)() as session:
            report: StatusReport | None = await session.scalar(
                select(StatusReport).where(
                    StatusReport.author_id == channels.principal_for_max(DIRECTOR_MAX),
                    StatusReport.status == Status.DONE,
                )
            )
            return report
    finally:
        await engine.dispose()


def _start_bot(env: dict[str, str], folder: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bot"], cwd=folder, env=env)


async def _healthz(port: int) -> dict[str, Any] | None:
    try:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as response:
            body: dict[str, Any] = await response.json()
            return body if response.status == 200 else None
    except aiohttp.ClientError:
        return None


async def test_max_alone_runs_without_bot_token_and_stops_on_sigterm(
    emulator: TelegramEmulator, max_emu: MaxEmulator, tmp_path: Path
) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'max-only.db'}"
    await _seed_director(db)
    admin_max = 770_900
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": db,
        "MAX_BOT_TOKEN": MAX_TOKEN,
        "MAX_API_BASE": max_emu.base_url,
        "MAX_ADMIN_IDS": str(admin_max),
        # Were anything to call Telegram, it would reach this emulator, and the test would see it.
        "TELEGRAM_API_BASE": emulator.base_url,
        "METRICS_PORT": str(port),
        "DELIVERY_CHAT_INTERVAL_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }
    proc = _start_bot(env, tmp_path)
    try:
        async with asyncio.timeout(60):
            while (health := await _healthz(port)) is None:
                assert proc.poll() is None, "the bot exited at start"
                await asyncio.sleep(0.1)
        assert health["leader"] == {"delivery": True, "planner": True, "max_polling": True}
        assert health["delivery_worker"] == "running"

        max_emu.press_start(DIRECTOR_MAX)
        (greeting,) = await max_emu.wait_for(DIRECTOR_MAX, timeout=10)
        assert "МБОУ «СШ № 1»" in greeting.text
        # The admin publishes on MAX: the file, the preview, «Опубликовать».
        max_emu.send_file(admin_max, "резолюция.txt", SEMINAR.encode())
        await max_emu.wait_until(
            lambda: any("Опубликовать" in m.button_texts for m in max_emu.messages_to(admin_max)),
            timeout=10,
            what="the preview on MAX",
        )
        preview = next(m for m in max_emu.messages_to(admin_max) if "Опубликовать" in m.button_texts)
        assert await max_press(max_emu, admin_max, preview, "Опубликовать") == texts.PUBLISH_DONE
        (note,) = await max_emu.wait_for(DIRECTOR_MAX, timeout=10)
        # The progress message and its summary reach the admin on MAX.
        await max_emu.wait_until(
            lambda: any("По мессенджерам: MAX — 1" in m.text for m in max_emu.messages_to(admin_max)),
            timeout=10,
            what="the broadcast summary on MAX",
        )
        assert note.button_texts == ["1 · Ознакомлен", "2 · Ознакомлен"]
        assert await max_press(max_emu, DIRECTOR_MAX, note, "1 · Ознакомлен") == "Отмечено: ознакомлен"
        await max_emu.wait_until(lambda: note.button_texts[0] == "1 · ознакомлен · отчёт", what="the redrawn button")
        await max_press(max_emu, DIRECTOR_MAX, note, "1 · ознакомлен · отчёт")
        (card,) = await max_emu.wait_for(DIRECTOR_MAX)
        assert (await max_press(max_emu, DIRECTOR_MAX, card, "Выполнено")).startswith("Статус: выполнено")
        (ask,) = await max_emu.wait_for(DIRECTOR_MAX)
        assert ask.button_texts == ["Пропустить"]
        max_emu.send_text(DIRECTOR_MAX, "Педсовет проведён 12 февраля")
        (saved,) = await max_emu.wait_for(DIRECTOR_MAX)
        assert await max_press(max_emu, DIRECTOR_MAX, saved, "Готово") == texts.REPORT_SENT_TO_REVIEW
        report = await _done_report(db)
        assert report is not None
        assert report.comment == "Педсовет проведён 12 февраля"
        # No officer for the school: the admin reviews, on MAX.
        await max_emu.wait_until(
            lambda: any("Принять" in m.button_texts for m in max_emu.messages_to(admin_max)),
            timeout=10,
            what="the review request on MAX",
        )

        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            while proc.poll() is None:
                await asyncio.sleep(0.05)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert emulator.stats.requests == 0, "nothing reached Telegram"
