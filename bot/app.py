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
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.health import DELIVERY, MAX_POLLING, PLANNER, Health
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
from models.entities import Delivery, DeliveryState
from models.membership import AttemptLimiter
from models.policy import Audience
from models.rules import RuleConfig
from scheduler.broadcast_progress import ProgressPost, ProgressReporter, TelegramProgressPost
from scheduler.delivery import DeliveryLimits, DeliveryWorker, Doorbell, WorkerStats
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
    bot: Bot | None  # Telegram; None when the bot runs on MAX alone (no BOT_TOKEN)
    # aiogram's dispatcher: Telegram's routers, and the services every mode shares (scheduler, leadership).
    dispatcher: Dispatcher
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    delivery: DeliveryWorker  # Telegram's outbox worker; MAX's when the bot runs on MAX alone
    senders: Senders  # every outbox worker of this instance, run together as the DELIVERY role
    metrics: Metrics
    leadership: Leadership
    health: Health
    max: MaxSide | None = None  # MAX (maxbot/), when MAX_BOT_TOKEN is set


def create_bot(settings: Settings) -> Bot:
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is not set: the bot runs on MAX alone")
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


async def start_services(leadership: Leadership, max_side: MaxSide | None) -> None:
    """What runs beside the messengers' updates, in every mode: MAX's dispatcher (and its webhook
    subscription), then the elected roles — delivery, planner, MAX polling — where this instance leads
    them (all at once on SQLite)."""
    if max_side is not None:
        await max_side.start()
    await leadership.start()


async def stop_services(leadership: Leadership, scheduler: AsyncIOScheduler, max_side: MaxSide | None) -> None:
    # The delivery round in flight is finished and recorded before the process exits: no lost writes.
    await leadership.stop()
    if scheduler.running:
        scheduler.shutdown(wait=False)
    if max_side is not None:
        await max_side.stop()


async def on_shutdown(leadership: Leadership, scheduler: AsyncIOScheduler, max_side: MaxSide | None = None) -> None:
    await stop_services(leadership, scheduler, max_side)


async def on_startup(
    bot: Bot,
    settings: Settings,
    leadership: Leadership,
    session_factory: async_sessionmaker[AsyncSession],
    max_side: MaxSide | None = None,
) -> None:
    # MAX lives and dies with the Telegram dispatcher: one process, one lifecycle.
    await start_services(leadership, max_side)
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
    bot: Bot | None, session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> ProgressReporter:
    """The admin's broadcast progress, shown in the messenger he published from: Telegram's post here, MAX's
    added by `create_max_side`. One reporter serves both workers: one message per broadcast."""
    posts: dict[Channel, ProgressPost] = {Channel.TELEGRAM: TelegramProgressPost(bot)} if bot is not None else {}
    return ProgressReporter(session_factory, posts, interval=settings.progress_edit_interval_seconds)


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
        bot = create_bot(settings) if settings.bot_token is not None else None
        progress = progress_reporter(bot, session_factory, settings)  # one for both workers: one message each
        max_side = create_max_side(settings, config, session_factory, bot, max_doorbell, progress)
        workers: list[DeliveryWorker] = []
        if bot is not None:
            # Files sent on MAX reach reviewers on Telegram: fetched from MAX once, then by Telegram's file id.
            fetch_max = file_fetcher(session_factory) if settings.max_bot_token is not None else None
            workers.append(create_worker(bot, session_factory, settings, config, doorbell, progress, fetch_max))
        if max_side is not None:
            workers.append(max_side.delivery)
        senders = Senders(tuple(workers))
        delivery = workers[0]  # settings require a token: one of the two exists
        dispatcher = create_dispatcher(settings, config, session_factory, delivery)
        if max_side is not None:
            dispatcher["max_side"] = max_side
            dispatcher["max_username"] = lambda: max_side.app.username  # learnt at start (GET /me)
        metrics = Metrics()
        install_instances(settings, engine, session_factory, dispatcher, senders, metrics, max_side)
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
        senders=senders,
        max=max_side,
        metrics=metrics,
        leadership=leadership,
        health=Health(session_factory, senders, leadership, metrics),
    )


