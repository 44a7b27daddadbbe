"""A bad setting stops the start with one line naming it and exit status 2 — no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.isupper() or k in {"PATH", "HOME", "LANG"}}
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        env={**clean, **env, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,  # no .env there
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({}, "BOT_TOKEN"),
        ({"BOT_TOKEN": "not-a-token"}, "BOT_TOKEN"),
        ({"BOT_TOKEN": "123:ABC", "ADMIN_IDS": "one,two"}, "ADMIN_IDS"),
        ({"BOT_TOKEN": "123:ABC", "TIMEZONE": "Mars/Olympus"}, "TIMEZONE"),
        ({"BOT_TOKEN": "123:ABC", "MAX_UPLOAD_MB": "-1"}, "MAX_UPLOAD_MB"),
        ({"BOT_TOKEN": "123:ABC", "DATABASE_URL": "mysql://bot@localhost/adresat"}, "DATABASE_URL"),
        ({"BOT_TOKEN": "123:ABC", "DATABASE_URL": "адресат.db"}, "DATABASE_URL"),
        ({"BOT_TOKEN": "", "MAX_BOT_TOKEN": ""}, "BOT_TOKEN"),
        ({"MAX_BOT_TOKEN": "max", "MAX_WEBHOOK_URL": "https://bot.example.ru/max"}, "MAX_WEBHOOK_SECRET"),
        ({"MAX_BOT_TOKEN": "max", "MAX_WEBHOOK_URL": "http://bot.example.ru/max"}, "MAX_WEBHOOK_URL"),
        ({"BOT_TOKEN": "123:ABC", "MAX_WEBHOOK_URL": "https://bot.example.ru/max"}, "MAX_WEBHOOK_URL"),
    ],
)
def test_invalid_setting_exits_2_with_one_line(env: dict[str, str], name: str, tmp_path: Path) -> None:
    result = _run(env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert name in lines[0]
    assert "Traceback" not in result.stderr


def test_admin_ids_accept_commas_and_spaces() -> None:
    from bot.settings import Settings

    settings = Settings(bot_token="123:ABC", admin_ids="1, 2;3", _env_file=None)
    assert settings.admin_ids == frozenset({1, 2, 3})
    assert settings.sqlite_path() is not None


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://bot:p%40ss@db:5432/adresat", "postgresql+asyncpg://bot:p%40ss@db:5432/adresat"),
        ("postgresql://bot@db/adresat", "postgresql+asyncpg://bot@db/adresat"),
        ("sqlite:///./data/x.db", "sqlite+aiosqlite:///./data/x.db"),
    ],
)
def test_a_bare_database_scheme_gets_its_async_driver(given: str, used: str) -> None:
    """Hosting panels hand out `postgres://…`; the bot needs the async driver named, and keeps the password intact."""
    from bot.settings import Settings

    assert Settings(bot_token="123:ABC", database_url=given, _env_file=None).database_url == used


def test_without_any_token_the_start_names_both_ways(tmp_path: Path) -> None:
    result = _run({}, tmp_path)
    assert result.stderr.strip() == (
        "Ошибка настройки BOT_TOKEN: не задан — нужен токен Telegram-бота (от @BotFather), MAX_BOT_TOKEN или оба"
    )


def test_max_alone_needs_no_telegram_token() -> None:
    from bot.settings import Settings

    settings = Settings(max_bot_token="max-token", _env_file=None)
    assert settings.bot_token is None
    assert Settings(bot_token=" ", max_bot_token="max-token", _env_file=None).bot_token is None  # BOT_TOKEN= in .env
    assert settings.http_port is None, "MAX polls and no METRICS_PORT: no HTTP server"


@pytest.mark.parametrize(
    ("secret", "ok"),
    [("abcd", False), ("abcde", True), ("A-b_9" * 51 + "x", True), ("x" * 257, False), ("with space", False),
     ("секрет", False)],
)  # fmt: skip
def test_max_webhook_secret_is_5_to_256_safe_characters(secret: str, ok: bool) -> None:
    from pydantic import ValidationError

    from bot.settings import Settings

    def settings() -> Settings:
        hook = "https://bot.example.ru/max/hook"
        return Settings(max_bot_token="t", max_webhook_url=hook, max_webhook_secret=secret, _env_file=None)

    if ok:
        assert settings().max_webhook_secret.get_secret_value() == secret
    else:
        with pytest.raises(ValidationError, match="max_webhook_secret"):
            settings()


def test_max_webhook_path_and_port() -> None:
    from bot.settings import Settings

    def hooked(url: str, **more: int) -> Settings:
        return Settings(
            bot_token="123:ABC",
            max_bot_token="t",
            max_webhook_url=url,
            max_webhook_secret="s3cret",
            _env_file=None,
            **more,  # type: ignore[arg-type]
        )

    assert hooked("https://bot.example.ru/max/hook").max_webhook_path == "/max/hook"
    assert hooked("https://bot.example.ru/max/hook", webhook_port=8443).http_port == 8443, "MAX's POSTs: WEBHOOK_PORT"
    assert hooked("https://bot.example.ru", metrics_port=9100).http_port == 9100, "or the health server's"
    assert hooked("https://bot.example.ru").max_webhook_path == "/max/webhook"


def test_telegram_and_max_webhooks_need_different_paths() -> None:
    from pydantic import ValidationError

    from bot.settings import Settings

    with pytest.raises(ValidationError, match="путь совпадает"):
        Settings(
            bot_token="123:ABC",
            webhook_url="https://bot.example.ru/hook",
            webhook_secret="tg-secret",
            max_bot_token="t",
            max_webhook_url="https://bot.example.ru/hook",
            max_webhook_secret="max-secret",
            _env_file=None,
        )
