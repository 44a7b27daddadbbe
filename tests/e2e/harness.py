"""Runs the real app (routers, middlewares, filters, delivery worker) polling the Bot API emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App, create_app
from bot.settings import Settings
from models import channels
from models.directory import fold
from models.entities import Approval, Member, Organisation
from tests.emulator import TelegramEmulator
from tests.emulator.fixtures import TOKEN, polling
from tests.max_emulator import TOKEN as MAX_TOKEN
from tests.max_emulator import BotMessage, MaxEmulator

ADMIN_ID = 1000

# A short resolution for schools: two items, the first with a due date.
SEMINAR = """Резолюция семинара руководителей

Участники семинара рекомендуют:

Общеобразовательным организациям:
- провести педагогический совет по итогам семинара до 1 марта 2027 года;
- разместить материалы семинара на сайте школы.
"""


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


@asynccontextmanager
async def running_max_app(
    emulator: TelegramEmulator, max_emu: MaxEmulator, database_url: str, **overrides: Any
) -> AsyncIterator[App]:
    """The app with MAX on beside Telegram, each polling its emulator."""
    settings = make_settings(
        emulator.base_url, database_url, max_bot_token=MAX_TOKEN, max_api_base=max_emu.base_url, **overrides
    )
    async with running_app(settings) as running:
        yield running


async def add_max_member(
    session: AsyncSession, max_user_id: int, org: Organisation, name: str = "", approval: str = Approval.APPROVED
) -> Member:
    """A member known only on MAX (principal id: the negated MAX id), notices to MAX."""
    member = Member(
        user_id=channels.principal_for_max(max_user_id),
        max_user_id=max_user_id,
        preferred_channel="max",
        full_name=name or f"Пользователь MAX {max_user_id}",
        organisation_id=org.id,
        role=org.kind,
        approval=approval,
    )
    session.add(member)
    await session.commit()
    return member


async def max_press(emu: MaxEmulator, user: int, message: BotMessage, text: str) -> str:
    """Press the button `text` under `message` on MAX; the notification the bot answered with."""
    record = await emu.wait_answer(emu.click_button(user, message, text))
    return record.notification or ""
