"""Wiring: everything is built here, inside functions, and handed on through dispatcher data."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import BotCommandScopeChat, BotCommandScopeDefault
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.health import DELIVERY, PLANNER, Health
from bot.metrics import Metrics
from bot.settings import Settings
from handlers import get_routers
from handlers.errors import on_error
from handlers.middlewares import DbSessionMiddleware, MemberMiddleware
from maxbot.app import MaxApp, create_max
from maxbot.files import file_fetcher
from maxbot.sender import MaxProgressPost
from models import membership, migrate
from models.calendar import WorkCalendar
from models.channels import Channel, principal_for_max
from models.config import Config
from models.db import OUTBOX_CHANNEL, create_engine, create_session_factory
from models.membership import AttemptLimiter
from models.policy import Audience
from models.rules import RuleConfig
from scheduler.broadcast_progress import ProgressReporter, TelegramProgressPost
from scheduler.delivery import DeliveryLimits, DeliveryWorker, Doorbell
from scheduler.jobs import add_maintenance_jobs, create_scheduler
from scheduler.leader import Leadership, Role
from ui.menus import MENUS
from ui.render import Renderer
from ui.sender import FileFetch, TelegramSender
from ui.texts import TIMEZONES

log = logging.getLogger(__name__)

MENU_VERSION = 2  # raise when the menus change: every member's menu is set again at the next start


def domain_config(settings: Settings) -> Config:
    """The plain values the domain services take, built once from the settings."""
    zones = [settings.zone, *(ZoneInfo(name) for name in TIMEZONES)]
    eastmost = max(zones, key=lambda zone: datetime.now(zone).utcoffset() or timedelta(0))
    return Config(
        # Admins are known by their principal id, as members are: a MAX admin by his negated MAX id.
        admin_ids=settings.admin_ids | {principal_for_max(i) for i in settings.max_admin_ids},
        review_required=settings.review_required,
        invite_ttl_days=settings.invite_ttl_days,
        rules=RuleConfig(
            days_before=tuple(sorted({d for d in settings.reminder_days_before if d >= 0}, reverse=True)),
            overdue_every_days=settings.overdue_every_days,
            escalate_after_days=settings.escalate_after_days,
            acknowledge_days=settings.acknowledge_within_days,
            at=settings.digest_time,
            zone=settings.zone,
            calendar=WorkCalendar(settings.extra_days_off),
            fire_zone=eastmost,
        ),
        quiet_start=settings.quiet_hours_start,
        quiet_end=settings.quiet_hours_end,
        digest_weekday=settings.digest_weekday,
        digest_at=settings.digest_time,
        channel_fallback_after=(
            timedelta(minutes=settings.channel_fallback_minutes)
            if settings.max_bot_token is not None and settings.channel_fallback_minutes > 0
            else None
        ),
    )


@dataclass(slots=True)
class App:
    settings: Settings
    config: Config
    bot: Bot
    dispatcher: Dispatcher
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    delivery: DeliveryWorker
    metrics: Metrics
    leadership: Leadership
    health: Health
    max: MaxSide | None = None  # MAX (maxbot/), when MAX_BOT_TOKEN is set


def create_bot(settings: Settings) -> Bot:
    session = None
    if settings.telegram_api_base:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def create_dispatcher(
    settings: Settings, config: Config, session_factory: async_sessionmaker[AsyncSession], delivery: DeliveryWorker
) -> Dispatcher:
    dp = Dispatcher(
        # One chat's updates are handled one after another: a long paste arrives as several messages at once,
        # and a wizard's state must see each of them in order.
        events_isolation=SimpleEventIsolation(),
        settings=settings,
        config=config,
        renderer=Renderer(config),
        session_factory=session_factory,
        delivery=delivery,
        scheduler=create_scheduler(session_factory, config),
        limiter=AttemptLimiter(),  # invite-code guessing: per user, in memory
    )
    dp.update.outer_middleware(DbSessionMiddleware(session_factory))
    dp.update.outer_middleware(MemberMiddleware())
    dp.errors.register(on_error)
    dp.include_routers(*get_routers())
    dp.startup.register(on_startup)
    dp.shutdown.register(on_shutdown)
    return dp


async def on_shutdown(leadership: Leadership, scheduler: AsyncIOScheduler, max_side: MaxSide | None = None) -> None:
    # The delivery round in flight is finished and recorded before the process exits: no lost writes.
    await leadership.stop()
    if scheduler.running:
        scheduler.shutdown(wait=False)
    if max_side is not None:
        await max_side.stop()


async def on_startup(
    bot: Bot,
    settings: Settings,
    leadership: Leadership,
    session_factory: async_sessionmaker[AsyncSession],
    max_side: MaxSide | None = None,
) -> None:
    # The delivery worker and the planner start where this instance is elected (at once on SQLite).
    await leadership.start()
    if max_side is not None:  # MAX lives and dies with the Telegram dispatcher: one process, one lifecycle
        await max_side.start()
    # Members' own menus are set through the outbox whenever their role changes; once per menu version
    # every member's is set again, so a new version reaches those who joined before it.
    async with session_factory() as session:
        await membership.sync_menus(session, MENU_VERSION)
    try:
        await bot.set_my_commands(MENUS[Audience.GUEST], scope=BotCommandScopeDefault())
    except TelegramNetworkError:  # Telegram unreachable right now: polling retries, commands can wait
        log.warning("could not register commands: Telegram is unreachable")
        return
    for admin_id in settings.admin_ids:
        try:
            await bot.set_my_commands(MENUS[Audience.ADMIN], scope=BotCommandScopeChat(chat_id=admin_id))
        except Exception:  # an admin who never opened the bot: Telegram answers "chat not found"
            log.warning("could not set admin commands for %s", admin_id)


def create_worker(
    bot: Bot,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    config: Config,
    doorbell: Doorbell | None = None,
    progress: ProgressReporter | None = None,
    fetch_max: FileFetch | None = None,
) -> DeliveryWorker:
    return DeliveryWorker(
        TelegramSender(bot, fetch_max),
        Renderer(config),
        session_factory,
        DeliveryLimits(
            rate_per_second=settings.delivery_rate_per_second,
            chat_interval_seconds=settings.delivery_chat_interval_seconds,
            max_attempts=settings.delivery_max_attempts,
        ),
        progress or progress_reporter(bot, session_factory, settings),
        doorbell=doorbell,
    )


def progress_reporter(
    bot: Bot, session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> ProgressReporter:
    """The admin's broadcast progress, shown on Telegram (MAX adds its own post when it is on)."""
    return ProgressReporter(
        session_factory,
        {Channel.TELEGRAM: TelegramProgressPost(bot)},
        interval=settings.progress_edit_interval_seconds,
    )


