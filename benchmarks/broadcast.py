"""Broadcast through the outbox to 10,000 recipients against the Bot API emulator.

(a) emulator limit off, worker rate unlimited: the bot's own ceiling (messages/s, CPU per message), for a
    real publication (10,000 schools with one director each, a resolution of three items: every message is
    rendered from the database when it is sent) and for ready-made text rows (the renderer's floor);
(b) emulator enforcing 30 messages/s, worker at the default 25/s: sustained rate and 429s caused.
(c), (d) the same two on MAX: directors known only there, the MAX worker, the MAX emulator.
(e) the same as (a) on PostgreSQL, one instance; (f) two instances (two engines, the delivery lock elects one
    sender): the same rate, because one instance sends; (g) two instances at the default 25/s against the
    emulator's 30/s: no 429s, since one sender keeps the bot's limit. (e)–(g) run when BENCH_POSTGRES_URL or
    TEST_POSTGRES_URL names a role that may create databases.

Runs as `python benchmarks/broadcast.py`; the last line sums it up.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

from bot.app import create_worker, domain_config  # noqa: E402
from bot.settings import Settings  # noqa: E402
from models import migrate, outbox, publishing  # noqa: E402
from models.config import Config  # noqa: E402
from models.db import OUTBOX_CHANNEL, create_engine, create_session_factory  # noqa: E402
from models.entities import Delivery, DeliveryState, Member, Organisation  # noqa: E402
from models.parsing import parse_text  # noqa: E402
from scheduler.broadcast_progress import ProgressReporter  # noqa: E402
from scheduler.leader import Leadership, Role  # noqa: E402
from tests.emulator.fixtures import TOKEN, EmulatorSession  # noqa: E402

RECIPIENTS = 10_000
LIMITED = 1_500  # (b) at 25/s takes a minute: enough to show a sustained rate
TEXT = (
    "📄 <b>Резолюция августовского совещания</b>\nот 27 августа 2019 г.\n\n"
    "<b>1.</b> обеспечить поддержку развития образовательного пространства муниципалитета\n⏰ срок: 1 января 2026 г."
)


RESOLUTION = """РЕЗОЛЮЦИЯ августовского совещания работников образования
27 августа 2019 года

Участники совещания рекомендуют:

Руководителям общеобразовательных организаций:
- обеспечить поддержку развития образовательного пространства муниципалитета до 1 января 2026 года;
- провести педагогический совет по итогам совещания до 1 октября 2025 года;
- разместить резолюцию на сайте организации.
"""


def telegram_director(n: int) -> dict[str, Any]:
    return {"user_id": 10_000_000 + n}


async def _queue_publication(
    sessions: async_sessionmaker[AsyncSession],
    count: int,
    director: Callable[[int], dict[str, Any]] = telegram_director,
) -> None:
    """`count` schools with one approved director each (`director(n)` says how they are reached), and one
    published resolution addressed to schools."""
    async with sessions() as session:
        await session.execute(
            insert(Organisation),
            [{"kind": "school", "name": f"Школа {i}", "name_folded": f"школа {i}"} for i in range(count)],
        )
        ids = (await session.scalars(select(Organisation.id).order_by(Organisation.id))).all()
        await session.execute(
            insert(Member),
            [
                {"full_name": "Директор", "organisation_id": org, "role": "school", "approval": "approved",
                 "active": True, **director(n)}
                for n, org in enumerate(ids)
            ],
        )  # fmt: skip
        await session.commit()
        draft = await publishing.save_draft(session, parse_text(RESOLUTION), created_by=1, source_name=None)
        await publishing.publish(session, resolution_id=draft.id, admin_chat_id=1, config=Config())


class EmulatorProcess:
    """An emulator in its own process (its CPU is not the bot's); `script` is the Telegram or the MAX one."""

    def __init__(self, global_rate: float | None, script: str = "_emulator_proc.py") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name(script)), str(global_rate or 0)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()

    def stats(self) -> dict[str, float]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write("stats\n")
        self.proc.stdin.flush()
        data: dict[str, float] = json.loads(self.proc.stdout.readline())
        return data

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("stop\n")
        self.proc.stdin.flush()
        self.proc.wait(timeout=30)


