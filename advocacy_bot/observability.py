"""Observability: Prometheus metrics at ``GET /metrics``, request ids, and structured logs.

Three pieces, all built by the composition root and injected, never module-level state:

- `Metrics` owns one `prometheus_client.CollectorRegistry` (never the global default, so a test
  can build as many as it likes) with every metric the bot exposes. The queue depth is read at
  scrape time from a synchronous callback, normally `QueueDepthCache.snapshot`, which a
  background task refreshes from the database: a scrape never waits for SQL.
- `request_context_middleware` gives every HTTP request an id (kept from ``X-Request-Id`` when
  well-formed), binds it into the log context, echoes it on the response, records the
  ``advocacy_ack_seconds`` histogram and writes one log line per request.
- `configure_logging` routes structlog *and* the stdlib ``logging.getLogger(__name__)`` calls
  used across the code base through one `structlog.stdlib.ProcessorFormatter`: one JSON object
  per line in production, a readable line in development, secrets redacted in both.

Decision on ``aiohttp.access``: with JSON logs it is quieted to WARNING, because the middleware
already writes one line per request, with the request id (the access logger runs after the
middleware has left the request's context, so its lines could not carry it) and with a bounded
route label instead of the raw path (``/r/<token>`` paths hold tracked-link tokens). With
console logs it is left alone, which is what a developer watching a terminal expects.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from types import MappingProxyType
from typing import Any, Final, Literal, TextIO, get_args

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from structlog.typing import EventDict, Processor, WrappedLogger

from bot.model import InteractionKind, Platform

logger = logging.getLogger(__name__)

SendOutcome = Literal["sent", "failed", "dead", "retried", "rate_limited"]
SchedulerOutcome = Literal["ran", "skipped_claimed", "failed"]
Route = Literal["slack_events", "redirect", "healthz", "metrics", "other"]

SEND_OUTCOMES: Final[tuple[SendOutcome, ...]] = get_args(SendOutcome)
SCHEDULER_OUTCOMES: Final[tuple[SchedulerOutcome, ...]] = get_args(SchedulerOutcome)
ROUTES: Final[tuple[Route, ...]] = get_args(Route)
_ROUTE_BY_NAME: Final[Mapping[str, Route]] = MappingProxyType({r: r for r in ROUTES})

# Route labels come from this fixed table, never from the raw path: a label per tracked-link
# token would grow the series without bound (and publish the tokens).
ROUTE_LABELS: Final[Mapping[str, Route]] = MappingProxyType(
    {
        "/slack/events": "slack_events",
        "/r/{token}": "redirect",
        "/healthz": "healthz",
        "/metrics": "metrics",
    }
)

# Slack acks must land within 3 s: fine buckets at the bottom, the budget as the last one.
ACK_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0)
# One Web API call: usually well under a second, up to the client's timeout when it struggles.
SEND_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUEST_ID_HEADER: Final = "X-Request-Id"
# Ids from a proxy or a client are kept only if they are short and plain, so a log line or a
# response header can never be used to smuggle text.
_WELL_FORMED_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_RETRY_NUM: Final = re.compile(r"[0-9]{1,3}")
_QUIET_ROUTES: Final = frozenset({"healthz", "metrics"})  # probes and scrapes: DEBUG, not INFO

QueueDepthSource = Callable[[], Mapping[str, int]]
QueueDepthFetch = Callable[[], Awaitable[Mapping[str, int]]]


class QueueDepthCache:
    """The last known number of deliveries per state, refreshed in the background.

    Prometheus scrapes run a synchronous collector; counting rows there would block the event
    loop (or need a second loop). The cache turns the count into a cheap dictionary read.
    """

    def __init__(self) -> None:
        self._snapshot: Mapping[str, int] = MappingProxyType({})

    def snapshot(self) -> Mapping[str, int]:
        """The counts of the last successful refresh (empty before the first one)."""
        return self._snapshot

    async def refresh(self, fetch: QueueDepthFetch) -> None:
        """Replace the snapshot with fresh counts.

        Args:
            fetch: Reads the number of deliveries per state, e.g. from the store.
        """
        counts = await fetch()
        # Swapped in one assignment: a scrape sees the old or the new counts, never a mix.
        self._snapshot = MappingProxyType({str(k): int(v) for k, v in counts.items()})

    async def run(self, fetch: QueueDepthFetch, every_seconds: float) -> None:
        """Refresh forever, every ``every_seconds``, until cancelled.

        A failed refresh is logged and keeps the previous snapshot: a database blip must not
        stop the loop, and the next refresh catches up.

        Args:
            fetch: Reads the number of deliveries per state.
            every_seconds: Pause between two refreshes.
        """
        while True:
            try:
                await self.refresh(fetch)
            except Exception:
                logger.exception("queue depth refresh failed; keeping the last counts")
            await asyncio.sleep(every_seconds)


class _QueueDepthCollector(Collector):
    """``advocacy_queue_depth{state}``, read from a synchronous callback at scrape time."""

    def __init__(self, source: QueueDepthSource) -> None:
        self._source = source

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "advocacy_queue_depth", "Deliveries per state (cached count).", labels=["state"]
        )

    def describe(self) -> Iterable[Metric]:
        # Lets the registry check names without calling the source at registration.
        return [self._family()]

    def collect(self) -> Iterable[Metric]:
        family = self._family()
        try:
            counts = self._source()
        except Exception:
            # One broken gauge must not fail the whole scrape and hide every other metric.
            logger.exception("queue depth source failed during a scrape")
            counts = {}
        for state, count in sorted(counts.items()):
            family.add_metric([state], count)
        return [family]


class Metrics:
    """Every Prometheus metric of one process, in a registry of its own.

    Attributes:
        registry: The registry ``GET /metrics`` exposes.
        queue_depth_cache: The default source of ``advocacy_queue_depth``; the composition root
            refreshes it with `QueueDepthCache.run`.
        sends: ``advocacy_sends_total{platform,outcome}``, one per send attempt.
        rate_limited: ``advocacy_rate_limited_total{platform}``, every 429 received.
        retries: ``advocacy_retries_total{platform}``, every send scheduled for a retry.
        scheduler_runs: ``advocacy_scheduler_runs_total{job,outcome}``.
        interactions: ``advocacy_interactions_total{kind}``.
        ack_seconds: ``advocacy_ack_seconds{route}``, time to answer an HTTP request.
        send_seconds: ``advocacy_send_seconds{platform}``, duration of one platform call.
        send_rate: ``advocacy_send_rate{platform}``, the sender's current limiter rate (per s).
    """

    def __init__(self, queue_depth: QueueDepthSource | None = None) -> None:
        """Create the registry and register every metric.

        Args:
            queue_depth: A synchronous, non-blocking callback returning deliveries per state;
                by default the snapshot of `queue_depth_cache`.
        """
        self.registry = CollectorRegistry()
        self.queue_depth_cache = QueueDepthCache()
        registry = self.registry
        self.sends = Counter(
            "advocacy_sends_total",
            "Send attempts by outcome.",
            ["platform", "outcome"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "advocacy_rate_limited_total",
            "Rate-limit (HTTP 429) answers received.",
            ["platform"],
            registry=registry,
        )
        self.retries = Counter(
            "advocacy_retries_total",
            "Sends scheduled for a retry.",
            ["platform"],
            registry=registry,
        )
        self.scheduler_runs = Counter(
            "advocacy_scheduler_runs_total",
            "Scheduled job runs by outcome.",
            ["job", "outcome"],
            registry=registry,
        )
        self.interactions = Counter(
            "advocacy_interactions_total",
            "Ambassador interactions recorded.",
            ["kind"],
            registry=registry,
        )
        self.ack_seconds = Histogram(
            "advocacy_ack_seconds",
            "Time to answer an HTTP request (Slack's budget is 3 s).",
            ["route"],
            buckets=ACK_BUCKETS,
            registry=registry,
        )
        self.send_seconds = Histogram(
            "advocacy_send_seconds",
            "Duration of one platform send call.",
            ["platform"],
            buckets=SEND_BUCKETS,
            registry=registry,
        )
        self.send_rate = Gauge(
            "advocacy_send_rate",
            "Current sender rate limit (messages per second).",
            ["platform"],
            registry=registry,
        )
        registry.register(_QueueDepthCollector(queue_depth or self.queue_depth_cache.snapshot))
        self._initialise_series()

    def _initialise_series(self) -> None:
        # Known label values start at 0, so rate() and absent() work from the first scrape
        # instead of the first event.
        for platform in Platform:
            self.rate_limited.labels(platform=platform.value)
            self.retries.labels(platform=platform.value)
            for outcome in SEND_OUTCOMES:
                self.sends.labels(platform=platform.value, outcome=outcome)
        for kind in InteractionKind:
            self.interactions.labels(kind=kind.value)
        for route in ROUTES:
            self.ack_seconds.labels(route=route)

    def record_send(
        self, platform: str, outcome: SendOutcome, *, seconds: float | None = None
    ) -> None:
        """Count one send attempt (and its 429 or retry), and observe its duration.

        Args:
            platform: ``slack`` or ``teams``.
            outcome: What happened to the attempt; ``rate_limited`` also counts a 429,
                ``retried`` also counts a retry.
            seconds: How long the platform call took, when one was made.

        Raises:
            ValueError: For an outcome outside `SEND_OUTCOMES` (labels stay bounded).
        """
        if outcome not in SEND_OUTCOMES:
            raise ValueError(f"unknown send outcome {outcome!r}; known: {SEND_OUTCOMES}")
        self.sends.labels(platform=platform, outcome=outcome).inc()
        if outcome == "rate_limited":
            self.rate_limited.labels(platform=platform).inc()
        elif outcome == "retried":
            self.retries.labels(platform=platform).inc()
        if seconds is not None:
            self.send_seconds.labels(platform=platform).observe(seconds)

    def record_scheduler_run(self, job: str, outcome: SchedulerOutcome) -> None:
        """Count one run of a scheduled job.

        Args:
            job: The job id (a fixed name such as ``weekly_leaderboard``).
            outcome: ``ran``, ``skipped_claimed`` (another process claimed it) or ``failed``.

        Raises:
            ValueError: For an outcome outside `SCHEDULER_OUTCOMES`.
        """
        if outcome not in SCHEDULER_OUTCOMES:
            raise ValueError(f"unknown scheduler outcome {outcome!r}; known: {SCHEDULER_OUTCOMES}")
        self.scheduler_runs.labels(job=job, outcome=outcome).inc()

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format (what ``GET /metrics`` returns)."""
        return generate_latest(self.registry)


