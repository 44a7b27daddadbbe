"""Building blocks for pytest fixtures: the emulator, a Bot wired to it, and a polling Dispatcher."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from .server import TelegramEmulator

TOKEN = "123456:TEST"


@asynccontextmanager
async def running_emulator(**options: Any) -> AsyncIterator[TelegramEmulator]:
    """A started emulator, stopped afterwards; ``options`` go to TelegramEmulator()."""
    emulator = TelegramEmulator(**options)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


class EmulatorSession(AiohttpSession):
    """AiohttpSession without the 250 ms pause on close that only TLS connections need."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(emulator: TelegramEmulator, token: str = TOKEN, **bot_options: Any) -> Bot:
    """A Bot talking to the emulator; the caller closes ``bot.session``."""
    session = EmulatorSession(api=TelegramAPIServer.from_base(emulator.base_url))
    return Bot(token=token, session=session, **bot_options)


@asynccontextmanager
async def emulator_bot(emulator: TelegramEmulator, token: str = TOKEN, **bot_options: Any) -> AsyncIterator[Bot]:
    """A Bot talking to the emulator, its HTTP session closed afterwards."""
    bot = make_bot(emulator, token, **bot_options)
    try:
        yield bot
    finally:
        await bot.session.close()


@asynccontextmanager
async def polling(dispatcher: Dispatcher, bot: Bot, polling_timeout: int = 1, **options: Any) -> AsyncIterator[None]:
    """Run ``dispatcher`` polling in a task until the block ends; the bot session is left to the caller."""
    started = asyncio.Event()

    async def mark_started() -> None:
        started.set()

    dispatcher.startup.register(mark_started)
    task = asyncio.create_task(
        dispatcher.start_polling(
            bot, handle_signals=False, close_bot_session=False, polling_timeout=polling_timeout, **options
        )
    )
    waiter = asyncio.create_task(started.wait())
    try:
        done, _ = await asyncio.wait({task, waiter}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()  # polling died during startup: surface its exception
        if not started.is_set():
            msg = "polling did not start within 5 s"
            raise TimeoutError(msg)
        yield
    finally:
        waiter.cancel()
        if not task.done():
            await dispatcher.stop_polling()
        await task