async def run(
    count: int,
    rate: float,
    emulator_rate: float | None,
    folder: Path,
    *,
    publication: bool = True,
    database_url: str | None = None,
    instances: int = 1,
) -> dict[str, float]:
    """Queue `count` messages, then drain them with one worker, or with `instances` workers (each its own
    engine, as separate processes would have) that elect their sender through the PostgreSQL lock."""
    emulator = EmulatorProcess(emulator_rate)
    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        database_url=database_url or f"sqlite+aiosqlite:///{folder / f'bench{count}{publication}.db'}",
        telegram_api_base=emulator.base_url,
        delivery_rate_per_second=rate,
    )
    engine = create_engine(settings.database_url)
    await migrate.upgrade(engine)
    sessions = create_session_factory(engine)
    if publication:
        await _queue_publication(sessions, count)
    else:
        async with sessions() as session:
            rows = [
                {"key": f"bench:{i}", "chat_id": 10_000_000 + i, "batch": "bench", "payload": outbox.payload(TEXT)}
                for i in range(count)
            ]
            await outbox.enqueue(session, rows)
            await session.commit()
    from aiogram import Bot
    from aiogram.client.telegram import TelegramAPIServer

    bot = Bot(TOKEN, session=EmulatorSession(api=TelegramAPIServer.from_base(emulator.base_url)))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if instances == 1:
        worker = create_worker(bot, sessions, settings, domain_config(settings))
        async with asyncio.timeout(900):
            await worker.drain()
        per_instance = [worker.stats.sent]
    else:
        per_instance = await _drain_elected(bot, settings, sessions, instances)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    sent = sum(per_instance)
    await bot.session.close()
    await engine.dispose()
    stats = emulator.stats()
    emulator.stop()
    return {
        "sent": sent,
        "per_instance": max(per_instance),
        "wall": wall,
        "rate": sent / wall,
        "cpu_ms": cpu / max(1, sent) * 1000,
        "emulator_429": stats["rate_limited"],
        "max_in_window": stats["max_in_window"],
        "sustained": stats["sustained"],
    }


async def run_max(count: int, rate: float, emulator_rate: float | None, folder: Path) -> dict[str, float]:
    """The same publication to `count` directors known only on MAX, through the MAX worker and its emulator."""
    from aiogram import Bot

    from bot.app import create_max_side
    from models.channels import principal_for_max
    from scheduler.delivery import Doorbell
    from tests.max_emulator import TOKEN as MAX_TOKEN

    emulator = EmulatorProcess(emulator_rate, "_max_emulator_proc.py")
    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        database_url=f"sqlite+aiosqlite:///{folder / f'max{count}{rate}.db'}",
        max_bot_token=MAX_TOKEN,
        max_api_base=emulator.base_url,
        max_delivery_rate_per_second=rate,
    )
    engine = create_engine(settings.database_url)
    await migrate.upgrade(engine)
    sessions = create_session_factory(engine)

    def max_director(n: int) -> dict[str, Any]:
        return {"user_id": principal_for_max(20_000_000 + n), "max_user_id": 20_000_000 + n, "preferred_channel": "max"}

    await _queue_publication(sessions, count, max_director)
    bot = Bot(TOKEN)  # never called: the progress message of a benchmark has no admin chat to go to
    progress = ProgressReporter(sessions)  # no admin chat to show progress in: sending alone is measured
    side = create_max_side(settings, domain_config(settings), sessions, bot, Doorbell(), progress)
    assert side is not None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    async with asyncio.timeout(900):
        await side.delivery.drain()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    await side.app.client.close()
    await bot.session.close()
    await engine.dispose()
    stats = emulator.stats()
    emulator.stop()
    sent = side.delivery.stats.sent
    return {
        "sent": sent,
        "wall": wall,
        "rate": sent / wall,
        "cpu_ms": cpu / max(1, sent) * 1000,
        "emulator_429": stats["rate_limited"],
        "max_in_window": stats["max_in_window"],
        "sustained": stats["sustained"],
    }


