"""What the MAX end-to-end tests share: the real app running on both emulators."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App
from tests.e2e.harness import running_max_app
from tests.emulator import TelegramEmulator
from tests.max_emulator import MaxEmulator


@pytest.fixture
async def max_app(emulator: TelegramEmulator, max_emu: MaxEmulator, database_url: str) -> AsyncIterator[App]:
    """The app as `python -m bot` builds it with both tokens, polling both emulators."""
    async with running_max_app(emulator, max_emu, database_url) as running:
        yield running
