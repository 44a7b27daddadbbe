"""Two instances on one PostgreSQL with MAX (here without Telegram, as `python -m bot` runs without BOT_TOKEN):
exactly one polls MAX and exactly one sends on MAX; when the poller goes the other takes over; in webhook
mode both take MAX's POSTs and each update is handled once, whichever instance it reaches."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import aiohttp
import pytest

from bot.app import App, create_app
from bot.health import DELIVERY, MAX_POLLING
from bot.settings import Settings
from bot.webhook import running_max_only
from models import channels, migrate, publishing
from models.config import Config
from models.db import create_engine, create_session_factory
from models.entities import Approval, Member
from models.parsing import parse_text
from tests.e2e.harness import add_org
from tests.max_emulator import TOKEN as MAX_TOKEN
from tests.max_emulator import MaxEmulator
from tests.pgutil import postgres_database
from ui import texts

pytestmark = pytest.mark.postgresql
DIRECTORS = [771_000 + i for i in range(20)]
ADMIN_MAX = 771_900
STRANGER = 771_950
HOOK = "https://bot.example.ru/max/hook"
SECRET = "two-instances-max"
RESOLUTION = """Резолюция совещания

Участники совещания рекомендуют:

Общеобразовательным организациям:
- провести педагогический совет до 1 марта 2027 года.
"""


def _settings(url: str, emu: MaxEmulator, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "max_bot_token": MAX_TOKEN,
        "max_api_base": emu.base_url,
        "max_admin_ids": frozenset({ADMIN_MAX}),
        "delivery_chat_interval_seconds": 0.0,
        "leader_retry_seconds": 0.2,
    }
    return Settings(_env_file=None, **{**values, **overrides})


@asynccontextmanager
async def _instance(settings: Settings) -> AsyncIterator[tuple[App, str]]:
    app = await create_app(settings)
    try:
        async with running_max_only(app, 0) as url:
            yield app, url
    finally:
        await app.engine.dispose()


async def _seed(url: str, emu: MaxEmulator) -> None:
    engine = create_engine(url)
    await migrate.upgrade(engine)
    try:
        async with create_session_factory(engine)() as session:
            town = await add_org(session, "municipality", "город Смоленск")
            for i, max_id in enumerate(DIRECTORS):
                school = await add_org(session, "school", f"МБОУ «СШ № {i + 1}»", town.id)
                session.add(
                    Member(
                        user_id=channels.principal_for_max(max_id),
                        max_user_id=max_id,
                        preferred_channel="max",
                        full_name=f"Директор {i + 1}",
                        organisation_id=school.id,
                        role="school",
                        approval=Approval.APPROVED,
                    )
                )
                emu.user(max_id).started = True  # each has opened the dialog with the bot
            await session.commit()
    finally:
        await engine.dispose()


async def _publish(url: str) -> None:
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            admin = channels.principal_for_max(ADMIN_MAX)
            draft = await publishing.save_draft(session, parse_text(RESOLUTION), created_by=admin, source_name=None)
            await publishing.publish(session, resolution_id=draft.id, admin_chat_id=admin, config=Config())
    finally:
        await engine.dispose()


async def _until(predicate: Callable[[], bool | Awaitable[bool]], what: str, seconds: float = 15) -> None:
    try:
        async with asyncio.timeout(seconds):
            while True:
                result = predicate()
                if await result if not isinstance(result, bool) else result:
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out after {seconds}s waiting for {what}") from None


def _leaders(apps: list[App], role: str) -> list[App]:
    return [app for app in apps if app.leadership.status().get(role)]


async def test_one_instance_polls_max_and_one_sends_and_the_other_takes_over(max_emu: MaxEmulator) -> None:
    async with postgres_database() as url:
        await _seed(url, max_emu)
        settings = _settings(url, max_emu)
        stacks = {name: AsyncExitStack() for name in ("a", "b")}
        try:
            apps = {name: (await stack.enter_async_context(_instance(settings)))[0] for name, stack in stacks.items()}
            both = list(apps.values())
            await _until(lambda: len(_leaders(both, MAX_POLLING)) == len(_leaders(both, DELIVERY)) == 1, "leaders")
            await asyncio.sleep(1.0)  # the standby keeps trying: still one poller, one sender
            (poller,) = _leaders(both, MAX_POLLING)
            (sender,) = _leaders(both, DELIVERY)

            # Both instances polling would hand every update to both: each message would be answered twice.
            for _ in range(3):
                max_emu.send_text(STRANGER, "/help")
            await max_emu.wait_for(STRANGER, count=3)
            await asyncio.sleep(0.5)
            assert len(max_emu.messages_to(STRANGER)) == 3

            await _publish(url)
            for director in DIRECTORS:
                (note,) = await max_emu.wait_for(director, timeout=10)
                assert note.button_texts == ["1 · Ознакомлен"]
            await asyncio.sleep(0.5)
            assert all(len(max_emu.messages_to(d)) == 1 for d in DIRECTORS), "nobody gets it twice"
            assert {app.senders.stats().sent for app in both} == {0, len(DIRECTORS)}
            assert sender.senders.stats().sent == len(DIRECTORS), "only the elected instance sends on MAX"

            # The poller goes (a deploy, a crash): the other instance polls from then on.
            gone = next(name for name, app in apps.items() if app is poller)
            await stacks.pop(gone).aclose()
            (survivor,) = (app for name, app in apps.items() if name != gone)
            await _until(lambda: survivor.leadership.leads(MAX_POLLING), "the survivor to poll MAX")
            await _until(lambda: survivor.leadership.leads(DELIVERY), "the survivor to send")
            max_emu.send_text(STRANGER, "/help")
            (reply,) = await max_emu.wait_for(STRANGER, timeout=10)
            assert reply.text == f"{texts.HELP_GUEST}\n\n{texts.MAX_ID_LINE.format(max_id=STRANGER)}"
        finally:
            for stack in stacks.values():
                await stack.aclose()


async def test_in_webhook_mode_both_instances_take_max_posts_and_each_update_counts_once(
    max_emu: MaxEmulator,
) -> None:
    async with postgres_database() as url:
        await _seed(url, max_emu)
        settings = _settings(url, max_emu, max_webhook_url=HOOK, max_webhook_secret=SECRET)
        async with _instance(settings) as (first, url_a), _instance(settings) as (second, url_b):
            assert max_emu.subscription is not None
            assert max_emu.subscription["url"] == HOOK
            assert MAX_POLLING not in first.leadership.status(), "in webhook mode nobody polls"
            max_emu.route_webhook(url_a, url_b)  # a load balancer in front of both

            for _ in range(4):
                max_emu.send_text(STRANGER, "/help")
            await max_emu.wait_for(STRANGER, count=4)
            assert set(max_emu.webhook_posts_by_route) == {url_a, url_b}, "the updates reached both instances"

            # MAX posts an update again (its request timed out), and this time it reaches the other instance.
            async with aiohttp.ClientSession() as http:
                for update, target in zip(max_emu.webhook_delivered, [url_b, url_a] * 2, strict=True):
                    headers = {"X-Max-Bot-Api-Secret": SECRET}
                    async with http.post(target + "/max/hook", json=update, headers=headers) as response:
                        assert response.status == 200
            await asyncio.sleep(0.5)
            assert len(max_emu.messages_to(STRANGER)) == 4, "each update was handled once"
            assert first.metrics.max_webhook_duplicates._value.get() == 2
            assert second.metrics.max_webhook_duplicates._value.get() == 2
