"""Two bot processes in webhook mode on one PostgreSQL and one Redis, the emulator spreading updates over
both as a load balancer would. The admin publishes to 1,000 members through them; the instance that sends
is killed with SIGKILL half-way. The other takes over: every member gets the resolution exactly once, or is
named in the admin's summary as unconfirmed (and then got it at most once)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from models import migrate
from models.db import create_engine, create_session_factory
from models.directory import fold
from models.entities import Approval, Delivery, DeliveryState, Member, Organisation
from tests.e2e.harness import ADMIN_ID
from tests.emulator import TelegramEmulator
from tests.emulator.fixtures import TOKEN
from tests.pgutil import postgres_database
from tests.redisutil import redis_prefix
from ui import texts

pytestmark = pytest.mark.postgresql
ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 1000
RATE = 200  # messages per second: five seconds of sending, killed in the middle
SECRET = "two-instances-secret"
RESOLUTION = """Резолюция областного совещания руководителей школ

Участники совещания рекомендуют:

Общеобразовательным организациям:
- обеспечить участие педагогов в курсах повышения квалификации до 1 марта 2027 года.
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(name: str, port: int, env: dict[str, str], folder: Path) -> subprocess.Popen[bytes]:
    (folder / name).mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=folder / name,
        env={**env, "WEBHOOK_PORT": str(port), "INSTANCE_NAME": name},
    )


async def _seed(url: str) -> dict[int, tuple[str, str]]:
    """1,000 schools with a director each; returns chat id → (name, school)."""
    engine = create_engine(url)
    await migrate.upgrade(engine)
    try:
        async with create_session_factory(engine)() as session:
            town = Organisation(kind="municipality", name="город Смоленск", name_folded=fold("город Смоленск"))
            session.add(town)
            await session.flush()
            people: dict[int, tuple[str, str]] = {}
            for i in range(MEMBERS):
                school_name = f"МБОУ «СШ № {i + 1}»"
                school = Organisation(
                    kind="school", name=school_name, name_folded=fold(school_name), municipality_id=town.id
                )
                session.add(school)
                await session.flush()
                name = f"Директор {i + 1}"
                session.add(
                    Member(
                        user_id=50_000 + i, full_name=name, organisation_id=school.id, role="school",
                        approval=Approval.APPROVED,
                    )
                )  # fmt: skip
                people[50_000 + i] = (name, school_name)
            await session.commit()
            return people
    finally:
        await engine.dispose()


async def _health(http: aiohttp.ClientSession, port: int) -> dict[str, Any] | None:
    try:
        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
            body: dict[str, Any] = await response.json()
            return body if response.status == 200 else None
    except aiohttp.ClientError:
        return None


