"""Webhook mode: an aiohttp server takes Telegram's and MAX's POSTs (and serves /healthz and /metrics).

Telegram posts each update to `WEBHOOK_URL` with the header `X-Telegram-Bot-Api-Secret-Token` set to the
secret given in setWebhook. A request without the right secret is refused with 401 before anything is
read. An update is answered 200 after it has been handled, so the reverse proxy's and Telegram's
connection limits pace the instance; an update Telegram sends again (its request timed out, or it went to
the other instance first) is recognised by its `update_id` and dropped (`models.updates`).

MAX posts each update to `MAX_WEBHOOK_URL` with `X-Max-Bot-Api-Secret` set to the secret of the subscription,
and posts it again until it gets a 200. The secret is checked the same way (403 on a mismatch); a repeat is
recognised by what names the update (its callback id, its message's mid, …) and dropped; an accepted update is
handed to maxapi's dispatcher, which handles it in the background, so MAX gets its 200 at once. The MAX path
is served on the same server as Telegram's — or, when Telegram polls or is not used, on the instance's
health server (`Settings.http_port`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import App, check_token, create_app, start_services, stop_services, waiting_for_telegram
from bot.metrics import Metrics
from bot.settings import Settings
from maxbot.app import MaxApp
from models import updates

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_SECRET_HEADER = "X-Max-Bot-Api-Secret"
SHUTDOWN_TIMEOUT = 10.0  # seconds for updates in hand to finish on SIGTERM


class WebhookHandler:
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        secret: str,
        metrics: Metrics,
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.session_factory = session_factory
        self.secret = secret.encode()
        self.metrics = metrics

    async def handle(self, request: web.Request) -> web.Response:
        supplied = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        # Constant time: the comparison must not tell a prober how many leading characters were right.
        if not self.secret or not hmac.compare_digest(supplied, self.secret):
            self.metrics.webhook_rejected.inc()
            return web.Response(status=401, text="wrong secret token")
        try:
            update = Update.model_validate(await request.json(), context={"bot": self.bot})
        except (ValueError, ValidationError):
            return web.Response(status=400, text="not an update")
        # A database error here answers 500: Telegram keeps the update and posts it again later.
        async with self.session_factory() as session:
            first = await updates.claim(session, update.update_id)
        if not first:
            self.metrics.webhook_duplicates.inc()
            return web.json_response({})
        try:
            await self.dispatcher.feed_update(self.bot, update)
        except Exception:  # already logged by the errors handler; a retry would be dropped as a repeat anyway
            log.exception("update %s failed", update.update_id)
        return web.json_response({})


class MaxWebhookHandler:
    def __init__(
        self,
        max_app: MaxApp,
        session_factory: async_sessionmaker[AsyncSession],
        secret: str,
        metrics: Metrics,
    ) -> None:
        self.max_app = max_app
        self.session_factory = session_factory
        self.secret = secret.encode()
        self.metrics = metrics

    async def handle(self, request: web.Request) -> web.Response:
        supplied = request.headers.get(MAX_SECRET_HEADER, "").encode("utf-8", "replace")
        if not self.secret or not hmac.compare_digest(supplied, self.secret):  # constant time, as Telegram's
            self.metrics.max_webhook_rejected.inc()
            return web.Response(status=403, text="wrong secret")
        try:
            update = await request.json()
        except ValueError:
            return web.Response(status=400, text="not an update")
        if not isinstance(update, dict) or not update.get("update_type"):
            return web.Response(status=400, text="not an update")
        if not self.max_app.ready and not await self.max_app.start():
            return web.Response(status=503, text="MAX is unreachable")  # not claimed: MAX posts it again
        # A database error here answers 500: MAX keeps the update and posts it again later.
        async with self.session_factory() as session:
            first = await updates.claim_max(session, updates.max_update_key(update))
        if not first:
            self.metrics.max_webhook_duplicates.inc()
            return web.json_response({"ok": True})
        await self.max_app.handle_raw(update)  # in the background: MAX is answered at once
        return web.json_response({"ok": True})


def build_web_app(app: App, *, webhook: bool) -> web.Application:
    """The instance's HTTP server: /healthz and /metrics, MAX's webhook path when MAX_WEBHOOK_URL is set, and
    in Telegram's webhook mode Telegram's path. In that mode the dispatcher's startup and shutdown hooks run
    with the server's (setup_application)."""
    web_app = web.Application()
    app.health.add_routes(web_app)
    if app.max is not None and app.settings.max_webhook_url:
        max_handler = MaxWebhookHandler(
            app.max.app, app.session_factory, app.settings.max_webhook_secret.get_secret_value(), app.metrics
        )
        web_app.router.add_post(app.settings.max_webhook_path, max_handler.handle)
    if webhook:
        assert app.bot is not None, "Telegram's webhook needs BOT_TOKEN"
        handler = WebhookHandler(
            app.dispatcher,
            app.bot,
            app.session_factory,
            app.settings.webhook_secret.get_secret_value(),
            app.metrics,
        )
        web_app.router.add_post(app.settings.webhook_path, handler.handle)
        setup_application(web_app, app.dispatcher, bot=app.bot)
    return web_app


