"""Observability: the /metrics exposition, request ids, the ack histogram and JSON logs."""

from __future__ import annotations

import asyncio
import inspect
import io
import json
import logging
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from advocacy_bot.main import build_runtime, create_web_app
from advocacy_bot.observability import (
    ROUTES,
    Metrics,
    QueueDepthCache,
    bind_delivery,
    configure_logging,
    metrics_handler,
    request_context_middleware,
)
from advocacy_bot.settings import Environment
from bot.errors import DeliveryFailed
from tests.adapters.slack.conftest import CONFIG
from tests.bot.builders import person

EXPECTED_TYPES = {
    "advocacy_sends_total": "counter",
    "advocacy_rate_limited_total": "counter",
    "advocacy_retries_total": "counter",
    "advocacy_scheduler_runs_total": "counter",
    "advocacy_interactions_total": "counter",
    "advocacy_ack_seconds": "histogram",
    "advocacy_send_seconds": "histogram",
    "advocacy_send_rate": "gauge",
    "advocacy_queue_depth": "gauge",
}


def types_of(exposition: str) -> dict[str, str]:
    return dict(re.findall(r"^# TYPE (\S+) (\S+)$", exposition, flags=re.MULTILINE))


# --- metrics --------------------------------------------------------------------------------


def test_exposition_names_every_metric_with_its_type() -> None:
    types = types_of(Metrics().exposition().decode())
    assert {name: types.get(name) for name in EXPECTED_TYPES} == EXPECTED_TYPES


def test_each_metrics_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()  # the global registry would refuse the second
    first.record_send("slack", "sent", seconds=0.2)
    labels = {"platform": "slack", "outcome": "sent"}
    assert first.registry.get_sample_value("advocacy_sends_total", labels) == 1
    assert second.registry.get_sample_value("advocacy_sends_total", labels) == 0


def test_known_series_start_at_zero() -> None:
    registry = Metrics().registry
    for outcome in ("sent", "failed", "dead", "retried", "rate_limited"):
        labels = {"platform": "teams", "outcome": outcome}
        assert registry.get_sample_value("advocacy_sends_total", labels) == 0
    for route in ROUTES:
        assert registry.get_sample_value("advocacy_ack_seconds_count", {"route": route}) == 0


def test_record_send_counts_429s_retries_and_duration() -> None:
    metrics = Metrics()
    metrics.record_send("slack", "rate_limited")
    metrics.record_send("slack", "retried")
    metrics.record_send("slack", "sent", seconds=0.3)
    metrics.record_scheduler_run("weekly_leaderboard", "skipped_claimed")
    metrics.send_rate.labels(platform="slack").set(1.0)
    value = metrics.registry.get_sample_value
    assert value("advocacy_rate_limited_total", {"platform": "slack"}) == 1
    assert value("advocacy_retries_total", {"platform": "slack"}) == 1
    assert value("advocacy_send_seconds_count", {"platform": "slack"}) == 1
    assert value("advocacy_send_seconds_sum", {"platform": "slack"}) == pytest.approx(0.3)
    runs = {"job": "weekly_leaderboard", "outcome": "skipped_claimed"}
    assert value("advocacy_scheduler_runs_total", runs) == 1
    assert value("advocacy_send_rate", {"platform": "slack"}) == 1.0


def test_unknown_outcomes_are_refused_to_keep_labels_bounded() -> None:
    metrics = Metrics()
    with pytest.raises(ValueError, match="unknown send outcome"):
        metrics.record_send("slack", "exploded")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown scheduler outcome"):
        metrics.record_scheduler_run("job", "maybe")  # type: ignore[arg-type]


def test_queue_depth_is_read_from_the_callback_at_scrape_time_only() -> None:
    calls: list[int] = []
    counts = {"pending": 4, "sent": 10}

    def source() -> Mapping[str, int]:
        calls.append(1)
        return counts

    metrics = Metrics(queue_depth=source)
    assert calls == []  # registering does not read it
    text = metrics.exposition().decode()
    assert calls == [1]
    assert 'advocacy_queue_depth{state="pending"} 4.0' in text
    assert 'advocacy_queue_depth{state="sent"} 10.0' in text
    # A scrape is a plain function call: nothing to await, no event loop needed.
    assert not inspect.iscoroutinefunction(metrics.exposition)


