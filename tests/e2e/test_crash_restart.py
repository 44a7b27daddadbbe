"""The bot process is killed with SIGKILL in the middle of a broadcast and started again: every
recipient gets the resolution, nobody gets it twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from models import migrate, publishing
from models.config import Config
from models.db import create_engine, create_session_factory
from models.entities import Delivery, DeliveryState
from models.parsing import parse_text
from tests.e2e.harness import ADMIN_ID, add_member, add_org
from tests.emulator import TelegramEmulator
from tests.emulator.fixtures import TOKEN

ROOT = Path(__file__).resolve().parents[2]
SCHOOLS = 120
RATE = 40  # messages per second: the broadcast takes about 3 s, long enough to kill it half-way
RESOLUTION = """Резолюция областного совещания руководителей школ

Участники совещания рекомендуют:

Общеобразовательным организациям:
- обеспечить участие педагогов в курсах повышения квалификации до 1 марта 2027 года;
- провести педагогический совет по итогам совещания.
"""


def _start_bot(emulator: TelegramEmulator, db: str, folder: Path) -> subprocess.Popen[bytes]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": db,
        "TELEGRAM_API_BASE": emulator.base_url,
        "ADMIN_IDS": str(ADMIN_ID),
        "DELIVERY_RATE_PER_SECOND": str(RATE),
        "DELIVERY_CHAT_INTERVAL_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([sys.executable, "-m", "bot"], cwd=folder, env=env)


async def _queue_broadcast(db: str) -> list[int]:
    """A published resolution whose notifications sit in the outbox; returns the recipients' chat ids."""
    engine = create_engine(db)
    await migrate.upgrade(engine)
    try:
        async with create_session_factory(engine)() as session:
            municipality = await add_org(session, "municipality", "город Смоленск")
            chats = []
            for i in range(SCHOOLS):
                school = await add_org(session, "school", f"МБОУ «СШ № {i + 1}»", municipality.id)
                chats.append((await add_member(session, 20_000 + i, school)).user_id)
            draft = await publishing.save_draft(session, parse_text(RESOLUTION), created_by=ADMIN_ID, source_name=None)
            await publishing.publish(session, resolution_id=draft.id, admin_chat_id=ADMIN_ID, config=Config())
            return chats
    finally:
        await engine.dispose()


async def _states(db: str) -> Counter[str]:
    engine = create_engine(db)
    try:
        async with create_session_factory(engine)() as session:
            rows = (
                await session.execute(
                    # The publication's messages (menus set at start ride the same outbox).
                    select(Delivery.state, func.count()).where(Delivery.key.like("pub:%")).group_by(Delivery.state)
                )
            ).all()
            return Counter({str(state): int(n) for state, n in rows})
    finally:
        await engine.dispose()


async def _exit_code(proc: subprocess.Popen[bytes], seconds: float) -> int:
    """Wait for the process without blocking the loop: the emulator serves it from this very loop."""
    async with asyncio.timeout(seconds):
        while proc.poll() is None:
            await asyncio.sleep(0.05)
    return proc.returncode


async def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    await _exit_code(proc, 10)


async def _wait(predicate: object, seconds: float) -> None:
    async with asyncio.timeout(seconds):
        while not await predicate():  # type: ignore[operator]
            await asyncio.sleep(0.05)


async def test_sigkill_mid_broadcast_then_restart_delivers_each_message_once(
    emulator: TelegramEmulator, database_url: str, tmp_path: Path
) -> None:
    db = database_url
    chats = await _queue_broadcast(db)

    first = _start_bot(emulator, db, tmp_path)
    try:

        async def some_sent() -> bool:
            return emulator.stats.sent_messages >= SCHOOLS // 3

        await _wait(some_sent, 60)
        first.send_signal(signal.SIGKILL)
        await _exit_code(first, 10)
    finally:
        await _stop(first)
    before_restart = sum(len(emulator.messages(c)) for c in chats)
    assert 0 < before_restart < SCHOOLS, "the kill must land in the middle of the broadcast"

    second = _start_bot(emulator, db, tmp_path)
    try:

        async def drained() -> bool:
            states = await _states(db)
            return states[DeliveryState.PENDING] == 0 and states[DeliveryState.SENDING] == 0

        await _wait(drained, 60)
        second.send_signal(signal.SIGTERM)  # graceful stop: exit 0, nothing half-written
        assert await _exit_code(second, 20) == 0
    finally:
        await _stop(second)

    received = Counter({chat: len(emulator.messages(chat)) for chat in chats})
    states = await _states(db)
    assert max(received.values()) == 1, "nobody gets the resolution twice"
    # Rows in flight at the kill are not resent (at-most-once); everything else arrived exactly once.
    assert states[DeliveryState.SENT] + states[DeliveryState.UNCONFIRMED] == SCHOOLS
    assert states[DeliveryState.UNCONFIRMED] <= RATE // 10  # at most one claimed round was in flight
    assert sum(received.values()) >= states[DeliveryState.SENT]
    # The admin's progress message ends with the final summary, counting the unconfirmed rows.
    summary = emulator.last_message(ADMIN_ID)
    assert "Рассылка завершена" in summary.text
    assert f"Отправлено: {states[DeliveryState.SENT]} из {SCHOOLS}" in summary.text
