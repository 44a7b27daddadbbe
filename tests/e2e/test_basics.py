"""A user talks to the unmodified bot through the emulator: /start, /help, stray input, forged buttons."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from bot.app import App
from tests.e2e.harness import ADMIN_ID
from tests.emulator import TelegramEmulator
from tests.emulator.fixtures import TOKEN, running_emulator

ROOT = Path(__file__).resolve().parents[2]

USER = 5001


async def test_start_offers_ways_to_join(app: App, emulator: TelegramEmulator) -> None:
    await emulator.send_message(USER, "/start")
    (reply,) = await emulator.wait_for(USER)
    assert "Адресат" in reply.text
    assert "Школа (руководитель, заместитель)" in reply.button_texts


async def test_admin_start_and_help_mention_publishing(app: App, emulator: TelegramEmulator) -> None:
    await emulator.send_message(ADMIN_ID, "/start")
    (start,) = await emulator.wait_for(ADMIN_ID)
    assert "администратор" in start.text
    await emulator.send_message(ADMIN_ID, "/help")
    (help_,) = await emulator.wait_for(ADMIN_ID)
    assert "/resolutions" in help_.text


async def test_help_for_a_guest_explains_how_to_join(app: App, emulator: TelegramEmulator) -> None:
    await emulator.send_message(USER, "/help")
    (reply,) = await emulator.wait_for(USER)
    assert "ссылку-приглашение" in reply.text
    assert "/start" in reply.text
    assert "/orgs" not in reply.text  # nothing a guest may not use
    assert "/tasks" not in reply.text


async def test_commands_are_registered_at_start(app: App, emulator: TelegramEmulator) -> None:
    by_scope = {json.loads(scope)["type"]: commands for (scope, _lang), commands in emulator.commands.items()}
    assert {c["command"] for c in by_scope["default"]} == {"start", "help"}  # a guest's menu
    # Admins get their own list in their chat.
    assert {"publish", "orgs"} <= {c["command"] for c in by_scope["chat"]}


async def test_unknown_command_and_free_text_get_a_helpful_answer(app: App, emulator: TelegramEmulator) -> None:
    await emulator.send_message(USER, "/nonsense")
    (unknown,) = await emulator.wait_for(USER)
    assert "/help" in unknown.text
    await emulator.send_message(USER, "Добрый день! Когда совещание?")
    (free,) = await emulator.wait_for(USER)
    assert "/help" in free.text


async def test_admin_commands_do_not_exist_for_others(app: App, emulator: TelegramEmulator) -> None:
    for command in ("/publish", "/orgs", "/resolutions"):
        await emulator.send_message(USER, command)
        (reply,) = await emulator.wait_for(USER)
        assert reply.text == "Такой команды нет. Список команд — /help."


async def test_a_forged_callback_gets_an_alert_and_changes_nothing(app: App, emulator: TelegramEmulator) -> None:
    await emulator.send_message(USER, "/start")
    (reply,) = await emulator.wait_for(USER)
    for data in ("rep1:99999:dn", "pub1:pub:1:0:skip", "garbage", "dec1:1:1:1", "adm1:rm::7:0"):
        query = await emulator.click(USER, reply.message_id, data)
        answer = await emulator.wait_callback_answer(query)
        assert answer.show_alert
        assert answer.text


async def test_a_document_from_a_non_admin_is_refused_politely(app: App, emulator: TelegramEmulator) -> None:
    await emulator.send_document(USER, "резолюция.txt", "Резолюция\n\nШколам:\n- сделать".encode())
    (reply,) = await emulator.wait_for(USER)
    assert "только администраторы" in reply.text


async def _failed_start(tmp_path: Path, token: str, database_url: str) -> tuple[int | None, list[str]]:
    """Start `python -m bot` against a live emulator; its exit status and the lines it wrote to stderr."""
    async with running_emulator(token=TOKEN) as emulator:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "BOT_TOKEN": token,
            "DATABASE_URL": database_url,
            "TELEGRAM_API_BASE": emulator.base_url,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
        )
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, stderr.decode().strip().splitlines()


async def test_a_token_telegram_rejects_ends_the_start_with_one_line(tmp_path: Path) -> None:
    """A well-formed token that is not a bot's: Telegram answers 401, the bot says so and exits with 2."""
    code, lines = await _failed_start(tmp_path, "654321:NOT-THIS-BOT", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    assert code == 2
    assert len(lines) == 1
    assert "BOT_TOKEN" in lines[0]


async def test_a_database_that_cannot_be_reached_ends_the_start_with_one_line(tmp_path: Path) -> None:
    """Nothing listens on port 1: the bot names DATABASE_URL and the driver's reason, and exits with 2."""
    code, lines = await _failed_start(tmp_path, TOKEN, "postgresql://bot:secret@127.0.0.1:1/adresat")
    assert code == 2
    assert len(lines) == 1
    assert "DATABASE_URL" in lines[0]
    assert "недоступна" in lines[0]
    assert "secret" not in lines[0]


async def test_members_commands_point_an_admin_to_the_admin_ones(app: App, emulator: TelegramEmulator) -> None:
    await emulator.send_message(ADMIN_ID, "/tasks")
    (reply,) = await emulator.wait_for(ADMIN_ID)
    assert "администратор" in reply.text
    assert "/progress" in reply.text


async def test_a_start_while_telegram_is_unreachable_waits_for_it_and_then_answers(tmp_path: Path) -> None:
    """The first two getMe calls lose their connection (no network yet): the bot keeps trying, then serves."""
    async with running_emulator(token=TOKEN) as emulator:
        emulator.fail_next("getMe", times=2, drop=True)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "BOT_TOKEN": TOKEN,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            "TELEGRAM_API_BASE": emulator.base_url,
            "LOG_LEVEL": "ERROR",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
        )
        try:
            await emulator.send_message(USER, "/start")
            (reply,) = await emulator.wait_for(USER, timeout=60)
            assert "Адресат" in reply.text
        finally:
            process.terminate()
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0
    assert "Traceback" not in stderr.decode()
