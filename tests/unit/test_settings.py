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