def test_a_failing_queue_depth_source_does_not_fail_the_scrape(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken() -> Mapping[str, int]:
        raise RuntimeError("no")

    text = Metrics(queue_depth=broken).exposition().decode()
    assert "# TYPE advocacy_queue_depth gauge" in text
    assert "# TYPE advocacy_sends_total counter" in text
    assert "queue depth source failed" in caplog.text


async def test_the_cache_refreshes_in_the_background_and_survives_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache = QueueDepthCache()
    metrics = Metrics()
    assert metrics.queue_depth_cache.snapshot() == {}
    answers: list[Mapping[str, int] | Exception] = [
        {"pending": 2},
        RuntimeError("database away"),
        {"pending": 5, "failed": 1},
    ]
    done = asyncio.Event()

    async def fetch() -> Mapping[str, int]:
        answer = answers.pop(0) if len(answers) > 1 else answers[0]  # then the last, forever
        if len(answers) == 1:
            done.set()
        if isinstance(answer, Exception):
            raise answer
        return answer

    runner = asyncio.create_task(cache.run(fetch, every_seconds=0))
    async with asyncio.timeout(5):
        await done.wait()
    await asyncio.sleep(0)  # let the last refresh store its counts
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner
    assert cache.snapshot() == {"pending": 5, "failed": 1}
    assert "queue depth refresh failed" in caplog.text
    text = Metrics(queue_depth=cache.snapshot).exposition().decode()
    assert 'advocacy_queue_depth{state="failed"} 1.0' in text


async def test_a_failed_refresh_keeps_the_last_snapshot() -> None:
    cache = QueueDepthCache()

    async def good() -> Mapping[str, int]:
        return {"pending": 3}

    async def bad() -> Mapping[str, int]:
        raise OSError("gone")

    await cache.refresh(good)
    with pytest.raises(OSError, match="gone"):
        await cache.refresh(bad)
    assert cache.snapshot() == {"pending": 3}


# --- middleware -----------------------------------------------------------------------------


async def echo_context(_request: web.Request) -> web.Response:
    return web.json_response(structlog.contextvars.get_contextvars())


async def redirect(_request: web.Request) -> web.Response:
    raise web.HTTPFound(location="https://example.com/")


async def failing(_request: web.Request) -> web.Response:
    raise RuntimeError("handler bug")


@pytest.fixture
async def tiny_app() -> Any:
    metrics = Metrics()
    app = web.Application()
    app.middlewares.append(request_context_middleware(metrics))
    app.router.add_post("/slack/events", echo_context)
    app.router.add_get("/healthz", echo_context)
    app.router.add_get("/r/{token}", redirect)
    app.router.add_get("/boom", failing)
    app.router.add_get("/metrics", metrics_handler(metrics))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client, metrics


def ack_count(metrics: Metrics, route: str) -> float | None:
    return metrics.registry.get_sample_value("advocacy_ack_seconds_count", {"route": route})


async def test_a_well_formed_request_id_is_kept_and_bound(tiny_app: Any) -> None:
    client, _metrics = tiny_app
    incoming = "edge-7f3a.01_Z"
    response = await client.post(
        "/slack/events", headers={"X-Request-Id": incoming, "X-Slack-Retry-Num": "2"}
    )
    assert response.headers["X-Request-Id"] == incoming
    assert await response.json() == {"request_id": incoming, "slack_retry": 2}


@pytest.mark.parametrize(
    "garbage", ["", "has spaces", "x" * 200, "-leading-dash", "quote\"'<>", "é-accent"]
)
async def test_a_missing_or_garbage_request_id_is_replaced(tiny_app: Any, garbage: str) -> None:
    client, _metrics = tiny_app
    response = await client.get("/healthz", headers={"X-Request-Id": garbage})
    request_id = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert await response.json() == {"request_id": request_id}  # no slack_retry without Slack


async def test_the_context_does_not_leak_between_requests(tiny_app: Any) -> None:
    client, _metrics = tiny_app
    first = await client.get("/healthz")
    second = await client.get("/healthz")
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]
    assert structlog.contextvars.get_contextvars() == {}


async def test_every_response_is_timed_under_a_bounded_route_label(tiny_app: Any) -> None:
    client, metrics = tiny_app
    redirected = await client.get("/r/secret-token-123", allow_redirects=False)
    assert redirected.status == 302
    assert redirected.headers["X-Request-Id"]  # set on responses raised as exceptions too
    assert (await client.get("/no/such/page")).status == 404
    assert (await client.get("/boom")).status == 500
    await client.post("/slack/events")
    scrape = await client.get("/metrics")
    assert scrape.headers["Content-Type"].startswith("text/plain")
    text = await scrape.text()
    assert ack_count(metrics, "redirect") == 1
    assert ack_count(metrics, "slack_events") == 1
    assert ack_count(metrics, "other") == 2  # the 404, and /boom: not one of the named routes
    assert "secret-token-123" not in text and "/no/such/page" not in text
    labels = set(re.findall(r'advocacy_ack_seconds_count\{route="([^"]+)"\}', text))
    assert labels <= set(ROUTES)
    assert 'le="3.0"' in text and 'le="0.005"' in text  # sized for Slack's 3 s budget


async def test_the_real_app_serves_metrics_with_request_ids(
    tmp_path: Path, sqlite_url: str
) -> None:
    (tmp_path / "config.yaml").write_text(CONFIG)
    (tmp_path / "guidelines.md").write_text("# Guidelines\n\nBe kind.\n")
    env = Environment(ADVOCACY_CONFIG=tmp_path / "config.yaml", DATABASE_URL=sqlite_url)
    runtime = build_runtime(env)
    async with TestClient(TestServer(create_web_app(runtime), host="127.0.0.1")) as client:
        health = await client.get("/healthz", headers={"X-Request-Id": "probe-1"})
        assert health.status == 200 and health.headers["X-Request-Id"] == "probe-1"
        text = await (await client.get("/metrics")).text()
    assert types_of(text).items() >= EXPECTED_TYPES.items()
    assert ack_count(runtime.metrics, "healthz") == 1


