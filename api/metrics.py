"""Prometheus metrics of one app: requests by route and status, their durations, screenings by status
(read from the database at scrape time, so every API process reports the same numbers) and, with a
broker, the depth of the screening queue. Each app has its own registry."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric, SummaryMetricFamily
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from screening.jobs import JOB_STATUSES

log = logging.getLogger("api")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _StateCollector:
    """Gauges computed when scraped; a source that fails is left out of that scrape (and logged)."""

    def __init__(
        self,
        statuses: Callable[[], dict[str, int]],
        queue_depth: Callable[[], int] | None,
        deliveries: Callable[[], dict[str, int]] | None = None,
        durations: Callable[[], tuple[int, float]] | None = None,
    ) -> None:
        self.statuses = statuses
        self.queue_depth = queue_depth
        self.deliveries = deliveries
        self.durations = durations

    def collect(self) -> Iterable[Metric]:
        try:
            counts = self.statuses()
        except Exception as exc:  # the database is down: /readyz says so; the scrape still answers
            log.warning("metrics: screenings by status unavailable: %s", exc)
        else:
            family = GaugeMetricFamily(
                "tiersight_screenings", "Screenings stored, by status.", labels=["status"]
            )
            for status in JOB_STATUSES:
                family.add_metric([status], counts.get(status, 0))
            yield family
        if self.deliveries is not None:
            try:
                outcomes = self.deliveries()
            except Exception as exc:
                log.warning("metrics: deliveries by outcome unavailable: %s", exc)
            else:
                family = GaugeMetricFamily(
                    "tiersight_deliveries", "Webhook and email deliveries, by outcome.", labels=["outcome"]
                )
                for outcome in ("pending", "delivered", "failed"):
                    family.add_metric([outcome], outcomes.get(outcome, 0))
                yield family
        if self.durations is not None:
            try:
                count, total = self.durations()
            except Exception as exc:
                log.warning("metrics: screening durations unavailable: %s", exc)
            else:
                yield SummaryMetricFamily(
                    "tiersight_screening_duration_seconds",
                    "Time from a screening's (last) start to its finish, over the screenings done.",
                    count_value=count,
                    sum_value=total,
                )
        if self.queue_depth is not None:
            try:
                depth = self.queue_depth()
            except Exception as exc:
                log.warning("metrics: queue depth unavailable: %s", exc)
            else:
                yield GaugeMetricFamily(
                    "tiersight_queue_depth", "Screening tasks waiting in the broker queue.", value=depth
                )


class Metrics:
    def __init__(
        self,
        statuses: Callable[[], dict[str, int]],
        queue_depth: Callable[[], int] | None = None,
        deliveries: Callable[[], dict[str, int]] | None = None,
        durations: Callable[[], tuple[int, float]] | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "tiersight_http_requests",
            "HTTP requests handled, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.durations = Histogram(
            "tiersight_http_request_duration_seconds",
            "Time to handle an HTTP request, by method and route template.",
            ["method", "route"],
            registry=self.registry,
        )
        self.registry.register(_StateCollector(statuses, queue_depth, deliveries, durations))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetrics:
    """Count and time every HTTP request, labelled by its route template (never the raw path, whose
    ids would make one series per screening)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [500]
        start = time.perf_counter()

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        except HTTPException as exc:  # answered by a middleware further out (the body-size limit's 413)
            status[0] = exc.status_code
            raise
        finally:
            route = _route_template(scope)
            method = str(scope["method"])
            self.metrics.requests.labels(method, route, str(status[0])).inc()
            self.metrics.durations.labels(method, route).observe(time.perf_counter() - start)


def _route_template(scope: Scope) -> str:
    """The matched route's path template (set in the scope by the router), else "unmatched"."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else "unmatched"
