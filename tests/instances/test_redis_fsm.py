"""With REDIS_URL the wizards' state lives in Redis: a step begun before a restart (or on the other
instance) is finished after it."""

from __future__ import annotations

import pytest

from tests.e2e.harness import ADMIN_ID, make_settings, running_app, running_max_app
from tests.emulator import TelegramEmulator
from tests.max_emulator import MaxEmulator
from tests.redisutil import redis_prefix
from ui import texts

RESOLUTION = """Резолюция областного совещания

Участники совещания рекомендуют:

Общеобразовательным организациям:
- провести педагогический совет по итогам совещания до 1 марта 2027 года.
"""


@pytest.mark.parametrize("backend", ["redis", "memory"])
async def test_a_wizard_begun_before_a_restart_is_finished_after_it(
    emulator: TelegramEmulator, database_url: str, backend: str
) -> None:
    async with redis_prefix() if backend == "redis" else _no_redis() as (url, prefix):
        settings = make_settings(emulator.base_url, database_url, redis_url=url, redis_key_prefix=prefix)
        async with running_app(settings):
            await emulator.send_message(ADMIN_ID, "/publish")
            (ask,) = await emulator.wait_for(ADMIN_ID)
            assert ask.text == texts.PUBLISH_PASTE
        # The process is gone; the next one (or another instance) gets the pasted text.
        async with running_app(settings):
            await emulator.send_message(ADMIN_ID, RESOLUTION)
            (reply,) = await emulator.wait_for(ADMIN_ID, timeout=10)
    if backend == "redis":
        assert "Адресатов: 1, пунктов: 1" in reply.text, "the wizard went on where it stopped"
    else:
        assert "Адресатов" not in reply.text, "in memory the step is forgotten: the text is not taken as a resolution"


class _no_redis:  # noqa: N801 - reads as the context manager it stands in for
    async def __aenter__(self) -> tuple[str, str]:
        return "", "adresat"

    async def __aexit__(self, *exc: object) -> None:
        return None


@pytest.mark.parametrize("backend", ["redis", "memory"])
async def test_a_max_dialog_begun_before_a_restart_is_finished_after_it(
    emulator: TelegramEmulator, max_emu: MaxEmulator, database_url: str, backend: str
) -> None:
    """The same on MAX: an admin there starts /publish, the bot restarts, his pasted text is still read as the
    resolution (maxapi's context in Redis under `<prefix>:max`)."""
    admin = 880_001
    async with redis_prefix() if backend == "redis" else _no_redis() as (url, prefix):
        extra = {"redis_url": url, "redis_key_prefix": prefix, "max_admin_ids": frozenset({admin})}
        async with running_max_app(emulator, max_emu, database_url, **extra):
            max_emu.send_text(admin, "/publish")
            (ask,) = await max_emu.wait_for(admin)
            assert ask.text == texts.PUBLISH_PASTE
            # Stopped once the poll has confirmed /publish: a restart must not rely on it coming again.
            await max_emu.wait_until(lambda: max_emu.pending_updates() == 0, what="the update confirmed")
        async with running_max_app(emulator, max_emu, database_url, **extra):
            max_emu.send_text(admin, RESOLUTION)
            (reply,) = await max_emu.wait_for(admin, timeout=10)
    if backend == "redis":
        assert "Адресатов: 1, пунктов: 1" in reply.text, "the dialog went on where it stopped"
    else:
        assert reply.text == texts.FREE_TEXT, "in memory the step is forgotten"
