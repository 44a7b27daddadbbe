"""The admin's live progress message for a broadcast: edited at most every few seconds, never to the
same text, then replaced by a final summary. It appears in the messenger the admin published from (the
broadcast's `admin_chat_id` is a principal id: negative for MAX), through that messenger's `ProgressPost`.
One reporter serves both delivery workers, one refresh at a time, so a broadcast gets one message."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import redelivery
from models.channels import Channel
from models.entities import Broadcast, Delivery, DeliveryState, Resolution
from models.timeutil import utcnow
from ui.keyboards import resend_keyboard
from ui.sender import RateLimitedError, SendError, TransientError, translated
from ui.texts import progress_text, unconfirmed_block

log = logging.getLogger(__name__)
TRANSIENT_RETRY_SECONDS = 30.0
OPEN_STATES = {DeliveryState.PENDING, DeliveryState.SENDING}


class ProgressPost(Protocol):
    """One messenger's way to show the progress message: failures are `ui.sender` errors."""

    async def send(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> str: ...

    async def edit(self, chat_id: int, ref: str, text: str, markup: InlineKeyboardMarkup | None) -> None: ...


class TelegramProgressPost:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> str:
        try:
            return str((await self.bot.send_message(chat_id, text, reply_markup=markup)).message_id)
        except Exception as exc:
            failure = translated(exc)
            if failure is None:
                raise
            raise failure from exc

    async def edit(self, chat_id: int, ref: str, text: str, markup: InlineKeyboardMarkup | None) -> None:
        try:
            await self.bot.edit_message_text(text=text, chat_id=chat_id, message_id=int(ref), reply_markup=markup)
        except Exception as exc:
            failure = translated(exc)
            if failure is None:
                raise
            raise failure from exc


def publisher(admin_chat_id: int) -> tuple[Channel, int]:
    """The messenger and chat of the admin who published (a principal id)."""
    return (Channel.MAX, -admin_chat_id) if admin_chat_id < 0 else (Channel.TELEGRAM, admin_chat_id)


class ProgressReporter:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        posts: Mapping[Channel, ProgressPost] | None = None,
        *,
        interval: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session_factory = session_factory
        self.posts: dict[Channel, ProgressPost] = dict(posts or {})
        self.interval = interval
        self.clock = clock
        self._last_edit: dict[str, float] = {}
        self._paused_until = 0.0
        self._last_scan = -1e9
        self._lock = asyncio.Lock()  # the Telegram and MAX workers share one reporter
        self._pending: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._retry_at: dict[str, float] = {}  # a batch whose messenger was unreachable waits until then

    def add(self, channel: Channel, post: ProgressPost) -> None:
        self.posts[channel] = post

    async def refresh(self, batches: set[str]) -> None:
        """Hand over the batches touched (the set is emptied); they are brought up to date in the background,
        one refresh at a time, so a slow or unreachable messenger never holds up sending.

        Open broadcasts are also looked up in the database now and then: one with nothing to send (nobody
        connected yet) or one left open by a restart still gets its final summary.
        """
        self._pending |= batches
        batches.clear()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._refresh_pending(), name="broadcast-progress")

    async def settle(self, within: float | None = None) -> None:
        """Wait for the refresh in flight (tests, `drain`, a stopping worker); past `within` seconds it is
        cancelled."""
        task = self._task
        if task is None or task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), within)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _refresh_pending(self) -> None:
        try:
            async with self._lock:
                await self._refresh(self._pending)
        except Exception:  # a database hiccup: the batches stay pending for the next round
            log.exception("broadcast progress not refreshed")

    async def _refresh(self, batches: set[str]) -> None:
        now = self.clock()
        if now < self._paused_until:
            return
        if now - self._last_scan >= self.interval:
            self._last_scan = now
            async with self.session_factory() as session:
                batches |= set(
                    (await session.scalars(select(Broadcast.batch).where(Broadcast.finished_at.is_(None)))).all()
                )
        for batch in list(batches):
            if self._retry_at.get(batch, 0.0) > now:
                continue
            try:
                finished = await self._refresh_one(batch)
            except RateLimitedError as exc:  # flood control: try again after the pause, keep the batch
                self._paused_until = self.clock() + exc.retry_after
                return
            except TransientError as exc:  # the admin's messenger is unreachable for now: this one waits
                log.info("progress for %s not shown yet: %s", batch, exc.reason)
                self._retry_at[batch] = self.clock() + TRANSIENT_RETRY_SECONDS
                continue
            except SendError as exc:  # the admin deleted the message or blocked the bot
                log.info("progress for %s not shown: %s", batch, exc.reason)
                finished = True
            if finished:
                batches.discard(batch)
                self._retry_at.pop(batch, None)

    async def _refresh_one(self, batch: str) -> bool:
        async with self.session_factory() as session:
            rows = (
                await session.execute(
                    select(Delivery.channel, Delivery.state, func.count())
                    .where(Delivery.batch == batch)
                    .group_by(Delivery.channel, Delivery.state)
                )
            ).all()
            # Rows the admin had sent again are carried by their new rows: counting both would double them.
            counts: dict[str, int] = {}
            sent_by_channel: dict[str, int] = {}
            for channel, state, n in rows:
                if state == DeliveryState.RESENT:
                    continue
                counts[str(state)] = counts.get(str(state), 0) + int(n)
                if state == DeliveryState.SENT:
                    sent_by_channel[str(channel)] = sent_by_channel.get(str(channel), 0) + int(n)
            final = not any(counts.get(s, 0) for s in OPEN_STATES)
            now = self.clock()
            if not final and now - self._last_edit.get(batch, -1e9) < self.interval:
                return False
            broadcast = await session.scalar(select(Broadcast).where(Broadcast.batch == batch))
            if broadcast is None:
                return final
            if broadcast.finished_at is not None:
                return True
            title = await session.scalar(select(Resolution.title).where(Resolution.id == broadcast.resolution_id))
            text = progress_text(title or "", counts, final=final, by_channel=sent_by_channel)
            markup = None
            if final and counts.get(DeliveryState.UNCONFIRMED):
                # Name who may not have it and offer to send it again: the admin decides, the bot does not guess.
                people = await redelivery.unconfirmed(session, batch)
                text += "\n" + unconfirmed_block([(p.name, p.organisation, p.chat_id) for p in people])
                markup = resend_keyboard(broadcast.id)
            channel, chat_id = publisher(broadcast.admin_chat_id)
            post = self.posts.get(channel)
            if post is None:  # published on a messenger this instance does not run: nobody to show it to
                broadcast.finished_at = utcnow()
                await session.commit()
                return True
            ref = broadcast.progress_ref if channel is Channel.MAX else broadcast.progress_message_id
            if ref is None:  # published without a progress message yet
                sent = await post.send(chat_id, text, markup)
                if channel is Channel.MAX:
                    broadcast.progress_ref = sent
                else:
                    broadcast.progress_message_id = int(sent)
                broadcast.progress_text = text
            elif text != broadcast.progress_text:
                await post.edit(chat_id, str(ref), text, markup)
                broadcast.progress_text = text
            self._last_edit[batch] = now
            if final:
                broadcast.finished_at = utcnow()
                self._last_edit.pop(batch, None)
            await session.commit()
            return final
