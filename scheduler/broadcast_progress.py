"""The admin's live progress message for a broadcast: edited at most every few seconds, never to the
same text, then replaced by a final summary."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import redelivery
from models.entities import Broadcast, Delivery, DeliveryState, Resolution
from models.timeutil import utcnow
from ui.keyboards import resend_keyboard
from ui.texts import progress_text, unconfirmed_block

log = logging.getLogger(__name__)
OPEN_STATES = {DeliveryState.PENDING, DeliveryState.SENDING}


class ProgressReporter:
    def __init__(
        self,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        interval: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot = bot
        self.session_factory = session_factory
        self.interval = interval
        self.clock = clock
        self._last_edit: dict[str, float] = {}
        self._paused_until = 0.0
        self._last_scan = -1e9

    async def refresh(self, batches: set[str]) -> None:
        """Update the progress of every batch touched; finished batches leave the set.

        Open broadcasts are also looked up in the database now and then: one with nothing to send (nobody
        connected yet) or one left open by a restart still gets its final summary.
        """
        if self.clock() < self._paused_until:
            return
        if self.clock() - self._last_scan >= self.interval:
            self._last_scan = self.clock()
            async with self.session_factory() as session:
                batches |= set(
                    (await session.scalars(select(Broadcast.batch).where(Broadcast.finished_at.is_(None)))).all()
                )
        for batch in list(batches):
            try:
                finished = await self._refresh_one(batch)
            except TelegramRetryAfter as exc:  # flood control: try again after the pause, keep the batch
                self._paused_until = self.clock() + exc.retry_after
                return
            except TelegramAPIError as exc:  # the admin deleted the message or blocked the bot
                log.info("progress for %s not shown: %s", batch, exc.message)
                finished = True
            if finished:
                batches.discard(batch)

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
            if broadcast.progress_message_id is None:  # published without a progress message yet
                sent = await self.bot.send_message(broadcast.admin_chat_id, text, reply_markup=markup)
                broadcast.progress_message_id = sent.message_id
                broadcast.progress_text = text
            elif text != broadcast.progress_text:
                await self.bot.edit_message_text(
                    text=text,
                    chat_id=broadcast.admin_chat_id,
                    message_id=broadcast.progress_message_id,
                    reply_markup=markup,
                )
                broadcast.progress_text = text
            self._last_edit[batch] = now
            if final:
                broadcast.finished_at = utcnow()
                self._last_edit.pop(batch, None)
            await session.commit()
            return final
