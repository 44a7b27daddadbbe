"""One instance at a time runs each singleton role (the delivery worker, the reminder planner), with failover.

On PostgreSQL every role is a session-level advisory lock (`pg_try_advisory_lock`) held on a connection of
its own: the instance whose call returns true runs the role for as long as that connection lives. When the
leader dies (SIGKILL, a lost network) PostgreSQL ends its session and drops the lock; a standby, which
tries again every `retry_seconds`, takes over. The leader checks its connection every `check_seconds`: a
connection that broke means the lock may already be someone else's, so it stops the role at once.

Why one delivery leader rather than senders on every instance with a shared rate limiter: Telegram's limits
are per bot token (about 30 messages per second overall, one per second per chat). One sender keeps them
with a local token bucket and a per-chat clock, exactly and without a round trip per message; a shared
limiter would need Redis or the database on every send and still race at the edges. One bot sends at most
~30/s anyway, which a single instance does with a fraction of one core (see the broadcast benchmark).

On SQLite there is one instance by construction (one file, one host): it simply runs every role.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit key per role, the same on every instance (hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(f"adresat:{name}".encode()).digest()[:8], "big", signed=True)


@dataclass(slots=True)
class Role:
    """A job that must run on exactly one instance: started on election, stopped when leadership is lost."""

    name: str
    start: Callable[[], Awaitable[None]]
    stop: Callable[[], Awaitable[None]]
    # PostgreSQL LISTEN channel whose notifications call `wake` on the leader (rows queued by any instance).
    channel: str | None = None
    wake: Callable[[], None] | None = None
    leading: bool = field(default=False, init=False)
    since: float | None = field(default=None, init=False)


class Leadership:
    """Campaigns for every role; `leads(name)` tells whether this instance runs it now."""

    def __init__(
        self,
        engine: AsyncEngine,
        roles: list[Role],
        *,
        retry_seconds: float = 3.0,
        check_seconds: float = 1.0,
    ) -> None:
        self.engine = engine
        self.roles = {role.name: role for role in roles}
        self.retry_seconds = retry_seconds
        self.check_seconds = check_seconds
        self.uses_locks = engine.dialect.name == "postgresql"
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self._connections: dict[str, AsyncConnection] = {}

    def leads(self, name: str) -> bool:
        return self.roles[name].leading

    def status(self) -> dict[str, bool]:
        return {name: role.leading for name, role in self.roles.items()}

    async def start(self) -> None:
        self._stopping.clear()
        if not self.uses_locks:
            for role in self.roles.values():
                await self._become_leader(role)
            return
        for role in self.roles.values():
            self._tasks.append(asyncio.create_task(self._campaign(role), name=f"leader-{role.name}"))

    async def stop(self) -> None:
        """Stop every role this instance runs and give the locks back (closing their connections)."""
        self._stopping.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        for role in self.roles.values():
            await self._step_down(role)

    # -- PostgreSQL ------------------------------------------------------------------------------

    async def _campaign(self, role: Role) -> None:
        while not self._stopping.is_set():
            try:
                if not role.leading:
                    if await self._try_lock(role):
                        await self._become_leader(role)
                        continue  # check the connection at once, then every check_seconds
                    delay = self.retry_seconds
                elif await self._still_holding(role):
                    delay = self.check_seconds
                else:
                    log.warning("lost the %s lock: stopping it here", role.name)
                    await self._step_down(role)
                    delay = self.retry_seconds
            except Exception:  # the database restarting must not end the campaign
                log.exception("leader election for %s failed", role.name)
                await self._step_down(role)
                delay = self.retry_seconds
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)

    async def _try_lock(self, role: Role) -> bool:
        # A standby keeps its connection between tries: one session per role and instance, not one per try.
        conn = self._connections.get(role.name)
        try:
            if conn is None:
                conn = await self.engine.connect()
                self._connections[role.name] = conn
                # AUTOCOMMIT: the lock belongs to the session, and an idle transaction would hold back VACUUM.
                await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": lock_key(role.name)}))
            if got and role.channel and role.wake is not None:
                wake = role.wake

                def notified(*_args: Any) -> None:
                    wake()

                raw = await conn.get_raw_connection()
                await raw.driver_connection.add_listener(role.channel, notified)  # type: ignore[union-attr]
        except BaseException:
            self._connections.pop(role.name, None)
            if conn is not None:
                await self._close(conn)
            raise
        return got

    async def _still_holding(self, role: Role) -> bool:
        conn = self._connections.get(role.name)
        if conn is None:
            return False
        try:
            async with asyncio.timeout(max(self.check_seconds, 1.0) * 5):
                await conn.scalar(text("SELECT 1"))
        except Exception:
            return False
        return True

    # -- both --------------------------------------------------------------------------------------

    async def _become_leader(self, role: Role) -> None:
        log.info("this instance now runs %s", role.name)
        role.leading = True
        role.since = asyncio.get_running_loop().time()
        await role.start()

    async def _step_down(self, role: Role) -> None:
        if role.leading:
            role.leading = False
            role.since = None
            try:
                await role.stop()
            except Exception:
                log.exception("stopping %s failed", role.name)
        conn = self._connections.pop(role.name, None)
        if conn is not None:
            await self._close(conn)

    @staticmethod
    async def _close(conn: AsyncConnection) -> None:
        # Closing returns the connection to the pool, which would keep the session (and the lock) alive:
        # invalidate it so PostgreSQL ends the session and the lock is free at once.
        with contextlib.suppress(Exception):
            await conn.invalidate()
        with contextlib.suppress(Exception):
            await conn.close()
