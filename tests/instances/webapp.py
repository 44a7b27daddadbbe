"""The app in webhook mode, in-process: the real dispatcher behind the real aiohttp server on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.app import App, create_app
from bot.settings import Settings
from bot.webhook import build_web_app, register_webhook, serving
from tests.e2e.harness import make_settings

SECRET = "s3cret-Token_for-tests"
WEBHOOK_URL = "https://bot.example.ru/tg/webhook"


def webhook_settings(base_url: str, database_url: str, **overrides: Any) -> Settings:
    return make_settings(base_url, database_url, webhook_url=WEBHOOK_URL, webhook_secret=SECRET, **overrides)


@asynccontextmanager
async def webhook_app(settings: Settings) -> AsyncIterator[tuple[App, str]]:
    """(app, base URL of its server); the webhook is registered with the emulator as `python -m bot` does."""
    app = await create_app(settings)
    try:
        async with serving(build_web_app(app, webhook=True), "127.0.0.1", 0) as url:
            await register_webhook(app)
            yield app, url
    finally:
        if app.bot is not None:
            await app.bot.session.close()
        await app.engine.dispose()


def text_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    """A private message as Telegram posts it to a webhook."""
    user = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "language_code": "ru"}
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": 1_760_000_000,
        "chat": {"id": user_id, "type": "private", "first_name": user["first_name"]},
        "from": user,
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split(maxsplit=1)[0])}]
    return {"update_id": update_id, "message": message}
