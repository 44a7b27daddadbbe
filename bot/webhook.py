"""Webhook mode: an aiohttp server takes Telegram's POSTs (and serves /healthz and /metrics).

Telegram posts each update to `WEBHOOK_URL` with the header `X-Telegram-Bot-Api-Secret-Token` set to the
secret given in setWebhook. A request without the right secret is refused with 401 before anything is
read. An update is answered 200 after it has been handled, so the reverse proxy's and Telegram's
connection limits pace the instance; an update Telegram sends again (its request timed out, or it went to
the other instance first) is recognised by its `update_id` and dropped (`models.updates`).
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

from bot.app import App, check_token, create_app
from bot.metrics import Metrics
from bot.settings import Settings
from models import updates

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
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


def build_web_app(app: App, *, webhook: bool) -> web.Application:
    """The instance's HTTP server: /healthz and /metrics, and in webhook mode the webhook path. In webhook
    mode the dispatcher's startup and shutdown hooks run with the server's (setup_application)."""
    web_app = web.Application()
    app.health.add_routes(web_app)
    if webhook:
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
        await app.bot.session.close()
        await app.engine.dispose()


async def run_polling_with_metrics(settings: Settings) -> None:
    """Long polling (the default), with /healthz and /metrics on METRICS_PORT when it is set."""
    await check_token(settings)
    app = await create_app(settings)
    try:
        # Telegram keeps a webhook set by an earlier webhook deployment; polling would get 409 until it goes.
        await app.bot.delete_webhook(drop_pending_updates=False)
        metrics_server = (
            serving(build_web_app(app, webhook=False), settings.webhook_host, settings.metrics_port)
            if settings.metrics_port
            else contextlib.nullcontext("")
        )
        async with metrics_server:
            await app.dispatcher.start_polling(
                app.bot,
                handle_signals=True,
                close_bot_session=True,
                allowed_updates=app.dispatcher.resolve_used_update_types(),
            )
    finally:
        await app.engine.dispose()


async def run(settings: Settings) -> None:
    await (run_webhook(settings) if settings.webhook_url else run_polling_with_metrics(settings))
