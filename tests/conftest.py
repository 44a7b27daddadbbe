"""Shared fixtures: a Bot API emulator on loopback and the real app polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from tests.e2e.harness import make_settings, running_app
from tests.emulator import TelegramEmulator
from tests.emulator.fixtures import running_emulator

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with running_emulator() as emu:
        yield emu
        # A callback the bot never answered leaves the user's spinner turning: always a bug.
        emu.assert_all_callbacks_answered()


@pytest.fixture
async def app(emulator: TelegramEmulator, tmp_path: Path) -> AsyncIterator[App]:
    async with running_app(make_settings(emulator.base_url, tmp_path / "bot.db")) as running:
        yield running