class DatabaseUnavailableError(Exception):
    """The database named by DATABASE_URL cannot be opened: wrong address, password, or a server that is down."""


async def open_database(settings: Settings) -> AsyncEngine:
    """Connect once before migrating, so a wrong DATABASE_URL is one clear line rather than a traceback."""
    engine = create_engine(settings.database_url)
    try:
        db_file = settings.sqlite_path()
        if db_file is not None:
            db_file.parent.mkdir(parents=True, exist_ok=True)
        async with engine.connect():
            pass
    except Exception as exc:  # any driver's refusal: asyncpg, sqlite3, OSError from the socket
        await engine.dispose()
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnavailableError(reason) from exc
    return engine


async def create_app(settings: Settings) -> App:
    """Build the app and bring the database schema up to date."""
    engine = await open_database(settings)
    try:
        await migrate.upgrade(engine)
        config = domain_config(settings)
        doorbell = Doorbell()
        max_doorbell = Doorbell()

        def ring() -> None:  # a commit that queued rows wakes both workers: each takes its own channel's
            doorbell.ring()
            max_doorbell.ring()

        session_factory = create_session_factory(engine, on_outbox_commit=ring)
        bot = create_bot(settings)
        progress = progress_reporter(bot, session_factory, settings)  # one for both workers: one message each
        # Files sent on MAX reach reviewers on Telegram: fetched from MAX once, then by Telegram's file id.
        fetch_max = file_fetcher(session_factory) if settings.max_bot_token is not None else None
        delivery = create_worker(bot, session_factory, settings, config, doorbell, progress, fetch_max)
        dispatcher = create_dispatcher(settings, config, session_factory, delivery)
        max_side = create_max_side(settings, config, session_factory, bot, max_doorbell, progress)
        if max_side is not None:
            dispatcher["max_side"] = max_side
            me = max_side.app.bot  # maxapi learns the bot's username at the start of polling (GET /me)
            dispatcher["max_username"] = lambda: me.me.username if me.me is not None else None
        metrics = Metrics()
        install_instances(settings, engine, session_factory, dispatcher, delivery, metrics)
        leadership: Leadership = dispatcher["leadership"]
    except BaseException:
        await engine.dispose()
        raise
    return App(
        settings=settings,
        config=config,
        bot=bot,
        dispatcher=dispatcher,
        engine=engine,
        session_factory=session_factory,
        delivery=delivery,
        max=max_side,
        metrics=metrics,
        leadership=leadership,
        health=Health(session_factory, delivery, leadership, metrics),
    )