class MetricsObserver:
    """The sender's observer (``bot.ports.SenderObserver``) feeding these metrics."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def sent(self, platform: str, seconds: float) -> None:
        """A send succeeded."""
        self._metrics.record_send(platform, "sent", seconds=seconds)

    def outcome(self, platform: str, outcome: str) -> None:
        """A send was retried, rate limited, failed or dead-lettered."""
        if outcome in SEND_OUTCOMES:
            self._metrics.record_send(platform, outcome)

    def rate(self, platform: str, per_second: float) -> None:
        """The limiter's rate of a platform."""
        self._metrics.send_rate.labels(platform=platform).set(per_second)


def metrics_handler(metrics: Metrics) -> Handler:
    """``GET /metrics``: the Prometheus text exposition of ``metrics``.

    It reveals volumes, not secrets; still, restrict it to the scraper at the ingress.
    """

    async def handle(_request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    return handle


def route_label(request: web.Request) -> Route:
    """The bounded ``route`` label of a request: its route name or canonical path, or other."""
    route = request.match_info.route
    named = _ROUTE_BY_NAME.get(route.name or "")
    if named is not None:
        return named
    resource = route.resource
    if resource is None:  # 404 and 405 have no resource
        return "other"
    return ROUTE_LABELS.get(resource.canonical, "other")


def request_context_middleware(metrics: Metrics) -> Middleware:
    """An aiohttp middleware that gives each request an id, its log context and its timing.

    The id is the incoming ``X-Request-Id`` when well-formed (a proxy's id then threads through
    both logs), otherwise a new uuid4 hex; it is bound as ``request_id`` in structlog's
    contextvars, with ``slack_retry`` from ``X-Slack-Retry-Num`` when Slack is retrying, and
    returned in ``X-Request-Id``. Tasks started while handling the request (bolt's work after
    the ack) copy the context, so their log lines carry the same id.

    Args:
        metrics: Where ``advocacy_ack_seconds{route}`` is observed for every response.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _WELL_FORMED_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        context: dict[str, Any] = {"request_id": request_id}
        retry = request.headers.get("X-Slack-Retry-Num", "")
        if _RETRY_NUM.fullmatch(retry):
            context["slack_retry"] = int(retry)
        route = route_label(request)
        started = time.perf_counter()

        def finish(status: int) -> None:
            elapsed = time.perf_counter() - started
            metrics.ack_seconds.labels(route=route).observe(elapsed)
            logger.log(
                logging.DEBUG if route in _QUIET_ROUTES else logging.INFO,
                "%s %s -> %d in %.1f ms",
                request.method,
                route,
                status,
                elapsed * 1000,
                extra={
                    "http_method": request.method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )

        with structlog.contextvars.bound_contextvars(**context):
            try:
                response = await handler(request)
            except web.HTTPException as raised:  # redirects and errors raised as responses
                raised.headers[REQUEST_ID_HEADER] = request_id
                finish(raised.status)
                raise
            except Exception:
                finish(500)
                raise
            if not response.prepared:  # a streamed response has already sent its headers
                response.headers[REQUEST_ID_HEADER] = request_id
            finish(response.status)
            return response

    return middleware


def bind_delivery(delivery_id: int) -> AbstractContextManager[None]:
    """Bind ``delivery_id`` into the log context for the ``with`` block (the sender's helper).

    Args:
        delivery_id: The delivery being sent.
    """
    return structlog.contextvars.bound_contextvars(delivery_id=delivery_id)


# --- logging -------------------------------------------------------------------------------

REDACTED: Final = "[redacted]"
_SECRET_KEY: Final = re.compile(
    r"token|secret|password|passwd|authorization|api[_-]?key|cookie", re.IGNORECASE
)
# Slack tokens (bot, user, app, legacy…) and bearer credentials, wherever they appear in text.
_SECRET_TEXT: Final = re.compile(r"(?:xox[a-z]|xapp)-[A-Za-z0-9-]*|(?i:bearer)\s+[\w.~+/=-]+")
_HANDLER_NAME: Final = "advocacy_bot.observability"
_REDACT_DEPTH: Final = 4  # event values are shallow; bound the walk for safety


def redact_text(text: str) -> str:
    """``text`` with every Slack token and bearer credential replaced by ``[redacted]``."""
    return _SECRET_TEXT.sub(REDACTED, text)


def _redact_value(value: object, depth: int) -> object:
    if isinstance(value, str):
        return redact_text(value)
    if depth >= _REDACT_DEPTH:
        return value
    if isinstance(value, Mapping):
        return {
            k: REDACTED
            if isinstance(k, str) and _SECRET_KEY.search(k)
            else _redact_value(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact_value(v, depth + 1) for v in value]
    return value


def redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: hide values of secret-named keys and tokens inside any string."""
    for key, value in event_dict.items():
        if _SECRET_KEY.search(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _redact_value(value, 0)
    return event_dict


_Renderer = Callable[[WrappedLogger, str, EventDict], str | bytes]


class _RedactingRenderer:
    """Wraps the final renderer and scrubs its output once more.

    The console renderer formats tracebacks itself, after every processor has run, and a
    traceback can quote a token; the JSON stays valid since only ``[A-Za-z0-9-]`` is replaced.
    """

    def __init__(self, renderer: _Renderer) -> None:
        self._renderer = renderer

    def __call__(self, logger: WrappedLogger, method: str, event_dict: EventDict) -> str:
        rendered = self._renderer(logger, method, event_dict)
        text = rendered.decode() if isinstance(rendered, bytes) else rendered
        return redact_text(text)


def configure_logging(level: str, *, json: bool, stream: TextIO | None = None) -> None:
    """Send structlog and stdlib logging through one formatter on the root logger.

    With ``json`` every record is one JSON object per line: ``timestamp`` (ISO 8601, UTC),
    ``level``, ``logger``, ``event`` (the %-formatted message), the bound context
    (``request_id``, ``delivery_id``…), ``extra=`` fields, and ``exception`` as a string.
    Without it, a readable console line. Calling it again replaces the previous handler.

    Args:
        level: Root level name (``DEBUG``, ``INFO``…; any case).
        json: JSON lines (production) or console lines (development).
        stream: Where to write; standard error by default.

    Raises:
        ValueError: For an unknown level name.
    """
    numeric = logging.getLevelNamesMapping().get(level.upper())
    if numeric is None:
        raise ValueError(f"unknown log level {level!r}")
    out = stream if stream is not None else sys.stderr
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: _Renderer
    if json:
        renderer = structlog.processors.JSONRenderer()
        rendering: list[Processor] = [structlog.processors.format_exc_info]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=_is_tty(out))
        rendering = []  # ConsoleRenderer formats exc_info itself (and warns if pre-formatted)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *rendering,
            redact_secrets,
            _RedactingRenderer(renderer),
        ],
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(out)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for previous in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(previous)  # idempotent: never two copies of each line
    root.addHandler(handler)
    root.setLevel(numeric)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING if json else logging.NOTSET)


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
