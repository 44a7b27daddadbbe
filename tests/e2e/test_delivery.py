"""The delivery worker against the emulator: retries on 5xx and network errors, gives up after N."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from sqlalchemy import select

from bot.app import create_worker, domain_config
from bot.settings import Settings
from models import migrate, outbox
from models.db import create_engine, create_session_factory
from models.entities import Delivery, DeliveryState
from models.timeutil import utcnow
from scheduler.delivery import DeliveryWorker
from tests.e2e.harness import make_settings
from tests.emulator import TelegramEmulator
from tests.emulator.fixtures import make_bot


@asynccontextmanager
async def worker_for(emulator: TelegramEmulator, settings: Settings) -> AsyncIterator[DeliveryWorker]:
    engine = create_engine(settings.database_url)
    await migrate.upgrade(engine)
    bot = make_bot(emulator)
    try:
        worker = create_worker(bot, create_session_factory(engine), settings, domain_config(settings))
        worker.backoff_base = 0.05
        yield worker
    finally:
        await bot.session.close()
        await engine.dispose()


async def queue(worker: DeliveryWorker, *chats: int) -> None:
    async with worker.session_factory() as session:
        await outbox.enqueue(
            session, [{"key": f"t:{c}", "chat_id": c, "payload": outbox.payload(f"Сообщение {c}")} for c in chats]
        )
        await session.commit()


async def states(worker: DeliveryWorker) -> dict[int, tuple[str, int]]:
    async with worker.session_factory() as session:
        rows = (await session.execute(select(Delivery.chat_id, Delivery.state, Delivery.attempts))).all()
    return {chat: (state, attempts) for chat, state, attempts in rows}


async def test_server_errors_are_retried_then_delivered_once(emulator: TelegramEmulator, database_url: str) -> None:
    settings = make_settings(emulator.base_url, database_url, delivery_max_attempts=5)
    async with worker_for(emulator, settings) as worker:
        await queue(worker, 11)
        emulator.fail_next("sendMessage", times=2, status=502)
        async with asyncio.timeout(10):
            await worker.drain()
        emulator.fail_next("sendMessage", times=1, drop=True)  # a dropped connection: a network error
        await queue(worker, 12)
        async with asyncio.timeout(10):
            await worker.drain()
        result = await states(worker)
    assert result[11] == (DeliveryState.SENT, 3)
    assert result[12] == (DeliveryState.SENT, 2)
    assert len(emulator.messages(11)) == 1
    assert len(emulator.messages(12)) == 1


async def test_gives_up_after_max_attempts_and_says_why(emulator: TelegramEmulator, database_url: str) -> None:
    settings = make_settings(emulator.base_url, database_url, delivery_max_attempts=3)
    async with worker_for(emulator, settings) as worker:
        await queue(worker, 21, 22)
        emulator.fail_next("sendMessage", times=100, status=500)
        async with asyncio.timeout(10):
            await worker.drain()
        result = await states(worker)
        async with worker.session_factory() as session:
            errors = (await session.scalars(select(Delivery.last_error))).all()
    assert result == {21: (DeliveryState.FAILED, 3), 22: (DeliveryState.FAILED, 3)}
    assert all(errors)
    assert emulator.messages(21) == []


async def test_a_bad_request_is_not_retried(emulator: TelegramEmulator, database_url: str) -> None:
    settings = make_settings(emulator.base_url, database_url)
    async with worker_for(emulator, settings) as worker:
        async with worker.session_factory() as session:
            await outbox.enqueue(session, [{"key": "bad", "chat_id": 31, "payload": outbox.payload("<b>не закрыт")}])
            await session.commit()
        async with asyncio.timeout(10):
            await worker.drain()
        result = await states(worker)
    assert result[31] == (DeliveryState.FAILED, 1)


async def test_admin_messages_go_ahead_of_bulk(emulator: TelegramEmulator, database_url: str) -> None:
    settings = make_settings(emulator.base_url, database_url, delivery_rate_per_second=1000)
    async with worker_for(emulator, settings) as worker:
        async with worker.session_factory() as session:
            rows = [{"key": f"b:{c}", "chat_id": c, "payload": outbox.payload("рассылка")} for c in range(100, 130)]
            rows.append(
                {"key": "admin", "chat_id": 1, "payload": outbox.payload("ответ"), "priority": outbox.PRIORITY_ADMIN}
            )
            await outbox.enqueue(session, rows)
            await session.commit()
        worker.max_batch = 5
        await worker.run_once()
    assert [m.text for m in emulator.messages(1)] == ["ответ"]  # queued last, sent in the first round


async def test_rows_waiting_for_quiet_hours_do_not_hold_back_ready_ones(
    emulator: TelegramEmulator, database_url: str
) -> None:
    """Evening: the next morning's reminders wait in the outbox. A resolution published now goes out now."""
    settings = make_settings(emulator.base_url, database_url, delivery_rate_per_second=1000)
    async with worker_for(emulator, settings) as worker:
        morning = utcnow() + timedelta(hours=10)
        async with worker.session_factory() as session:
            waiting = [
                {"key": f"r:{c}", "chat_id": c, "payload": outbox.payload("напоминание"), "not_before": morning}
                for c in range(1000, 1500)
            ]
            await outbox.enqueue(session, waiting)
            await session.commit()
        await queue(worker, 41, 42)
        async with asyncio.timeout(10):
            while not (emulator.messages(41) and emulator.messages(42)):
                await worker.run_once()
                await asyncio.sleep(0.01)
        result = await states(worker)
    assert result[41] == result[42] == (DeliveryState.SENT, 1)
    assert {result[c][0] for c in range(1000, 1500)} == {DeliveryState.PENDING}
    assert emulator.messages(1000) == []
