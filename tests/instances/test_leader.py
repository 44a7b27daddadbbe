"""Several instances on one PostgreSQL: exactly one runs the delivery worker; when its session dies the
standby takes over, and no message is sent twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, text

from bot.app import create_worker, domain_config
from bot.health import DELIVERY
from models import migrate, outbox
from models.db import OUTBOX_CHANNEL, create_engine, create_session_factory
from models.entities import Delivery, DeliveryState
from scheduler.delivery import DeliveryWorker
from scheduler.leader import Leadership, Role, lock_key
from tests.e2e.harness import make_settings
from tests.emulator import TelegramEmulator
from tests.emulator.fixtures import make_bot
from tests.pgutil import postgres_database
from ui.render import OutMessage
from ui.sender import Sender

pytestmark = pytest.mark.postgresql
ROWS = 120
RATE = 60  # two seconds of sending: the leader's session is killed in the middle


class RecordingSender:
    """Which instance sent to which chat."""

    def __init__(self, inner: Sender, name: str, log: list[tuple[str, int]]) -> None:
        self.inner, self.name, self.log = inner, name, log

    async def send(self, chat_id: int, message: OutMessage) -> int | str:
        message_id = await self.inner.send(chat_id, message)
        self.log.append((self.name, chat_id))
        return message_id


@dataclass
class Instance:
    name: str
    worker: DeliveryWorker
    leadership: Leadership


@asynccontextmanager
async def instance(
    name: str, emulator: TelegramEmulator, url: str, sent: list[tuple[str, int]]
) -> AsyncIterator[Instance]:
    settings = make_settings(emulator.base_url, url, delivery_rate_per_second=RATE)
    engine = create_engine(url)
    bot = make_bot(emulator)
    worker = create_worker(bot, create_session_factory(engine), settings, domain_config(settings))
    worker.sender = RecordingSender(worker.sender, name, sent)
    leadership = Leadership(
        engine,
        [Role(DELIVERY, worker.start, worker.stop, channel=OUTBOX_CHANNEL, wake=worker.wake)],
        retry_seconds=0.2,
        check_seconds=0.1,
    )
    await leadership.start()
    try:
        yield Instance(name, worker, leadership)
    finally:
        await leadership.stop()
        await bot.session.close()
        await engine.dispose()


async def _wait(predicate: object, seconds: float) -> None:
    async with asyncio.timeout(seconds):
        while not await predicate():  # type: ignore[operator]
            await asyncio.sleep(0.02)


async def _leader(*instances: Instance) -> list[Instance]:
    return [i for i in instances if i.leadership.leads(DELIVERY)]


async def test_one_leader_sends_and_the_standby_takes_over(emulator: TelegramEmulator) -> None:
    sent: list[tuple[str, int]] = []
    async with postgres_database() as url, AsyncExitStack() as stack:
        engine = create_engine(url)
        stack.push_async_callback(engine.dispose)
        await migrate.upgrade(engine)
        sessions = create_session_factory(engine)
        a = await stack.enter_async_context(instance("a", emulator, url, sent))
        b = await stack.enter_async_context(instance("b", emulator, url, sent))

        async def elected() -> bool:
            return len(await _leader(a, b)) == 1

        await _wait(elected, 5)
        await asyncio.sleep(0.5)  # several standby retries: still exactly one leader
        (leader,) = await _leader(a, b)
        standby = b if leader is a else a
        assert not standby.worker.running

        async with sessions() as session:
            # Queued here, on neither instance: the leader hears of it through NOTIFY, not its 1 s poll.
            await outbox.enqueue(
                session,
                [{"key": f"f:{c}", "chat_id": c, "payload": outbox.payload(f"№ {c}")} for c in range(1, ROWS + 1)],
            )
            await session.commit()

        async def some_sent() -> bool:
            return len(sent) >= ROWS // 3

        await _wait(some_sent, 10)
        assert {name for name, _ in sent} == {leader.name}, "the standby sends nothing"

        # The leader's session dies (a network cut, an admin's pg_terminate_backend): its lock is gone.
        async with sessions() as session:
            killed = await session.scalar(
                text(
                    # A bigint advisory key shows as classid (high 32 bits) and objid (low 32 bits).
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                    "AND ((classid::bigint << 32) | objid::bigint) = :key"
                ),
                {"key": lock_key(DELIVERY)},
            )
        assert killed
        sent_at_kill = len(sent)

        async def taken_over() -> bool:
            return standby.leadership.leads(DELIVERY) and not leader.leadership.leads(DELIVERY)

        await _wait(taken_over, 5)
        assert not leader.worker.running, "the old leader stopped sending when it lost the lock"

        async def drained() -> bool:
            async with sessions() as session:
                left = await session.scalar(
                    select(func.count()).where(Delivery.state.in_([DeliveryState.PENDING, DeliveryState.SENDING]))
                )
            return left == 0

        await _wait(drained, 20)
        async with sessions() as session:
            rows = (await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))).all()
            states = Counter({str(state): int(n) for state, n in rows})

    received = Counter(chat for _, chat in sent)
    assert max(received.values()) == 1, "nobody gets a message twice"
    assert states[DeliveryState.SENT] == len(received) == ROWS
    assert sent_at_kill < ROWS, "the kill landed in the middle of the sending"
    assert {name for name, _ in sent[sent_at_kill + RATE // 10 :]} == {standby.name}, "then the standby sends"
    assert len(emulator.chats()) == ROWS


async def _noop() -> None:
    return None


async def test_rows_queued_anywhere_wake_the_leader_on_commit_only() -> None:
    async with postgres_database() as url:
        engine = create_engine(url)
        try:
            await migrate.upgrade(engine)
            woken = asyncio.Event()
            leadership = Leadership(engine, [Role(DELIVERY, _noop, _noop, channel=OUTBOX_CHANNEL, wake=woken.set)])
            await leadership.start()
            try:
                await _wait(lambda: _true_if(leadership.leads(DELIVERY)), 5)
                sessions = create_session_factory(engine)  # no commit hook: only NOTIFY can wake it
                row = {"key": "n:1", "chat_id": 1, "payload": outbox.payload("x")}
                async with sessions() as session:
                    await outbox.enqueue(session, [row])
                    await session.rollback()
                await asyncio.sleep(0.3)
                assert not woken.is_set(), "rows rolled back wake nobody"
                async with sessions() as session:
                    await outbox.enqueue(session, [row])
                    await session.commit()
                async with asyncio.timeout(2):
                    await woken.wait()
            finally:
                await leadership.stop()
        finally:
            await engine.dispose()


async def _true_if(value: bool) -> bool:
    return value


async def test_a_leader_whose_worker_died_gives_the_lock_up(emulator: TelegramEmulator) -> None:
    sent: list[tuple[str, int]] = []
    async with postgres_database() as url, AsyncExitStack() as stack:
        engine = create_engine(url)
        stack.push_async_callback(engine.dispose)
        await migrate.upgrade(engine)
        a = await stack.enter_async_context(instance("a", emulator, url, sent))
        role = a.leadership.roles[DELIVERY]
        role.alive = lambda: a.worker.running
        await _wait(lambda: _true_if(a.worker.running), 5)
        task = a.worker._task
        assert task is not None
        task.cancel()  # the loop dies (a bug, say) while the lock is still held

        async def restarted() -> bool:
            return a.worker.running and a.worker._task is not task

        await _wait(restarted, 5)
        assert a.leadership.leads(DELIVERY)