async def _drain_elected(
    bot: Any, settings: Settings, sessions: async_sessionmaker[AsyncSession], instances: int
) -> list[int]:
    """Workers on separate engines behind the delivery lock, as `instances` bot processes would run."""
    engines = [create_engine(settings.database_url) for _ in range(instances)]
    workers = [create_worker(bot, create_session_factory(e), settings, domain_config(settings)) for e in engines]
    leaderships = [
        Leadership(e, [Role("delivery", w.start, w.stop, channel=OUTBOX_CHANNEL, wake=w.wake)], retry_seconds=0.5)
        for e, w in zip(engines, workers, strict=True)
    ]
    for leadership in leaderships:
        await leadership.start()
    try:
        async with asyncio.timeout(900):
            while True:
                async with sessions() as session:
                    left = await session.scalar(
                        select(func.count()).where(Delivery.state.in_([DeliveryState.PENDING, DeliveryState.SENDING]))
                    )
                if not left:
                    break
                await asyncio.sleep(0.05)
    finally:
        for leadership in leaderships:
            await leadership.stop()
        for engine in engines:
            await engine.dispose()
    return [w.stats.sent for w in workers]


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        free = await run(RECIPIENTS, 100_000, None, folder)
        print(
            f"(a) limit off, publication: {free['sent']:.0f} messages in {free['wall']:.1f} s = "
            f"{free['rate']:.0f} msg/s, bot CPU {free['cpu_ms']:.2f} ms/message"
        )
        ready = await run(RECIPIENTS, 100_000, None, folder, publication=False)
        print(
            f"(a) limit off, ready text: {ready['sent']:.0f} messages in {ready['wall']:.1f} s = "
            f"{ready['rate']:.0f} msg/s, bot CPU {ready['cpu_ms']:.2f} ms/message"
        )
        limited = await run(LIMITED, 25, 30, folder)
        print(
            f"(b) emulator 30/s, worker 25/s: {limited['sent']:.0f} messages in {limited['wall']:.1f} s, "
            f"sustained {limited['sustained']:.1f} msg/s, busiest second {limited['max_in_window']:.0f}, "
            f"429s caused {limited['emulator_429']:.0f}"
        )
        # MAX (maxbot/): the same publication to directors on MAX, through the MAX worker and MAX's emulator.
        max_free = await run_max(RECIPIENTS, 100_000, None, folder)
        print(
            f"(c) MAX, limit off, publication: {max_free['sent']:.0f} messages in {max_free['wall']:.1f} s = "
            f"{max_free['rate']:.0f} msg/s, bot CPU {max_free['cpu_ms']:.2f} ms/message"
        )
        max_limited = await run_max(LIMITED, 25, 30, folder)
        print(
            f"(d) MAX emulator 30/s, MAX worker 25/s: {max_limited['sent']:.0f} messages in "
            f"{max_limited['wall']:.1f} s, sustained {max_limited['sustained']:.1f} msg/s, busiest second "
            f"{max_limited['max_in_window']:.0f}, 429s caused {max_limited['emulator_429']:.0f}"
        )
        print(
            f"broadcast-max: {max_free['rate']:.0f} msg/s ceiling, {max_free['cpu_ms']:.2f} ms CPU/msg, "
            f"{max_limited['sustained']:.1f} msg/s sustained at limit 25, {max_limited['emulator_429']:.0f} 429s"
        )
        summary = (
            f"broadcast: {free['rate']:.0f} msg/s ceiling, {free['cpu_ms']:.2f} ms CPU/msg, "
            f"{ready['rate']:.0f} msg/s ready text, "
            f"{limited['sustained']:.1f} msg/s sustained at limit 25, {limited['emulator_429']:.0f} 429s"
        )
        pg = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL")
        if pg:
            one = await _on_postgres(pg, RECIPIENTS, 100_000, None, folder, 1)
            print(
                f"(e) PostgreSQL, one instance, limit off: {one['sent']:.0f} messages in {one['wall']:.1f} s = "
                f"{one['rate']:.0f} msg/s, bot CPU {one['cpu_ms']:.2f} ms/message"
            )
            two = await _on_postgres(pg, RECIPIENTS, 100_000, None, folder, 2)
            print(
                f"(f) PostgreSQL, two instances, limit off: {two['sent']:.0f} messages in {two['wall']:.1f} s = "
                f"{two['rate']:.0f} msg/s; the leader sent {two['per_instance']:.0f} (one sender by design)"
            )
            two_limited = await _on_postgres(pg, LIMITED, 25, 30, folder, 2)
            print(
                f"(g) PostgreSQL, two instances, emulator 30/s, worker 25/s: sustained "
                f"{two_limited['sustained']:.1f} msg/s, busiest second {two_limited['max_in_window']:.0f}, "
                f"429s caused {two_limited['emulator_429']:.0f}"
            )
            summary += (
                f"; PostgreSQL {one['rate']:.0f} msg/s one instance, {two['rate']:.0f} msg/s two, "
                f"{two_limited['sustained']:.1f} msg/s two at limit 25"
            )
        print(summary)


async def _on_postgres(
    admin_url: str, count: int, rate: float, emulator_rate: float | None, folder: Path, instances: int
) -> dict[str, float]:
    """The same run on a throwaway PostgreSQL database (created and dropped here)."""
    admin = make_url(admin_url)
    name = f"adresat_bench_{secrets.token_hex(4)}"
    engine = create_engine(admin.render_as_string(hide_password=False))
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin.set(database=name).render_as_string(hide_password=False)
        try:
            return await run(count, rate, emulator_rate, folder, database_url=url, instances=instances)
        finally:
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
