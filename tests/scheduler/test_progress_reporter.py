"""The admin's progress message never holds up sending: the reporter works in the background, and an admin's
messenger that is unreachable is tried again later, not on every round."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiogram.types import InlineKeyboardMarkup

from models import migrate
from models.channels import Channel
from models.db import create_engine, create_session_factory
from models.entities import Broadcast
from scheduler.broadcast_progress import TRANSIENT_RETRY_SECONDS, ProgressReporter
from ui.sender import TransientError


class Post:
    """A messenger's progress post that hangs for `delay` seconds, or fails as unreachable."""

    def __init__(self, *, delay: float = 0.0, unreachable: bool = False) -> None:
        self.delay = delay
        self.unreachable = unreachable
        self.sent: list[str] = []
        self.tries = 0

    async def send(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> str:
        self.tries += 1
        await asyncio.sleep(self.delay)
        if self.unreachable:
            raise TransientError("network unreachable")
        self.sent.append(text)
        return "1"

    async def edit(self, chat_id: int, ref: str, text: str, markup: InlineKeyboardMarkup | None) -> None:
        self.sent.append(text)


@asynccontextmanager
async def reporter_with(post: Post, tmp_path: Path, clock: list[float]) -> AsyncIterator[ProgressReporter]:
    """A reporter over one open broadcast published by an admin on Telegram."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    try:
        await migrate.upgrade(engine)
        sessions = create_session_factory(engine)
        async with sessions() as session:
            session.add(Broadcast(batch="pub:1", resolution_id=None, admin_chat_id=42))
            await session.commit()
        yield ProgressReporter(sessions, {Channel.TELEGRAM: post}, interval=0.5, clock=lambda: clock[0])
    finally:
        await engine.dispose()


async def test_a_hanging_progress_post_does_not_hold_up_the_worker(tmp_path: Path) -> None:
    post = Post(delay=30.0)
    async with reporter_with(post, tmp_path, [100.0]) as reporter:
        touched = {"pub:1"}
        started = time.perf_counter()
        await reporter.refresh(touched)
        assert time.perf_counter() - started < 0.5, "the worker's round is not held"
        assert touched == set(), "the reporter took the batch over"
        await reporter.settle(within=0.2)  # the hung post is given up at shutdown
    assert post.sent == []


async def test_an_unreachable_messenger_is_tried_again_later_not_every_round(tmp_path: Path) -> None:
    clock = [100.0]
    post = Post(unreachable=True)
    async with reporter_with(post, tmp_path, clock) as reporter:
        for _ in range(5):
            await reporter.refresh({"pub:1"})
            await reporter.settle()
            clock[0] += 1.0
        assert post.tries == 1
        post.unreachable = False
        clock[0] += TRANSIENT_RETRY_SECONDS
        await reporter.refresh(set())
        await reporter.settle()
    assert post.tries == 2
    assert post.sent, "shown once the messenger is back"