async def _until(predicate: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    try:
        async with asyncio.timeout(seconds):
            while not await predicate():
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out after {seconds}s waiting for {what}") from None


async def _exit(proc: subprocess.Popen[bytes], seconds: float) -> int:
    async with asyncio.timeout(seconds):
        while proc.poll() is None:
            await asyncio.sleep(0.05)
    return proc.returncode


async def test_two_webhook_instances_and_a_sigkill_mid_broadcast(emulator: TelegramEmulator, tmp_path: Path) -> None:
    async with postgres_database() as url, redis_prefix() as (redis, prefix):
        people = await _seed(url)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", ""),
            "PYTHONPATH": str(ROOT),
            "BOT_TOKEN": TOKEN,
            "DATABASE_URL": url,
            "TELEGRAM_API_BASE": emulator.base_url,
            "ADMIN_IDS": str(ADMIN_ID),
            "WEBHOOK_URL": "https://bot.example.ru/tg/webhook",
            "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_HOST": "127.0.0.1",
            "REDIS_URL": redis,
            "REDIS_KEY_PREFIX": prefix,
            "DELIVERY_RATE_PER_SECOND": str(RATE),
            "DELIVERY_CHAT_INTERVAL_SECONDS": "0",
            "PROGRESS_EDIT_INTERVAL_SECONDS": "0.5",
            "LEADER_RETRY_SECONDS": "0.5",
            "LOG_LEVEL": "WARNING",
        }
        ports = {"a": _free_port(), "b": _free_port()}
        procs = {name: _start(name, port, env, tmp_path) for name, port in ports.items()}
        try:
            async with aiohttp.ClientSession() as http:

                async def both_up() -> bool:
                    return all([await _health(http, port) for port in ports.values()])

                await _until(both_up, 60, "both instances to answer /healthz")
                assert emulator.webhook_secret == SECRET
                emulator.route_webhook(*(f"http://127.0.0.1:{port}" for port in ports.values()))

                # The admin's three updates go to a, b, a in turn: the wizard's state is in Redis.
                await emulator.send_message(ADMIN_ID, "/publish")
                (ask,) = await emulator.wait_for(ADMIN_ID, timeout=10)
                assert ask.text == texts.PUBLISH_PASTE
                await emulator.send_message(ADMIN_ID, RESOLUTION)
                preview = (await emulator.wait_for(ADMIN_ID, timeout=20))[-1]
                assert f"{MEMBERS} участник" in preview.text
                await emulator.wait_callback_answer(await emulator.click_button(ADMIN_ID, preview, "Опубликовать"))
                assert len(emulator.webhook_posts_by_route) == 2, "the admin's updates reached both instances"

                def members_reached() -> int:
                    return sum(1 for chat in people if emulator.messages(chat))

                async def half_way() -> bool:
                    return members_reached() >= MEMBERS // 2

                await _until(half_way, 30, "half of the broadcast")
                healths = {name: (await _health(http, port)) or {} for name, port in ports.items()}
                leaders = [name for name, body in healths.items() if body.get("leader", {}).get("delivery")]
                assert len(leaders) == 1, "exactly one instance sends"
                (killed,) = leaders
                procs[killed].send_signal(signal.SIGKILL)
                await _exit(procs[killed], 10)
                at_kill = members_reached()
                assert at_kill < MEMBERS, "the kill landed in the middle of the broadcast"
                survivor = next(name for name in ports if name != killed)

                async def taken_over() -> bool:
                    body = await _health(http, ports[survivor])
                    return bool(body and body["leader"]["delivery"] and body["delivery_worker"] == "running")

                await _until(taken_over, 15, "the survivor to take over the delivery")

                def summary() -> str | None:
                    done = [m for m in emulator.messages(ADMIN_ID) if "Рассылка завершена" in m.text]
                    return done[-1].text if done else None

                async def finished() -> bool:
                    return summary() is not None

                await _until(finished, 60, "the final summary")
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs.values():
                try:
                    await _exit(proc, 20)
                except TimeoutError:
                    proc.kill()

        engine = create_engine(url)
        try:
            async with create_session_factory(engine)() as session:
                rows = (
                    # The publication's rows: each member's menu, set at start, rides the same outbox.
                    await session.execute(select(Delivery.chat_id, Delivery.state).where(Delivery.key.like("pub:%")))
                ).all()
                pending = await session.scalar(
                    select(func.count()).where(Delivery.state.in_([DeliveryState.PENDING, DeliveryState.SENDING]))
                )
        finally:
            await engine.dispose()

    state = {chat: str(s) for chat, s in rows if chat in people}
    received = Counter({chat: len(emulator.messages(chat)) for chat in people})
    unconfirmed = [chat for chat, s in state.items() if s == DeliveryState.UNCONFIRMED]
    assert pending == 0
    assert len(state) == MEMBERS
    assert set(state.values()) <= {DeliveryState.SENT, DeliveryState.UNCONFIRMED}
    assert max(received.values()) == 1, "nobody gets the resolution twice"
    assert all(received[chat] == 1 for chat, s in state.items() if s == DeliveryState.SENT)
    assert len(unconfirmed) <= RATE // 10, "at most one claimed round was in flight at the kill"
    text = summary()
    assert text is not None
    assert f"Отправлено: {MEMBERS - len(unconfirmed)} из {MEMBERS}" in text
    for chat in unconfirmed:  # the admin is told exactly who may not have it
        name, school = people[chat]
        assert f"{name} — {school}" in text
    print(f"\nkilled the leader at {at_kill}/{MEMBERS} members reached; unconfirmed: {len(unconfirmed)}")