def install_instances(
    settings: Settings,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    dispatcher: Dispatcher,
    delivery: DeliveryWorker,
    metrics: Metrics,
) -> None:
    """What running several instances needs: FSM state in Redis (if configured), one elected instance per
    singleton role (the delivery worker, the planner), and the metrics of this one."""
    if settings.redis_url:
        dispatcher.fsm.storage = create_redis_storage(settings)
    scheduler: AsyncIOScheduler = dispatcher["scheduler"]
    add_maintenance_jobs(scheduler, session_factory, metrics.planner_tick_seconds.observe)

    async def start_planner() -> None:
        if scheduler.running:
            scheduler.resume()
        else:
            scheduler.start()

    async def stop_planner() -> None:
        if scheduler.running:
            scheduler.pause()

    dispatcher["leadership"] = Leadership(
        engine,
        [
            Role(
                DELIVERY,
                delivery.start,
                delivery.stop,
                channel=OUTBOX_CHANNEL,
                wake=delivery.wake,
                alive=lambda: delivery.running,
            ),
            Role(PLANNER, start_planner, stop_planner),
        ],
        retry_seconds=settings.leader_retry_seconds,
    )
    metrics.watch_delivery(lambda: delivery.stats)
    metrics.install(dispatcher)


def create_redis_storage(settings: Settings) -> BaseStorage:
    """FSM state (wizards half-way) in Redis: any instance can take a user's next step, and a restart
    loses nothing. Keys: `<prefix>:fsm:<bot>:<chat>:<user>:…`."""
    from aiogram.fsm.storage.base import DefaultKeyBuilder
    from aiogram.fsm.storage.redis import RedisStorage

    return RedisStorage.from_url(
        settings.redis_url,
        key_builder=DefaultKeyBuilder(prefix=f"{settings.redis_key_prefix}:fsm", with_bot_id=True),
    )


@dataclass(slots=True)
class MaxSide:
    """MAX's dispatcher and its delivery worker: a second messenger beside Telegram (maxbot/)."""

    app: MaxApp
    delivery: DeliveryWorker

    async def start(self) -> None:
        await self.delivery.start()
        self.app.start_polling()

    async def stop(self) -> None:
        await self.delivery.stop()  # first: the worker sends through the client the app closes
        await self.app.stop()


def create_max_side(
    settings: Settings,
    config: Config,
    session_factory: async_sessionmaker[AsyncSession],
    bot: Bot,
    doorbell: Doorbell,
    progress: ProgressReporter,
) -> MaxSide | None:
    """None without MAX_BOT_TOKEN. The MAX worker drains the rows routed to MAX at MAX's own rate; files that
    came through Telegram are fetched with the Telegram bot once and uploaded to MAX."""
    if settings.max_bot_token is None:
        return None

    async def fetch_telegram(file_id: str) -> tuple[str, bytes]:
        file = await bot.get_file(file_id)
        data = await bot.download_file(file.file_path or "")
        name = (file.file_path or file_id).rsplit("/", 1)[-1]
        return name, data.read() if data is not None else b""

    max_app = create_max(
        settings.max_bot_token.get_secret_value(),
        settings.max_api_base,
        session_factory,
        config,
        timezone=settings.timezone,
        fetch_telegram=fetch_telegram,
        max_upload_bytes=settings.max_upload_bytes,
    )
    progress.add(Channel.MAX, MaxProgressPost(max_app.client))
    worker = DeliveryWorker(
        max_app.sender,
        max_app.renderer,
        session_factory,
        DeliveryLimits(
            rate_per_second=settings.max_delivery_rate_per_second,
            chat_interval_seconds=settings.delivery_chat_interval_seconds,
            max_attempts=settings.delivery_max_attempts,
        ),
        progress,
        doorbell=doorbell,
        channel=Channel.MAX,
    )
    return MaxSide(max_app, worker)


class TokenRejectedError(Exception):
    """Telegram answered 401: the token is well-formed but not a bot's."""


async def check_token(settings: Settings, *, max_wait: float = 60.0) -> None:
    """Ask Telegram who we are before touching the database: a wrong token stops the start at once.

    Telegram out of reach (no network yet, a server that boots before its uplink) is waited for with a
    growing pause, as aiogram's own polling does later: start_polling would otherwise stop on it.
    """
    bot = create_bot(settings)
    wait = 1.0
    try:
        while True:
            try:
                await bot.get_me()
                return
            except TelegramUnauthorizedError as exc:
                raise TokenRejectedError from exc
            except TelegramNetworkError as exc:
                log.warning("Telegram is unreachable (%s); trying again in %.0f s", exc.message, wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, max_wait)
    finally:
        await bot.session.close()


async def run_polling(settings: Settings) -> None:
    await check_token(settings)
    app = await create_app(settings)
    try:
        await app.dispatcher.start_polling(
            app.bot,
            handle_signals=True,
            close_bot_session=True,
            allowed_updates=app.dispatcher.resolve_used_update_types(),
        )
    finally:
        await app.engine.dispose()
