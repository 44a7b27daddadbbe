"""The MAX side's pieces, built by `bot.app` when MAX_BOT_TOKEN is set: the maxapi Bot and Dispatcher (long
polling `GET /updates`), the REST client the handlers and the MAX delivery worker share, and the renderer.
Nothing is created at import time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from maxapi import Bot, Dispatcher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from maxbot.client import MaxClient
from maxbot.handlers import DepsMiddleware, MaxDeps, create_router
from maxbot.render import MaxRenderer
from maxbot.sender import MaxSender, TelegramFetch
from models.config import Config
from models.membership import AttemptLimiter

log = logging.getLogger(__name__)


@dataclass(slots=True)
class MaxApp:
    client: MaxClient
    bot: Bot
    dispatcher: Dispatcher
    renderer: MaxRenderer
    sender: MaxSender
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def start_polling(self) -> None:
        """Poll MAX in the background (started and stopped with the Telegram dispatcher)."""
        self._task = asyncio.create_task(self.dispatcher.start_polling(self.bot), name="max-polling")

    async def stop(self) -> None:
        if self._task is not None:
            await self.dispatcher.stop_polling()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        await self.bot.close_session()
        await self.client.close()


def create_max(
    token: str,
    api_base: str | None,
    session_factory: async_sessionmaker[AsyncSession],
    config: Config,
    *,
    timezone: str,
    fetch_telegram: TelegramFetch | None = None,
    max_upload_bytes: int = 10 * 1024 * 1024,
) -> MaxApp:
    client = MaxClient(token, api_base)
    renderer = MaxRenderer(config)
    # auto_requests=False: the handlers need only the ids in each update, not a GET /chats per update.
    bot = Bot(token=token, auto_requests=False)
    if api_base:
        bot.set_api_url(api_base.rstrip("/"))
    dispatcher = Dispatcher()
    deps = MaxDeps(
        session_factory=session_factory,
        config=config,
        client=client,
        renderer=renderer,
        limiter=AttemptLimiter(),
        timezone=timezone,
        max_upload_bytes=max_upload_bytes,
    )
    dispatcher.register_outer_middleware(DepsMiddleware(deps))
    dispatcher.include_routers(create_router())
    return MaxApp(client, bot, dispatcher, renderer, MaxSender(client, fetch_telegram))
