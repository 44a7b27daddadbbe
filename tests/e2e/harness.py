"""Runs the real app (routers, middlewares, filters, worker) polling the Bot API emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.app import App, create_app
from bot.settings import Settings

TOKEN = "123456:TEST"
ADMIN_ID = 1000


def make_settings(base_url: str, db_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "database_url": f"sqlite+aiosqlite:///{db_path}",
        "admin_ids": frozenset({ADMIN_ID}),
        "telegram_api_base": base_url,
        "delivery_chat_interval_seconds": 0.0,
        "progress_edit_interval_seconds": 0.5,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[App]:
    """The app as `python -m bot` builds it, polling in a task; stopped cleanly afterwards."""
    app = await create_app(settings)
    started = asyncio.Event()

    async def mark_started() -> None:
        started.set()

    app.dispatcher.startup.register(mark_started)  # runs after the app's own startup hooks
    task = asyncio.create_task(
        app.dispatcher.start_polling(
            app.bot,
            handle_signals=False,
            close_bot_session=False,
            polling_timeout=1,
            allowed_updates=app.dispatcher.resolve_used_update_types(),
        )
    )
    try:
        await asyncio.wait_for(started.wait(), timeout=10)
        yield app
    finally:
        await app.dispatcher.stop_polling()
        await task
        await app.bot.session.close()
        await app.engine.dispose()
