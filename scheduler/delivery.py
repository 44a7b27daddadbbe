"""The delivery worker: drains the outbox at Telegram's pace, exactly once per row.

Protocol per round: pick the rows the limits allow, render each notice from the current state (a notice
whose subject is gone is cancelled, not sent), claim them (state SENDING, attempts + 1) and commit, send,
then record the results and commit. A row found in SENDING at start was in flight when the process
died; Telegram offers no idempotency key, so it is not resent (at-most-once) but marked UNCONFIRMED and
counted in the admin's summary. Every other row is sent exactly once.

Limits: a token bucket keeps the global rate at `delivery_rate_per_second`; one chat gets at most one
message per `delivery_chat_interval_seconds`; a 429 pauses everything for `retry_after`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.channels import Channel, on_blocked
from models.entities import Delivery, DeliveryState
from models.timeutil import utcnow
from scheduler.broadcast_progress import ProgressReporter
from ui.render import OutMessage, Renderer
from ui.sender import BlockedError, RateLimitedError, RejectedError, Sender, SendError

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class TokenBucket:
    """Global send rate. A small burst keeps any one-second window within rate + burst."""

    def __init__(self, rate: float, clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate / 10)
        self.tokens = self.capacity
        self.clock = clock
        self.stamp = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self, wanted: int) -> int:
        self._refill()
        granted = min(wanted, int(self.tokens))
        self.tokens -= granted
        return granted

    def wait_time(self) -> float:
        self._refill()
        return max(0.0, (1 - self.tokens) / self.rate)


@dataclass(frozen=True, slots=True)
class DeliveryLimits:
    rate_per_second: float = 25.0
    chat_interval_seconds: float = 1.0
    max_attempts: int = 5


@dataclass(slots=True)
class _Outcome:
    row_id: int
    state: DeliveryState | None  # None: back to PENDING for a retry
    message_id: int | None = None
    message_ref: str | None = None  # MAX names its messages by strings
    error: str | None = None
    not_before: datetime | None = None
    refund_attempt: bool = False  # a 429 is not the message's fault


@dataclass
class WorkerStats:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    retried: int = 0
    rate_limited: int = 0
    batches_touched: set[str] = field(default_factory=set)


class Doorbell:
    """Rung after a commit that queued outbox rows (the session factory's hook): the worker looks now
    instead of at its next poll. The one way anything wakes the worker."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def ring(self) -> None:
        self.event.set()


class DeliveryWorker:
    """Sends pending outbox rows; started and stopped with the dispatcher."""

    def __init__(
        self,
        sender: Sender,
        renderer: Renderer,
        session_factory: async_sessionmaker[AsyncSession],
        limits: DeliveryLimits,
        progress: ProgressReporter,
        *,
        doorbell: Doorbell | None = None,
        clock: Clock = time.monotonic,
        max_batch: int = 200,
        backoff_base: float = 2.0,
        channel: Channel = Channel.TELEGRAM,
    ) -> None:
        # One worker per messenger: each drains only its own rows (`Delivery.channel`), with its own rate,
        # its own 429 pause and its own per-chat spacing — MAX's limits are not Telegram's.
        self.channel = channel
        self.sender = sender
        self.renderer = renderer
        self.session_factory = session_factory
        self.limits = limits
        self.clock = clock
        self.bucket = TokenBucket(limits.rate_per_second, clock)
        self.max_batch = max_batch
        self.backoff_base = backoff_base  # seconds before the first retry; doubles per attempt
        self.stats = WorkerStats()
        self.progress = progress
        self._chat_ready_at: dict[int, float] = {}
        self._paused_until = 0.0
        self.doorbell = doorbell or Doorbell()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        self._stopping = False  # started again when this instance becomes the delivery leader once more
        await self.recover()
        self._task = asyncio.create_task(self.run(), name="delivery-worker")

    @property
    def running(self) -> bool:
        """The worker's loop is alive (for /healthz): started and neither stopped nor crashed."""
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Finish the round in flight (its results are recorded), then stop."""
        self._stopping = True
        self.doorbell.event.set()
        task, self._task = self._task, None
        if task is not None and not task.done():
            await task
        elif task is not None and not task.cancelled() and task.exception() is not None:  # it died: say why
            log.error("the delivery loop had died", exc_info=task.exception())
        await self.progress.settle(within=5.0)  # a progress message in flight, unless its messenger hangs

    def wake(self) -> None:
        """New rows were queued: look now instead of at the next poll."""
        self.doorbell.event.set()

    async def recover(self) -> int:
        """Rows left in SENDING by a crash become UNCONFIRMED (at-most-once). Returns their number."""
        async with self.session_factory() as session:
            result = await session.execute(
                update(Delivery)
                .where(Delivery.state == DeliveryState.SENDING, Delivery.channel == self.channel)
                .values(state=DeliveryState.UNCONFIRMED, last_error="прервано перезапуском бота")
                .returning(Delivery.batch)
            )
            batches = {b for (b,) in result.all() if b}
            await session.commit()
        self.stats.batches_touched |= batches
        if batches:
            log.warning("recovered %d interrupted batches", len(batches))
        return len(batches)

    # -- main loop -------------------------------------------------------------------------------

    async def run(self) -> None:
        while not self._stopping:
            try:
                did = await self.run_once()
                await self.progress.refresh(self.stats.batches_touched)
            except Exception:  # a database hiccup must not kill the worker; retry shortly
                log.exception("delivery round failed")
                did = False
            if not did:
                await self._idle()

    async def _idle(self) -> None:
        # After a 429 sleep out the pause; otherwise poll each second unless woken earlier.
        delay = max(0.0, self._paused_until - self.clock()) or 1.0
        self.doorbell.event.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.doorbell.event.wait(), timeout=delay)

    async def run_once(self) -> bool:
        """One round: claim what the limits allow, send it concurrently, record results."""
        now_mono = self.clock()
        if now_mono < self._paused_until:
            return False
        wanted = self.bucket.take(self.max_batch)
        if wanted == 0:
            await asyncio.sleep(self.bucket.wait_time())
            return True
        async with self.session_factory() as session:
            claimed, cancelled = await self._claim(session, wanted, now_mono)
        # Unused tokens go back: a quiet outbox must not bank a burst.
        self.bucket.tokens += wanted - len(claimed)
        if not claimed and not cancelled:
            return False
        outcomes = await asyncio.gather(*(self._send(row, message) for row, message in claimed))
        async with self.session_factory() as session:
            await self._record(session, outcomes)
        return True

    async def drain(self) -> None:
        """Send until nothing is pending (tests and benchmarks; wrap in asyncio.timeout)."""
        while True:
            did = await self.run_once()
            await self.progress.refresh(self.stats.batches_touched)
            await self.progress.settle()  # a drain ends with the progress shown
            if not did:
                async with self.session_factory() as session:
                    left = await session.scalar(
                        select(Delivery.id)
                        .where(Delivery.state == DeliveryState.PENDING, Delivery.channel == self.channel)
                        .limit(1)
                    )
                if left is None:
                    return
                await asyncio.sleep(0.02)

    async def _claim(
        self, session: AsyncSession, wanted: int, now_mono: float
    ) -> tuple[list[tuple[Delivery, OutMessage]], int]:
        now = utcnow()
        candidates = (
            await session.scalars(
                select(Delivery)
                .where(
                    Delivery.state == DeliveryState.PENDING,
                    Delivery.channel == self.channel,
                    # In SQL, not after the fetch: a morning's worth of reminders waiting for quiet hours
                    # to end must not fill the window and hold back a broadcast that may go now.
                    or_(Delivery.not_before.is_(None), Delivery.not_before <= now),
                )
                .order_by(Delivery.priority, Delivery.id)
                .limit(wanted * 4 + 20)
                # PostgreSQL: rows another worker is claiming right now are passed over, not waited for. One
                # leader sends (scheduler/leader.py), so this only matters if two overlap during a failover;
                # SQLite has no row locks and renders no FOR UPDATE.
                .with_for_update(skip_locked=True)
            )
        ).all()
        chosen: list[Delivery] = []
        chats: set[int] = set()
        for row in candidates:
            if row.chat_id in chats or self._chat_ready_at.get(row.chat_id, 0.0) > now_mono:
                continue  # one message per chat per interval; later rows of this chat wait
            chosen.append(row)
            chats.add(row.chat_id)
            if len(chosen) == wanted:
                break
        if not chosen:
            return [], 0
        # Rendered before the claim commits: a row is in flight only for as long as its request takes.
        messages = await self.renderer.render(session, chosen)
        stale = [row.id for row, message in zip(chosen, messages, strict=True) if message is None]
        claimed = [(row, message) for row, message in zip(chosen, messages, strict=True) if message is not None]
        if stale:
            await session.execute(
                update(Delivery)
                .where(Delivery.id.in_(stale), Delivery.state == DeliveryState.PENDING)
                .values(state=DeliveryState.CANCELLED, last_error="устарело: тема уведомления уже закрыта")
            )
        if claimed:
            # Only the rows this UPDATE moved are sent: a row another worker took meanwhile is not ours.
            taken = set(
                (
                    await session.scalars(
                        update(Delivery)
                        .where(Delivery.id.in_([row.id for row, _ in claimed]), Delivery.state == DeliveryState.PENDING)
                        .values(state=DeliveryState.SENDING, attempts=Delivery.attempts + 1)
                        .returning(Delivery.id)
                    )
                ).all()
            )
            claimed = [(row, message) for row, message in claimed if row.id in taken]
        await session.commit()  # the attempt is on disk before the request leaves
        interval = self.limits.chat_interval_seconds
        for row, _message in claimed:
            self._chat_ready_at[row.chat_id] = now_mono + interval
            if row.batch:
                self.stats.batches_touched.add(row.batch)
        return claimed, len(stale)

    async def _send(self, row: Delivery, message: OutMessage) -> _Outcome:
        try:
            sent = await self.sender.send(row.chat_id, message)
        except RateLimitedError as exc:
            self.stats.rate_limited += 1
            self._paused_until = max(self._paused_until, self.clock() + exc.retry_after)
            log.warning("429: pausing %ss", exc.retry_after)
            return _Outcome(row.id, None, error=exc.reason, refund_attempt=True)
        except BlockedError as exc:
            self.stats.blocked += 1
            return _Outcome(row.id, DeliveryState.BLOCKED, error=exc.reason)
        except RejectedError as exc:
            self.stats.failed += 1
            log.error("delivery %s rejected: %s", row.id, exc.reason)
            return _Outcome(row.id, DeliveryState.FAILED, error=exc.reason)
        except SendError as exc:  # transient: network errors and 5xx
            return self._retry_or_fail(row, exc.reason)
        self.stats.sent += 1
        if isinstance(sent, str):
            return _Outcome(row.id, DeliveryState.SENT, message_ref=sent)
        return _Outcome(row.id, DeliveryState.SENT, message_id=sent)

    def _retry_or_fail(self, row: Delivery, error: str) -> _Outcome:
        attempts = row.attempts  # the claim's UPDATE also synchronised the loaded row
        if attempts >= self.limits.max_attempts:
            self.stats.failed += 1
            return _Outcome(row.id, DeliveryState.FAILED, error=error)
        self.stats.retried += 1
        backoff = min(300.0, self.backoff_base * 2 ** (attempts - 1))
        return _Outcome(row.id, None, error=error, not_before=utcnow() + timedelta(seconds=backoff))

    async def _record(self, session: AsyncSession, outcomes: list[_Outcome]) -> None:
        now = utcnow()
        sent = [o for o in outcomes if o.state == DeliveryState.SENT]
        if sent:
            await session.execute(
                update(Delivery),
                [
                    {
                        "id": o.row_id,
                        "state": DeliveryState.SENT,
                        "message_id": o.message_id,
                        "message_ref": o.message_ref,
                        "sent_at": now,
                    }
                    for o in sent
                ],
            )
        for outcome in outcomes:
            if outcome.state == DeliveryState.SENT:
                continue
            values: dict[str, Any] = {"last_error": outcome.error}
            if outcome.state is None:
                values |= {"state": DeliveryState.PENDING, "not_before": outcome.not_before}
                if outcome.refund_attempt:
                    values["attempts"] = Delivery.attempts - 1
            else:
                values["state"] = outcome.state
            await session.execute(update(Delivery).where(Delivery.id == outcome.row_id).values(**values))
        # A member who blocked the bot here gets the notice once in the other messenger, if they are there;
        # otherwise they are marked inactive and the rest of their queue, which would only collect 403s, closes.
        await on_blocked(session, self.channel, [o.row_id for o in outcomes if o.state == DeliveryState.BLOCKED], now)
        await session.commit()
