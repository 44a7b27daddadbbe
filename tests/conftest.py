"""Shared fixtures: the Bot API emulators (Telegram's, MAX's) on loopback and the real app polling them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from tests.e2e.harness import make_settings, running_app
from tests.emulator import TelegramEmulator
from tests.emulator.fixtures import running_emulator
from tests.max_emulator import MaxEmulator
from tests.pgutil import postgres_database

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database for one test, on each backend the bot supports."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    async with postgres_database() as url:
        yield url


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with running_emulator() as emu:
        yield emu
        # A callback the bot never answered leaves the user's spinner turning: always a bug.
        emu.assert_all_callbacks_answered()


@pytest.fixture
async def max_emu() -> AsyncIterator[MaxEmulator]:
    """The MAX Bot API emulator on loopback."""
    async with MaxEmulator() as emu:
        yield emu
        # A press the bot never answered leaves the user waiting: always a bug, as on Telegram.
        emu.assert_all_callbacks_answered()


@pytest.fixture
async def app(emulator: TelegramEmulator, database_url: str) -> AsyncIterator[App]:
    async with running_app(make_settings(emulator.base_url, database_url)) as running:
        yield running
