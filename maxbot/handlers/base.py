"""What every MAX handler shares: the dependencies, one update's actor (`Act`), one press (`Press`), the
session middleware, and the steps a dialog can wait in (`State`).

maxapi delivers three kinds of update: `bot_started` (the dialog opened, with a deep link's payload),
`message_created` (commands, and answers to a question the bot asked) and `message_callback` (a button).
Someone who acts is named to the services by their principal id (`models.channels`), so a director on MAX
and one on Telegram are the same to every rule.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from maxapi.context import BaseContext
from maxapi.filters.middleware import BaseMiddleware, HandlerCallable
from maxapi.types import BotStarted, MessageCallback, MessageCreated
from maxapi.types.updates import UpdateUnion
from maxapi.types.users import User
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import joinedload

from maxbot.client import MaxClient
from maxbot.keyboards import body
from maxbot.render import MaxRenderer
from models import channels, membership, policy
from models.channels import Channel
from models.config import Config
from models.entities import Member
from models.timeutil import local_today


class State:
    """What the bot waits for in a dialog (the maxapi context keeps it per user)."""

    COMMENT = "report:comment"  # comment and files after a status report
    ITEM_COMMENT = "report:item_comment"
    ANSWER = "report:answer"
    RETURN_COMMENT = "report:return_comment"
    EXTENSION_DATE = "report:extension_date"
    EXTENSION_REASON = "report:extension_reason"
    PUBLISH_TEXT = "publish:text"  # an admin pastes a resolution, in one message or several
    DIRECTORY_FILE = "admin:directory_file"  # after /orgs: the directory as .csv or .xlsx
    PAUSE_UNTIL = "profile:pause_until"  # /me → «Пауза напоминаний»: the date they resume
    JOIN_SEARCH = "join:search_school"  # a school's name, typed, within the municipality chosen
    JOIN_NAME = "join:name_and_position"


@dataclass(frozen=True, slots=True)
class MaxDeps:
    """What the MAX handlers need, built once by `maxbot.app`."""

    session_factory: async_sessionmaker[AsyncSession]
    config: Config
    client: MaxClient
    renderer: MaxRenderer
    limiter: membership.AttemptLimiter
    timezone: str
    # The Telegram bot's username when Telegram runs too (None: MAX alone, nothing says «Telegram»).
    telegram_username: Callable[[], Awaitable[str]] | None = None
    max_upload_bytes: int = 10 * 1024 * 1024  # the largest resolution file an admin may send


@dataclass(slots=True)
class Act:
    """One update: who acts, as whom, and how to answer."""

    deps: MaxDeps
    session: AsyncSession
    user: User
    member: Member | None
    context: BaseContext

    @property
    def principal(self) -> int:
        """How the services know this person: their Member's user id, else their MAX id as a principal id."""
        return self.member.user_id if self.member is not None else channels.principal_for_max(self.user.user_id)

    @property
    def is_admin(self) -> bool:
        return policy.Actor(self.principal, self.member).is_admin(self.deps.config.admin_ids)

    def today(self) -> date:
        return local_today(self.member.timezone if self.member else None, self.deps.timezone)

    async def say(self, text: str, markup: InlineKeyboardMarkup | None = None) -> str:
        return await self.deps.client.send(self.user.user_id, body(text, markup))

    async def edit(self, mid: str | None, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        if mid:
            await self.deps.client.edit(mid, body(text, markup))


def _user_of(event: Any) -> User | None:
    if isinstance(event, MessageCallback):
        return event.callback.user
    if isinstance(event, MessageCreated):
        return event.message.sender
    if isinstance(event, BotStarted):
        return event.user
    return None


class DepsMiddleware(BaseMiddleware):
    """One database session per update and the member behind the MAX user, like the aiogram middlewares."""

    def __init__(self, deps: MaxDeps) -> None:
        self.deps = deps

    async def __call__(self, handler: HandlerCallable, event_object: UpdateUnion, data: dict[str, Any]) -> Any:
        user = _user_of(event_object)
        if user is None or user.is_bot:
            return None
        async with self.deps.session_factory() as session:
            found = await channels.member_on(session, Channel.MAX, user.user_id)
            member = None
            if found is not None:
                member = await session.scalar(
                    select(Member).options(joinedload(Member.organisation)).where(Member.id == found.id)
                )
            data["act"] = Act(self.deps, session, user, member, data["context"])
            return await handler(event_object, data)


def plain(text: str) -> str:
    """Notifications are plain text; the bot's texts are HTML."""
    return html.unescape(text).replace("<b>", "").replace("</b>", "")[:200]


def full_name(user: User) -> str:
    return " ".join(p for p in (user.first_name, user.last_name) if p)


@dataclass(slots=True)
class Press:
    act: Act
    callback_id: str
    mid: str | None
    answered: bool = False

    async def answer(self, notification: str) -> None:
        self.answered = True
        await self.act.deps.client.answer(self.callback_id, notification=plain(notification))

    async def settle(self, outcome: str) -> None:
        """Say `outcome` and leave it in place of the pressed message, buttons gone: the question is closed."""
        await self.answer(outcome)
        await self.act.edit(self.mid, outcome)


TextStep = Callable[[Act, MessageCreated, str, dict[str, Any]], Awaitable[None]]
"""What a dialog waiting in a state does with the member's next message: (act, the message, its text, the
state's data)."""
PressHandler = Callable[[Press, Any], Awaitable[None]]


def document_of(event: MessageCreated) -> tuple[str, str, int | None] | None:
    """(file name, download URL, size) of a file in the message, if it has one."""
    message_body = event.message.body
    for attachment in (message_body.attachments if message_body else None) or []:
        url = getattr(getattr(attachment, "payload", None), "url", None)
        if str(getattr(attachment, "type", "")) == "file" and url:
            return str(getattr(attachment, "filename", None) or "документ"), str(url), getattr(attachment, "size", None)
    return None
