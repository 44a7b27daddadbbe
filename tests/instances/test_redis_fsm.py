"""With REDIS_URL the wizards' state lives in Redis: a step begun before a restart (or on the other
instance) is finished after it."""

from __future__ import annotations

import pytest

from tests.e2e.harness import ADMIN_ID, make_settings, running_app
from tests.emulator import TelegramEmulator
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