# --- logging --------------------------------------------------------------------------------


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state: put it back for the other tests."""
    root = logging.getLogger()
    access = logging.getLogger("aiohttp.access")
    handlers, level, access_level = list(root.handlers), root.level, access.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        access.setLevel(access_level)
        structlog.reset_defaults()
        structlog.contextvars.clear_contextvars()


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.usefixtures("restore_logging")
def test_stdlib_logging_becomes_one_json_object_per_line() -> None:
    stream = io.StringIO()
    configure_logging("info", json=True, stream=stream)
    with structlog.contextvars.bound_contextvars(request_id="req-1"):
        logging.getLogger("x").info("hello %s", "world")
    logging.getLogger("x").debug("below the level")
    (line,) = json_lines(stream)
    assert line["event"] == "hello world"
    assert (line["level"], line["logger"], line["request_id"]) == ("info", "x", "req-1")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", line["timestamp"])


@pytest.mark.usefixtures("restore_logging")
def test_json_goes_to_standard_error_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json=True)
    with bind_delivery(42):
        logging.getLogger("sender").warning("sent")
    structlog.get_logger("structured").info("scheduled", job="weekly_leaderboard")
    first, second = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert (first["event"], first["delivery_id"]) == ("sent", 42)
    assert "delivery_id" not in second  # unbound after the block
    assert (second["event"], second["job"], second["logger"]) == (
        "scheduled",
        "weekly_leaderboard",
        "structured",
    )


@pytest.mark.usefixtures("restore_logging")
def test_exceptions_are_rendered_as_a_string_field() -> None:
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)
    try:
        _ = 1 / 0
    except ZeroDivisionError:
        logging.getLogger("x").exception("pass failed for %d deliveries", 3)
    (line,) = json_lines(stream)
    assert line["event"] == "pass failed for 3 deliveries"
    assert line["level"] == "error"
    assert "Traceback" in line["exception"] and "ZeroDivisionError" in line["exception"]


@pytest.mark.usefixtures("restore_logging")
def test_secrets_are_redacted() -> None:
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)
    log = logging.getLogger("x")
    log.info("calling with xoxb-123 now", extra={"token": "s3cr3t", "channel": "C1"})
    structlog.get_logger("y").info("auth", token="xapp-1-A", authorization="Bearer abc")
    try:
        raise ValueError("bad xoxp-9-9 token")
    except ValueError:
        log.exception("failed")
    output = stream.getvalue()
    for secret in ("xoxb-123", "s3cr3t", "xapp-1-A", "abc", "xoxp-9-9"):
        assert secret not in output
    first, second, third = json_lines(stream)
    assert first["event"] == "calling with [redacted] now"
    assert (first["token"], first["channel"]) == ("[redacted]", "C1")
    assert (second["token"], second["authorization"]) == ("[redacted]", "[redacted]")
    assert "[redacted]" in third["exception"]


@pytest.mark.usefixtures("restore_logging")
def test_configuring_twice_does_not_duplicate_lines() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("INFO", json=True, stream=first)
    configure_logging("INFO", json=True, stream=second)
    logging.getLogger("x").info("once")
    assert first.getvalue() == ""
    assert [line["event"] for line in json_lines(second)] == ["once"]
    names = [handler.get_name() for handler in logging.getLogger().handlers]
    assert names.count("advocacy_bot.observability") == 1


@pytest.mark.usefixtures("restore_logging")
def test_console_format_is_readable_and_redacted() -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", json=False, stream=stream)
    assert logging.getLogger("aiohttp.access").level == logging.NOTSET
    try:
        raise KeyError("xoxb-in-traceback")
    except KeyError:
        logging.getLogger("x").exception("listing %s", "content")
    output = stream.getvalue()
    assert "listing content" in output and "KeyError" in output
    assert "xoxb-in-traceback" not in output
    with pytest.raises(json.JSONDecodeError):
        json.loads(output.splitlines()[0])


@pytest.mark.usefixtures("restore_logging")
def test_json_quiets_the_access_log_and_refuses_unknown_levels() -> None:
    configure_logging("INFO", json=True, stream=io.StringIO())
    assert logging.getLogger("aiohttp.access").level == logging.WARNING
    with pytest.raises(ValueError, match="unknown log level"):
        configure_logging("LOUD", json=True, stream=io.StringIO())


@pytest.mark.usefixtures("restore_logging")
async def test_the_senders_log_lines_carry_the_delivery_id(world: Any) -> None:
    stream = io.StringIO()
    configure_logging("info", json=True, stream=stream)
    await world.join(1)
    await world.push()
    world.gateway.fail(person(1).user_id, DeliveryFailed("account_inactive", permanent=True))
    await world.services.sender.drain_all()
    refused = [line for line in json_lines(stream) if "refused for good" in line["event"]]
    assert refused
    assert refused[0]["delivery_id"] == world.deliveries()[0].id
    assert refused[0]["workspace"] == "slack:T1"
