"""Webhook mode: only Telegram (the secret) gets in, a retried update is handled once, and the instance
reports its health and metrics."""

from __future__ import annotations

import asyncio

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.emulator import TelegramEmulator
from tests.instances.webapp import SECRET, WEBHOOK_URL, text_update, webhook_app, webhook_settings

HEADER = "X-Telegram-Bot-Api-Secret-Token"
PATH = "/tg/webhook"
USER = 5550


async def _post(url: str, body: object, secret: str | None) -> int:
    headers = {HEADER: secret} if secret is not None else {}
    async with aiohttp.ClientSession() as http, http.post(url + PATH, json=body, headers=headers) as response:
        return response.status


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_secret_is_required_and_checked(emulator: TelegramEmulator, database_url: str) -> None:
    async with webhook_app(webhook_settings(emulator.base_url, database_url)) as (app, url):
        # setWebhook at start carried the URL and the secret.
        assert emulator.webhook_url == WEBHOOK_URL
        assert emulator.webhook_secret == SECRET

        assert await _post(url, text_update(1, USER, "/help"), None) == 401
        assert await _post(url, text_update(2, USER, "/help"), SECRET[:-1] + "X") == 401
        assert await _post(url, text_update(3, USER, "/help"), "") == 401
        assert await _post(url, text_update(4, USER, "/help"), "секрет") == 401  # not even ASCII
        assert emulator.messages(USER) == [], "a refused request is not handled"

        assert await _post(url, text_update(5, USER, "/help"), SECRET) == 200
        # Answered before the 200: the handler ran inside the request.
        assert "Адресат" in emulator.last_message(USER).text
        assert app.metrics.webhook_rejected._value.get() == 4


async def test_a_retried_update_is_handled_once(emulator: TelegramEmulator, database_url: str) -> None:
    async with webhook_app(webhook_settings(emulator.base_url, database_url)) as (_app, url):
        update = text_update(42, USER, "/help")
        # Telegram re-posts an update whose request timed out: both copies may even arrive together.
        statuses = await asyncio.gather(*(_post(url, update, SECRET) for _ in range(3)))
        assert statuses == [200, 200, 200]
        await _post(url, update, SECRET)
        assert len(emulator.messages(USER)) == 1

        assert await _post(url, text_update(43, USER, "/help"), SECRET) == 200
        assert len(emulator.messages(USER)) == 2, "the next update is handled as usual"


async def test_a_retried_update_is_handled_once_across_two_instances(
    emulator: TelegramEmulator, database_url: str
) -> None:
    settings = webhook_settings(emulator.base_url, database_url)
    async with webhook_app(settings) as (_first, url1), webhook_app(settings) as (_second, url2):
        update = text_update(77, USER, "/help")
        statuses = await asyncio.gather(_post(url1, update, SECRET), _post(url2, update, SECRET))
        assert list(statuses) == [200, 200]
        assert len(emulator.messages(USER)) == 1


async def test_updates_pushed_by_telegram_reach_the_bot(emulator: TelegramEmulator, database_url: str) -> None:
    async with webhook_app(webhook_settings(emulator.base_url, database_url)) as (_app, url):
        emulator.route_webhook(url)
        await emulator.send_message(USER, "/help")
        (reply,) = await emulator.wait_for(USER)
        assert "Адресат" in reply.text
        await emulator.wait_until(lambda: emulator.pending_updates() == 0)  # the 200 confirmed it
        assert emulator.webhook_failures == 0


async def test_healthz_and_metrics(emulator: TelegramEmulator, database_url: str) -> None:
    async with webhook_app(webhook_settings(emulator.base_url, database_url)) as (app, url):
        assert await _post(url, text_update(7, USER, "/help"), SECRET) == 200
        async with aiohttp.ClientSession() as http:
            async with http.get(url + "/healthz") as response:
                assert response.status == 200
                health = await response.json()
            async with http.get(url + "/metrics") as response:
                assert response.status == 200
                assert response.headers["Content-Type"].startswith("text/plain")
                metrics = _samples(await response.text())
        assert health == {
            "status": "ok",
            "database": True,
            "delivery_worker": "running",
            "leader": {"delivery": True, "planner": True},
            "outbox_depth": 0,
            "oldest_pending_seconds": None,
        }
        assert metrics[("adresat_updates_total", (("type", "message"),))] == 1
        assert metrics[("adresat_update_seconds_count", (("type", "message"),))] == 1
        assert metrics[("adresat_deliveries_total", (("outcome", "sent"),))] == 0
        assert metrics[("adresat_deliveries_total", (("outcome", "rate_limited"),))] == 0
        assert metrics[("adresat_outbox_depth", ())] == 0
        assert metrics[("adresat_leader", (("role", "delivery"),))] == 1
        assert ("adresat_planner_tick_seconds_count", ()) in metrics

        # The worker gone (crashed): the instance says so and a load balancer stops sending it traffic.
        await app.delivery.stop()
        async with aiohttp.ClientSession() as http, http.get(url + "/healthz") as response:
            assert response.status == 503
            assert (await response.json())["delivery_worker"] == "stopped"