def install_instances(
    settings: Settings,
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    dispatcher: Dispatcher,
    senders: Senders,
    metrics: Metrics,
    max_side: MaxSide | None = None,
) -> None:
    """What running several instances needs: FSM state in Redis (if configured), one elected instance per
    singleton role (the outbox workers of both messengers, the planner, MAX's long polling), and the metrics
    of this one."""
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

    roles = [
        # One instance sends, on every messenger: each messenger's limits are per bot, kept by one worker.
        # A commit that queued rows rings both workers' doorbells here; pg_notify reaches the leader elsewhere.
        Role(
            DELIVERY,
            senders.start,
            senders.stop,
            channel=OUTBOX_CHANNEL,
            wake=senders.wake,
            alive=lambda: senders.running,
        ),
        Role(PLANNER, start_planner, stop_planner),
    ]
    if max_side is not None and not settings.max_webhook_url:
        # MAX hands each update to whoever polls: two pollers would split (and race over) one stream.
        polling = max_side.app
        roles.append(Role(MAX_POLLING, polling.start_polling, polling.stop_polling, alive=lambda: polling.polling))
    dispatcher["leadership"] = Leadership(engine, roles, retry_seconds=settings.leader_retry_seconds)
    metrics.watch_delivery(senders.stats)
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
class Senders:
    """The outbox workers of this instance, one per messenger, started and stopped together as the DELIVERY
    role: exactly one instance sends, on Telegram and on MAX."""

    workers: tuple[DeliveryWorker, ...]

    async def start(self) -> None:
        for worker in self.workers:
            await worker.start()

    async def stop(self) -> None:
        for worker in self.workers:
            await worker.stop()

    def wake(self) -> None:
        for worker in self.workers:
            worker.wake()

    @property
    def running(self) -> bool:
        return all(worker.running for worker in self.workers)

    def stats(self) -> WorkerStats:
        """The workers' counters added up (for /metrics)."""
        total = WorkerStats()
        for worker in self.workers:
            s = worker.stats
            total.sent, total.blocked, total.failed = (
                total.sent + s.sent,
                total.blocked + s.blocked,
                total.failed + s.failed,
            )
            total.retried, total.rate_limited = total.retried + s.retried, total.rate_limited + s.rate_limited
        return total


@dataclass(slots=True)
class MaxSide:
    """MAX's dispatcher and its delivery worker: a second messenger beside Telegram, or the only one
    (maxbot/). The worker runs with the DELIVERY role and polling with MAX_POLLING (`install_instances`);
    in webhook mode every instance subscribes at start and takes MAX's POSTs (`bot.webhook`)."""

    app: MaxApp
    delivery: DeliveryWorker
    webhook: tuple[str, str] | None = None  # (MAX_WEBHOOK_URL, MAX_WEBHOOK_SECRET); None: long polling

    async def start(self) -> None:
        await self.app.start()
        if self.webhook is not None:
            try:
                await self.app.subscribe(*self.webhook)
            except Exception:  # MAX unreachable: Telegram (if any) goes on; MAX's updates wait for a restart
                log.exception("could not subscribe MAX's webhook %s", self.webhook[0])

    async def stop(self) -> None:
        await self.delivery.stop()  # first: the worker sends through the client the app closes
        await self.app.stop()


def create_max_side(
    settings: Settings,
    config: Config,
    session_factory: async_sessionmaker[AsyncSession],
    bot: Bot | None,
    doorbell: Doorbell,
    progress: ProgressReporter,
) -> MaxSide | None:
    """None without MAX_BOT_TOKEN. The MAX worker drains the rows routed to MAX at MAX's own rate; files that
    came through Telegram are fetched with the Telegram bot once and uploaded to MAX (not without one)."""
    if settings.max_bot_token is None:
        return None

    async def fetch_telegram(file_id: str) -> tuple[str, bytes]:
        assert bot is not None
        file = await bot.get_file(file_id)
        data = await bot.download_file(file.file_path or "")
        name = (file.file_path or file_id).rsplit("/", 1)[-1]
        return name, data.read() if data is not None else b""

    async def telegram_username() -> str:
        assert bot is not None
        return (await bot.me()).username or ""  # asked once: aiogram keeps the answer

    max_app = create_max(
        settings.max_bot_token.get_secret_value(),
        settings.max_api_base,
        session_factory,
        config,
        timezone=settings.timezone,
        fetch_telegram=fetch_telegram if bot is not None else None,
        max_upload_bytes=settings.max_upload_bytes,
        redis_url=settings.redis_url,
        redis_key_prefix=settings.redis_key_prefix,
        telegram_username=telegram_username if bot is not None else None,
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
    webhook = (settings.max_webhook_url, settings.max_webhook_secret.get_secret_value())
    return MaxSide(max_app, worker, webhook if settings.max_webhook_url else None)


async def waiting_for_telegram(session_factory: async_sessionmaker[AsyncSession]) -> int:
    """Notices queued for Telegram: without BOT_TOKEN they wait (see README, «MAX»)."""
    async with session_factory() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.channel == str(Channel.TELEGRAM), Delivery.state == DeliveryState.PENDING)
        )
    return int(count or 0)


class TokenRejectedError(Exception):
    """Telegram answered 401: the token is well-formed but not a bot's."""


async def check_token(settings: Settings, *, max_wait: float = 60.0) -> None:
    """Ask Telegram who we are before touching the database: a wrong token stops the start at once.

    Telegram out of reach (no network yet, a server that boots before its uplink) is waited for with a
    growing pause, as aiogram's own polling does later: start_polling would otherwise stop on it.
    """
    if settings.bot_token is None:
        return  # MAX alone: nothing to ask Telegram
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
