"""Runs the real app (routers, middlewares, filters, delivery worker) polling the Bot API emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App, create_app
from bot.settings import Settings
from models.directory import fold
from models.entities import Approval, Member, Organisation
from tests.emulator.fixtures import TOKEN, polling

ADMIN_ID = 1000


def make_settings(base_url: str, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "database_url": database_url,
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
    assert app.bot is not None, "the harness runs Telegram: BOT_TOKEN is set"
    try:
        async with polling(app.dispatcher, app.bot, allowed_updates=app.dispatcher.resolve_used_update_types()):
            yield app
    finally:
        await app.bot.session.close()
        await app.engine.dispose()


async def add_org(session: AsyncSession, kind: str, name: str, municipality_id: int | None = None) -> Organisation:
    org = Organisation(kind=kind, name=name, name_folded=fold(name), municipality_id=municipality_id)
    session.add(org)
    await session.commit()
    return org


async def add_member(session: AsyncSession, user_id: int, org: Organisation, name: str = "") -> Member:
    member = Member(
        user_id=user_id,
        full_name=name or f"Пользователь {user_id}",
        organisation_id=org.id,
        role=org.kind,
        approval=Approval.APPROVED,
    )
    session.add(member)
    await session.commit()
    return member