@asynccontextmanager
async def serving(web_app: web.Application, host: str, port: int) -> AsyncIterator[str]:
    """Serve `web_app` on host:port (0: any free port) until the block ends; yields the base URL."""
    runner = web.AppRunner(web_app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()  # runs on_startup: the dispatcher's startup hooks in webhook mode
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0]
        yield f"http://{bound[0]}:{bound[1]}"
    finally:
        await runner.cleanup()  # stops taking requests, lets those in hand finish, then on_shutdown


async def register_webhook(app: App) -> None:
    """Point Telegram at this deployment. Every instance does it at start with the same URL and secret:
    idempotent, and whichever starts first the webhook is right. Updates queued meanwhile are kept."""
    assert app.bot is not None
    await app.bot.set_webhook(
        url=app.settings.webhook_url,
        secret_token=app.settings.webhook_secret.get_secret_value(),
        allowed_updates=app.dispatcher.resolve_used_update_types(),
        drop_pending_updates=False,
    )


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)


async def run_webhook(settings: Settings) -> None:
    """`python -m bot` with WEBHOOK_URL set: serve until SIGTERM or SIGINT, then stop cleanly."""
    await check_token(settings)
    app = await create_app(settings)
    try:
        web_app = build_web_app(app, webhook=True)
        async with serving(web_app, settings.webhook_host, settings.webhook_port) as url:
            await register_webhook(app)
            log.info("webhook server on %s%s for %s", url, settings.webhook_path, settings.webhook_url)
            await _until_signalled()
    finally:
        if app.bot is not None:
            await app.bot.session.close()
        await app.engine.dispose()


def _health_server(app: App) -> contextlib.AbstractAsyncContextManager[str]:
    """The server beside polling: /healthz, /metrics and MAX's webhook path, where a port is set for it."""
    port = app.settings.http_port
    if port is None:
        return contextlib.nullcontext("")
    return serving(build_web_app(app, webhook=False), app.settings.webhook_host, port)


async def run_polling_with_metrics(settings: Settings) -> None:
    """Long polling (the default), with /healthz and /metrics on METRICS_PORT when it is set."""
    await check_token(settings)
    app = await create_app(settings)
    try:
        assert app.bot is not None
        # Telegram keeps a webhook set by an earlier webhook deployment; polling would get 409 until it goes.
        await app.bot.delete_webhook(drop_pending_updates=False)
        async with _health_server(app):
            await app.dispatcher.start_polling(
                app.bot,
                handle_signals=True,
                close_bot_session=True,
                allowed_updates=app.dispatcher.resolve_used_update_types(),
            )
    finally:
        await app.engine.dispose()


@asynccontextmanager
async def running_max_only(app: App, port: int | None) -> AsyncIterator[str]:
    """MAX alone: the HTTP server on `port` (None: none; 0: any free one) with /healthz, /metrics and MAX's
    webhook path, then MAX and the elected roles. At the end the server stops taking requests first, then the
    updates in hand finish, the delivery round in flight is recorded and MAX's connections close. Yields the
    server's base URL ("" without one)."""
    try:
        server = (
            serving(build_web_app(app, webhook=False), app.settings.webhook_host, port)
            if port is not None
            else contextlib.nullcontext("")
        )
        async with server as url:
            await start_services(app.leadership, app.max)
            waiting = await waiting_for_telegram(app.session_factory)
            if waiting:
                log.warning("%d notices wait for Telegram: they go out once the bot runs with BOT_TOKEN", waiting)
            yield url
    finally:
        await stop_services(app.leadership, app.dispatcher["scheduler"], app.max)


async def run_max_only(settings: Settings) -> None:
    """`python -m bot` without BOT_TOKEN: MAX (polling or webhook), the planner, the MAX outbox worker,
    /healthz and /metrics; nothing reaches Telegram. Serves until SIGTERM or SIGINT, then stops cleanly."""
    app = await create_app(settings)
    try:
        async with running_max_only(app, settings.http_port) as url:
            mode = f"webhook {settings.max_webhook_url}" if settings.max_webhook_url else "long polling"
            log.info("running on MAX alone (%s)%s", mode, f"; HTTP on {url}" if url else "")
            await _until_signalled()
    finally:
        await app.engine.dispose()


async def run(settings: Settings) -> None:
    if settings.bot_token is None:
        await run_max_only(settings)
    elif settings.webhook_url:
        await run_webhook(settings)
    else:
        await run_polling_with_metrics(settings)
