"""The MAX side's pieces, built by `bot.app` when MAX_BOT_TOKEN is set: the maxapi Bot and Dispatcher, the REST
client the handlers and the MAX delivery worker share, and the renderer. Updates come by long polling
(`GET /updates`, on the one instance elected for it) or by webhook (MAX POSTs them to every instance; `bot.webhook`
checks the secret and de-duplicates, then hands each raw update to `handle_raw`). Nothing is created at import
time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from maxapi import Bot, Dispatcher
from maxapi.context import MemoryContext, RedisContext, SimpleEventIsolation
from maxapi.enums.update import UpdateType
from maxapi.methods.types.getted_updates import process_update_webhook, warn_unprocessable_event
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
    redis: Any = None  # redis.asyncio.Redis behind the dialogs' state, when REDIS_URL is set
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    async def start(self) -> bool:
        """Ready to handle updates, on every instance: the handlers prepared and the bot's username learnt
        (GET /me; invite links need it). MAX out of reach is no reason to stop: polling, or the next
        webhook update, asks again. Returns whether it is ready."""
        try:
            await self.dispatcher.startup(self.bot)
        except Exception as exc:  # network errors, MAX's 5xx: the username stays unknown for now
            log.warning("MAX is unreachable at start (%r): the bot's username is learnt later", exc)
        return self.ready

    @property
    def ready(self) -> bool:
        return self.dispatcher.bot is not None and self.bot.me is not None

    @property
    def username(self) -> str | None:
        return self.bot.me.username if self.bot.me is not None else None

    # -- long polling: on the instance elected for it ------------------------------------------------

    async def start_polling(self) -> None:
        """Poll MAX in the background. A subscription left by an earlier webhook deployment is removed
        first: MAX sends nothing to GET /updates while one exists."""
        try:
            await self.bot.delete_webhook()
        except Exception as exc:  # MAX unreachable: polling retries by itself, the subscription check later
            log.warning("could not check MAX's webhook subscriptions: %r", exc)
        self._task = asyncio.create_task(self.dispatcher.start_polling(self.bot), name="max-polling")
        await asyncio.sleep(0)  # let the loop begin, so that stop_polling finds it

    @property
    def polling(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop_polling(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        await self.dispatcher.stop_polling()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task

    # -- webhook: on every instance --------------------------------------------------------------------

    def update_types(self) -> list[UpdateType]:
        """The kinds of update some handler takes: all MAX needs to send."""
        found: list[UpdateType] = []
        seen: set[int] = set()
        routers: list[Any] = [self.dispatcher]
        while routers:
            router = routers.pop()
            if id(router) in seen:
                continue
            seen.add(id(router))
            found += [h.update_type for h in router.event_handlers if h.update_type not in found]
            routers += router.routers
        return found

    async def subscribe(self, url: str, secret: str) -> None:
        """Point MAX at this deployment. Every instance does it at start with the same URL and secret."""
        await self.bot.subscribe_webhook(url=url, update_types=self.update_types(), secret=secret)

    async def handle_raw(self, update: dict[str, Any]) -> bool:
        """Hand one update, as MAX posted it, to the dispatcher, which handles it in the background (the
        webhook answers at once). False for an update maxapi cannot parse (logged)."""
        event = await process_update_webhook(event_json=update, bot=self.bot)
        if event is None:
            warn_unprocessable_event(update)
            return False
        self.dispatcher.spawn_handle_task(event)
        return True

    # -- both --------------------------------------------------------------------------------------------

    async def stop(self) -> None:
        """Stop polling, let the updates in hand finish, close the connections."""
        await self.stop_polling()
        await self.dispatcher.shutdown()
        await self.bot.close_session()
        await self.client.close()
        if self.redis is not None:
            await self.redis.aclose()


def create_max(
    token: str,
    api_base: str | None,
    session_factory: async_sessionmaker[AsyncSession],
    config: Config,
    *,
    timezone: str,
    fetch_telegram: TelegramFetch | None = None,
    max_upload_bytes: int = 10 * 1024 * 1024,
    redis_url: str = "",
    redis_key_prefix: str = "adresat",
    telegram_username: Callable[[], Awaitable[str]] | None = None,
) -> MaxApp:
    client = MaxClient(token, api_base)
    renderer = MaxRenderer(config)
    # auto_requests=False: the handlers need only the ids in each update, not a GET /chats per update.
    bot = Bot(token=token, auto_requests=False)
    if api_base:
        bot.set_api_url(api_base.rstrip("/"))
    # One user's updates are handled one after another (webhook updates are handled in the background).
    isolation = SimpleEventIsolation()
    redis: Any = None
    if redis_url:  # dialogs half-way live in Redis: with webhooks any instance takes the user's next step
        from redis.asyncio import Redis

        redis = Redis.from_url(redis_url)
        dispatcher = Dispatcher(
            storage=RedisContext, event_isolation=isolation, redis_client=redis, key_prefix=f"{redis_key_prefix}:max"
        )
    else:
        dispatcher = Dispatcher(storage=MemoryContext, event_isolation=isolation)
    deps = MaxDeps(
        session_factory=session_factory,
        config=config,
        client=client,
        renderer=renderer,
        limiter=AttemptLimiter(),
        timezone=timezone,
        max_upload_bytes=max_upload_bytes,
        telegram_username=telegram_username,
    )
    dispatcher.register_outer_middleware(DepsMiddleware(deps))
    dispatcher.include_routers(create_router())
    return MaxApp(client, bot, dispatcher, renderer, MaxSender(client, fetch_telegram), redis)
