"""/healthz and /metrics: what an orchestrator, a load balancer and Prometheus ask an instance."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.metrics import Metrics
from models import outbox
from scheduler.leader import Leadership

log = logging.getLogger(__name__)

DELIVERY = "delivery"
PLANNER = "planner"
MAX_POLLING = "max_polling"  # long polling MAX: one instance (in webhook mode every instance takes POSTs)
DB_TIMEOUT = 5.0  # a database that takes longer than this to count the outbox is as good as down


class Worker(Protocol):
    @property
    def running(self) -> bool: ...


class Health:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        delivery: Worker,  # the outbox workers of the DELIVERY role
        leadership: Leadership,
        metrics: Metrics,
    ) -> None:
        self.session_factory = session_factory
        self.delivery = delivery
        self.leadership = leadership
        self.metrics = metrics

    async def snapshot(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, body). Healthy: the database answers and, where this instance leads the delivery,
        the worker's loop runs. A standby is healthy: it takes over when the leader goes."""
        depth: int | None = None
        oldest: float | None = None
        try:
            async with asyncio.timeout(DB_TIMEOUT), self.session_factory() as session:
                depth, oldest = await outbox.depth(session)
            database = True
        except Exception as exc:  # any driver error or the timeout: report it, don't raise
            log.warning("health: database unreachable: %s", exc)
            database = False
        roles = self.leadership.status()
        leads_delivery = roles.get(DELIVERY, False)
        worker = ("running" if self.delivery.running else "stopped") if leads_delivery else "standby"
        healthy = database and worker != "stopped"
        self.metrics.outbox_depth.set(depth or 0)
        self.metrics.outbox_oldest_seconds.set(oldest or 0.0)
        for name, leading in roles.items():
            self.metrics.leader.labels(name).set(1 if leading else 0)
        body: dict[str, Any] = {
            "status": "ok" if healthy else "fail",
            "database": database,
            "delivery_worker": worker,
            "leader": roles,
            "outbox_depth": depth,
            "oldest_pending_seconds": round(oldest, 3) if oldest is not None else None,
        }
        return healthy, body

    async def healthz(self, _request: web.Request) -> web.Response:
        healthy, body = await self.snapshot()
        return web.json_response(body, status=200 if healthy else 503)

    async def prometheus(self, _request: web.Request) -> web.Response:
        await self.snapshot()  # the gauges that come from the database are read at scrape time
        return web.Response(body=generate_latest(self.metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.prometheus)
