"""Prometheus metrics of one instance, in a registry of its own (never the process-global one: two apps in
one process, as in the tests, must not share counters or collide on names)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject, Update
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from scheduler.delivery import WorkerStats

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

# Handlers answer in milliseconds; an upload parsed from a PDF or an export takes seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
TICK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class _DeliveryCollector(Collector):
    """The delivery worker's own counters, read at scrape time: no second bookkeeping on the send path."""

    def __init__(self, stats: Callable[[], WorkerStats]) -> None:
        self.stats = stats

    def collect(self) -> Iterable[Metric]:
        stats = self.stats()
        family = CounterMetricFamily(
            "adresat_deliveries",
            "Outbox messages by outcome on this instance: sent, failed, rate_limited (429), blocked (403), retried",
            labels=["outcome"],
        )
        family.add_metric(["sent"], stats.sent)
        family.add_metric(["failed"], stats.failed)
        family.add_metric(["rate_limited"], stats.rate_limited)
        family.add_metric(["blocked"], stats.blocked)
        family.add_metric(["retried"], stats.retried)
        yield family


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter("adresat_updates", "Telegram updates handled, by type", ["type"], registry=r)
        self.update_seconds = Histogram(
            "adresat_update_seconds", "Time to handle one update", ["type"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.update_errors = Counter("adresat_update_errors", "Updates whose handling raised", ["type"], registry=r)
        self.webhook_duplicates = Counter(
            "adresat_webhook_duplicates", "Webhook updates dropped because they were already taken", registry=r
        )
        self.webhook_rejected = Counter(
            "adresat_webhook_rejected", "Webhook requests refused for a wrong or missing secret", registry=r
        )
        self.max_webhook_duplicates = Counter(
            "adresat_max_webhook_duplicates", "MAX webhook updates dropped because they were already taken", registry=r
        )
        self.max_webhook_rejected = Counter(
            "adresat_max_webhook_rejected", "MAX webhook requests refused for a wrong or missing secret", registry=r
        )
        self.planner_tick_seconds = Histogram(
            "adresat_planner_tick_seconds", "Duration of one reminder planner tick", buckets=TICK_BUCKETS, registry=r
        )
        self.outbox_depth = Gauge("adresat_outbox_depth", "Outbox rows due to be sent now", registry=r)
        self.outbox_oldest_seconds = Gauge(
            "adresat_outbox_oldest_pending_seconds",
            "How long the longest-waiting due outbox row has waited",
            registry=r,
        )
        self.leader = Gauge("adresat_leader", "1 where this instance runs the role", ["role"], registry=r)

    def watch_delivery(self, stats: Callable[[], WorkerStats]) -> None:
        self.registry.register(_DeliveryCollector(stats))

    def install(self, dispatcher: Dispatcher) -> None:
        """Time every update, outermost: the middlewares (session, member) are part of the latency."""
        manager = dispatcher.update.outer_middleware
        existing = list(manager)
        for middleware in existing:
            manager.unregister(middleware)
        manager.register(UpdateMetricsMiddleware(self))
        for middleware in existing:
            manager.register(middleware)


class UpdateMetricsMiddleware(BaseMiddleware):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        kind = _kind(event)
        started = time.perf_counter()
        try:
            return await handler(event, data)
        except Exception:
            self.metrics.update_errors.labels(kind).inc()
            raise
        finally:
            self.metrics.update_seconds.labels(kind).observe(time.perf_counter() - started)
            self.metrics.updates.labels(kind).inc()


def _kind(event: TelegramObject) -> str:
    if isinstance(event, Update):
        try:
            return event.event_type
        except Exception:  # an update type newer than this aiogram
            return "unknown"
    return type(event).__name__.lower()
