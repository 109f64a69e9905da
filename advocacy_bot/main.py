"""The composition root: the only place that reads settings, builds the engine, the stores,
the gateways, the scheduler and the web application, and wires them together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import httpx
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.directory import SlackGroupDirectory
from adapters.slack.gateway import SlackGateway
from adapters.slack.listeners import SlackDeps, register
from adapters.teams.gateway import TeamsGateway
from adapters.teams.graph import GraphClient, TeamsGroupDirectory
from adapters.teams.handler import AdvocacyTeamsBot, TeamsDeps
from adapters.teams.server import (
    TeamsCredentials,
    TeamsEndpoint,
    build_endpoint,
    teams_messages_handler,
)
from adapters.web.feeds import SafeFeedFetcher
from adapters.web.opengraph import SafePageFetcher
from adapters.web.server import (
    chart_handler,
    data_export_handler,
    health_handler,
    share_redirect_handler,
    slack_events_handler,
    stats_export_handler,
    tracked_link_handler,
)
from advocacy_bot.observability import (
    Metrics,
    MetricsObserver,
    metrics_handler,
    request_context_middleware,
)
from advocacy_bot.settings import (
    Config,
    ConfigError,
    Environment,
    build_digest_settings,
    build_emv_rates,
    build_feed_settings,
    build_programme,
    build_recap_settings,
    build_review_settings,
    build_roles_config,
    build_sender_settings,
    graph_credentials,
    load_config,
    load_guidelines,
)
from bot.clock import SystemClock
from bot.digest import DigestComposer
from bot.jobs import ScheduledWork
from bot.links import VisitorKeys
from bot.model import Platform, RawEventKind
from bot.pacing import LoopLag
from bot.ports import (
    ChatGateway,
    Clock,
    FeedFetcher,
    GroupDirectory,
    Notifier,
    PageMetadataFetcher,
    SuggestionGateway,
)
from bot.privacy import RetentionWork
from bot.prospects import ProspectService
from bot.sender import SenderSettings
from bot.services import Services, wire_services
from bot.signing import LinkSigner, random_secret
from bot.stats import StatsService
from bot.status import StatusService
from bot.suggestions import SuggestionService
from bot.views import ScheduledJob
from content_store.charts import SqlCharts
from content_store.engine import create_engine
from content_store.privacy import SqlPersonalData, SqlRawEvents
from content_store.repositories import Database, SqlStore
from content_store.suggestions import SqlSuggestions
from messages.charts import MatplotlibCharts
from messages.render import Templates
from messages.slack import SlackRenderer
from messages.teams import TeamsRenderer
from scheduler.fanout import SenderRunner
from scheduler.setup import (
    build_scheduler,
    holder_name,
    missed_slot,
    periodic_jobs,
    post_weekly_leaderboard,
    recap_jobs,
    recognition_jobs,
    retention_job,
    rollup_job,
    suggestion_jobs,
)

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything built for one process, with what must be started and stopped."""

    env: Environment
    status: StatusService
    config: Config
    services: Services
    store: SqlStore
    fanout: SenderRunner
    scheduler: AsyncIOScheduler
    slack_app: AsyncApp | None
    slack_gateway: SlackGateway | None
    renderer: SlackRenderer
    metrics: Metrics
    loop_lag: LoopLag
    teams: TeamsEndpoint | None
    # Slack Web API clients: they share one HTTP session (keep-alive) while the server runs.
    web_clients: tuple[AsyncWebClient, ...] = ()
    graph_http: httpx.AsyncClient | None = None  # Microsoft Graph (Teams roles), if used
    suggestions: SuggestionService | None = None
    stats: StatsService | None = None
    digest: DigestComposer | None = None  # the weekly digest (its chart links)


def load_settings(env: Environment) -> tuple[Config, Path]:
    """Read config.yaml from ``ADVOCACY_CONFIG``."""
    path = env.ADVOCACY_CONFIG
    return load_config(path), path


def build_runtime(
    env: Environment,
    *,
    clock: Clock | None = None,
    fetcher: PageMetadataFetcher | None = None,
    sender_settings: SenderSettings | None = None,
    feed_fetcher: FeedFetcher | None = None,
) -> Runtime:
    """Wire the process. Tests pass a clock, fetchers and faster sender settings."""
    config, config_path = load_settings(env)
    programme = build_programme(config, load_guidelines(config, config_path))
    clock = clock or SystemClock()
    store = SqlStore(
        Database(
            create_engine(
                env.DATABASE_URL,
                pool_size=config.database.pool_size,
                max_overflow=config.database.max_overflow,
                pool_pre_ping=config.database.pre_ping,
            )
        )
    )
    templates = Templates()
    renderer = SlackRenderer(templates)
    teams_renderer = TeamsRenderer(templates)
    metrics = Metrics()
    loop_lag = LoopLag()

    gateways: dict[Platform, ChatGateway] = {}
    slack_app: AsyncApp | None = None
    slack_gateway: SlackGateway | None = None
    sender_client: AsyncWebClient | None = None
    interactive_client: AsyncWebClient | None = None
    if env.SLACK_BOT_TOKEN is not None:
        token = env.SLACK_BOT_TOKEN.get_secret_value()
        # The fan-out owns its retries: no hidden retry in the sending client.
        sender_client = AsyncWebClient(token=token, base_url=env.SLACK_API_URL, retry_handlers=[])
        slack_gateway = SlackGateway(sender_client, renderer)
        gateways[Platform.SLACK] = slack_gateway

    teams = TeamsCredentials(
        app_id=env.MICROSOFT_APP_ID or "",
        app_password=(
            env.MICROSOFT_APP_PASSWORD.get_secret_value() if env.MICROSOFT_APP_PASSWORD else ""
        ),
        tenant_id=env.MICROSOFT_APP_TENANT_ID or "",
        app_type=env.MICROSOFT_APP_TYPE,
        openid_metadata_url=env.MICROSOFT_OPENID_METADATA_URL,
    )
    teams_endpoint: TeamsEndpoint | None = None
    teams_gateway: TeamsGateway | None = None
    if env.TEAMS_ENABLED:
        teams_endpoint = build_endpoint(
            teams, teams_renderer, default_locale=programme.default_locale
        )
        teams_gateway = TeamsGateway(
            adapter=teams_endpoint.adapter,
            app_id=teams.app_id,
            renderer=teams_renderer,
            addresses=store.addresses,
            clock=clock,
        )
        gateways[Platform.TEAMS] = teams_gateway

    roles_config = build_roles_config(config, env)
    directories: dict[Platform, GroupDirectory] = {}
    if sender_client is not None:
        directories[Platform.SLACK] = SlackGroupDirectory(sender_client)
    graph_http: httpx.AsyncClient | None = None
    graph: GraphClient | None = None
    credentials = graph_credentials(env)
    if roles_config.groups.get(Platform.TEAMS) and credentials is not None:
        graph_http = httpx.AsyncClient(timeout=10.0, follow_redirects=False)
        graph = GraphClient(
            tenant_id=roles_config.group_workspace[Platform.TEAMS],
            client_id=credentials[0],
            client_secret=credentials[1],
            http=graph_http,
            login_url=env.MICROSOFT_LOGIN_URL,
            graph_url=env.MICROSOFT_GRAPH_URL,
        )
    if env.TEAMS_ENABLED:
        directories[Platform.TEAMS] = TeamsGroupDirectory(graph, store.addresses)
    fetcher = fetcher or SafePageFetcher(
        timeout_seconds=config.fetch.timeout_seconds, max_bytes=config.fetch.max_bytes
    )
    notifiers: dict[Platform, Notifier] = {}  # badge news (issue 6)
    if slack_gateway is not None:
        notifiers[Platform.SLACK] = slack_gateway
    if teams_gateway is not None:
        notifiers[Platform.TEAMS] = teams_gateway
    signer = link_signer(env)  # my-data and stats export links, digest charts
    digest = DigestComposer(
        stats=store.stats,
        programme=programme,
        clock=clock,
        settings=build_digest_settings(config),
        charts=MatplotlibCharts(templates),
        chart_store=SqlCharts(store.db),
        signer=signer,
        public_url=env.ADVOCACY_PUBLIC_URL,
    )
    services = wire_services(
        store=store,
        gateways=gateways,
        programme=programme,
        clock=clock,
        fetcher=fetcher,
        public_url=env.ADVOCACY_PUBLIC_URL,
        leaderboard_channels={p: tuple(c) for p, c in config.leaderboard.channels.items()},
        report_previous_week=config.leaderboard.week == "previous",
        holder=holder_name(),
        sender_settings=sender_settings or build_sender_settings(config),
        observer=MetricsObserver(metrics),
        busy=loop_lag.busy,
        roles_config=roles_config,
        group_directories=directories,
        personal_data=SqlPersonalData(store.db),
        link_signer=signer,
        notifiers=notifiers,
        link_visits=store.link_visits,
        visitor_keys=visitor_keys(env),
        link_cache_seconds=config.web.link_cache_seconds,
        digest=digest,
        recap_settings=build_recap_settings(config),
    )
    fanout = SenderRunner(services.sender)
    review_gateways: dict[Platform, SuggestionGateway] = {}
    if slack_gateway is not None:
        review_gateways[Platform.SLACK] = slack_gateway
    if teams_gateway is not None:
        review_gateways[Platform.TEAMS] = teams_gateway
    suggestions = SuggestionService(
        suggestions=SqlSuggestions(store.db),
        contents=store.contents,
        ambassadors=store.ambassadors,
        ledger=store.ledger,
        publishing=services.publishing,
        fetcher=fetcher,
        gateways=review_gateways,
        programme=programme,
        clock=clock,
        settings=build_review_settings(config),
        is_curator=services.roles.is_curator,
        audit=services.audit,
        on_approved=services.recognition.after_suggestion_approved
        if services.recognition
        else None,
        feeds=build_feed_settings(config),
        feed_fetcher=feed_fetcher
        or SafeFeedFetcher(
            timeout_seconds=config.fetch.timeout_seconds, max_bytes=config.fetch.max_bytes
        ),
    )
    work = ScheduledWork(
        contents=store.contents,
        deliveries=store.deliveries,
        ambassadors=store.ambassadors,
        delivery=services.delivery,
        gateways=gateways,
        clock=clock,
        wake_sender=fanout.wake,
    )
    board = config.leaderboard
    scheduler = build_scheduler(
        leaderboard=services.leaderboard,
        day=board.day,
        hour=board.hour,
        minute=board.minute,
        timezone=ZoneInfo(board.timezone or config.programme.timezone),
        periodic=(
            *periodic_jobs(work),
            *suggestion_jobs(
                suggestions,
                poll_every=timedelta(minutes=config.feeds_poll_minutes),
                poll_feeds=bool(config.feeds),
            ),
            retention_job(retention_work(config, store, clock)),
            *recognition_jobs(services.recognition),
            rollup_job(services.leaderboard),
            *recap_jobs(services.recaps),
        ),
        jobs=store.jobs,
        clock=clock,
        observe=lambda job, outcome: metrics.record_scheduler_run(job, outcome),  # type: ignore[arg-type]
    )
    stats = StatsService(
        stats=store.stats,
        roles=services.roles,
        audit=services.audit,
        clock=clock,
        rates=build_emv_rates(config),
        networks=programme.networks,
        signer=signer,
        public_url=env.ADVOCACY_PUBLIC_URL,
    )
    prospects = ProspectService(
        prospects=store.prospects,
        roles=services.roles,
        audit=services.audit,
        programme=programme,
        clock=clock,
    )
    status = StatusService(
        queue=store.queue,
        settings=services.sender.settings,
        programme=programme,
        clock=clock,
        next_jobs=lambda: next_jobs(scheduler),
        roles=services.roles,
    )
    if slack_gateway is not None and env.SLACK_BOT_TOKEN is not None:
        interactive_client = AsyncWebClient(
            token=env.SLACK_BOT_TOKEN.get_secret_value(),
            base_url=env.SLACK_API_URL,
        )
        # Interactive calls (views.open, respond) may wait out one short 429.
        interactive_client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
        slack_app = AsyncApp(
            client=interactive_client,
            signing_secret=(
                env.SLACK_SIGNING_SECRET.get_secret_value() if env.SLACK_SIGNING_SECRET else None
            ),
            request_verification_enabled=env.SLACK_SIGNING_SECRET is not None,
            logger=logging.getLogger("slack_bolt"),
        )
        register(
            slack_app,
            SlackDeps(
                services=services,
                renderer=renderer,
                gateway=slack_gateway,
                wake_sender=fanout.wake,
                status=status,
                suggestions=suggestions,
                stats=stats,
                prospects=prospects,
            ),
        )
    if teams_endpoint is not None and teams_gateway is not None:
        teams_endpoint.bot = AdvocacyTeamsBot(
            TeamsDeps(
                services=services,
                renderer=teams_renderer,
                gateway=teams_gateway,
                wake_sender=fanout.wake,
                status=status,
                allowed_tenants=frozenset(config.teams.allowed_tenants),
                suggestions=suggestions,
                stats=stats,
                prospects=prospects,
            )
        )
    return Runtime(
        env,
        status,
        config,
        services,
        store,
        fanout,
        scheduler,
        slack_app,
        slack_gateway,
        renderer,
        metrics,
        loop_lag,
        teams_endpoint,
        tuple(c for c in (sender_client, interactive_client) if c is not None),
        graph_http,
        suggestions,
        stats,
        digest,
    )


def link_signer(env: Environment) -> LinkSigner:
    """The signer of download links, with ``ADVOCACY_LINK_SECRET`` (else a random secret)."""
    if env.ADVOCACY_LINK_SECRET is not None:
        return LinkSigner(env.ADVOCACY_LINK_SECRET.get_secret_value().encode())
    logger.warning(
        "ADVOCACY_LINK_SECRET is not set: download links (my-data) are signed with a random "
        "secret of this process; they stop working after a restart and on other replicas."
    )
    return LinkSigner(random_secret())


def visitor_keys(env: Environment) -> VisitorKeys:
    """Visitor keys of tracked links, salted with ``ADVOCACY_VISITOR_SALT`` (else random)."""
    if env.ADVOCACY_VISITOR_SALT is not None:
        return VisitorKeys(env.ADVOCACY_VISITOR_SALT.get_secret_value().encode())
    logger.warning(
        "ADVOCACY_VISITOR_SALT is not set: unique visitors of tracked links are keyed with a "
        "random salt of this process; a restart or another replica counts a visitor again."
    )
    return VisitorKeys(None)


def retention_work(config: Config, store: SqlStore, clock: Clock) -> RetentionWork:
    """The daily deletion of raw events past ``privacy.retention_days``."""
    days = config.privacy.retention_days.model_dump()
    return RetentionWork(
        events=SqlRawEvents(store.db),
        retention_days={RawEventKind(k): v for k, v in days.items() if v is not None},
        clock=clock,
    )


def next_jobs(scheduler: AsyncIOScheduler) -> list[ScheduledJob]:
    """The scheduler's jobs and their next run (from the trigger when not started)."""
    now = datetime.now(UTC)
    jobs = []
    for job in sorted(scheduler.get_jobs(), key=lambda j: j.id):
        upcoming = getattr(job, "next_run_time", None)
        if upcoming is None:
            upcoming = job.trigger.get_next_fire_time(None, now)
        jobs.append(ScheduledJob(job.id, upcoming))
    return jobs


def create_web_app(runtime: Runtime) -> web.Application:
    """The aiohttp application, with start-up and shutdown of the background work."""
    app = web.Application(client_max_size=1_000_000)
    env = runtime.env
    signing = env.SLACK_SIGNING_SECRET.get_secret_value() if env.SLACK_SIGNING_SECRET else None
    app.router.add_post(
        "/slack/events",
        slack_events_handler(runtime.slack_app if env.slack_http_ready() else None, signing),
    )
    links = runtime.services.links
    if links is None:
        raise RuntimeError("the web app needs a LinkService for /r/<token> (wire_services)")
    app.router.add_get(
        "/r/{token}",
        tracked_link_handler(
            links,
            runtime.renderer.link_not_found_page,
            runtime.renderer.link_expired_page,
            runtime.config.web.trusted_proxies,
        ),
    )
    app.router.add_post(
        "/api/messages",
        teams_messages_handler(runtime.teams),
    )
    app.router.add_get(
        "/s/{token}",
        share_redirect_handler(runtime.services.interactions, runtime.renderer.link_not_found_page),
    )
    app.router.add_get(
        "/my-data/{token}",
        data_export_handler(runtime.services.privacy, runtime.renderer.data_link_refused_page),
    )
    app.router.add_get(
        "/exports/{token}.csv",
        stats_export_handler(runtime.stats, runtime.renderer.stats_link_refused_page),
    )
    app.router.add_get("/charts/{token}.png", chart_handler(runtime.digest))
    app.router.add_get("/healthz", health_handler(runtime.store.db.ping))
    app.middlewares.append(request_context_middleware(runtime.metrics))
    app.router.add_get("/metrics", metrics_handler(runtime.metrics))
    app.cleanup_ctx.append(lambda _app: background(runtime))
    return app


async def start_socket_mode(runtime: Runtime) -> AsyncSocketModeHandler:
    """Connect to Slack over Socket Mode (no public URL needed); the caller closes it.

    Raises:
        ConfigError: without SLACK_BOT_TOKEN and SLACK_APP_TOKEN.
    """
    env = runtime.env
    if runtime.slack_app is None or env.SLACK_APP_TOKEN is None:
        raise ConfigError("--socket-mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN (xapp-...)")
    app_token = env.SLACK_APP_TOKEN.get_secret_value()
    # slack_sdk retries a refused connection forever; ask once first so a revoked or wrong
    # token stops start-up with a clear message instead of a silent retry loop.
    try:
        await runtime.slack_app.client.apps_connections_open(app_token=app_token)
    except SlackApiError as error:
        raise ConfigError(
            f"Slack refused SLACK_APP_TOKEN for Socket Mode: {error.response.get('error')}"
        ) from error
    handler = AsyncSocketModeHandler(runtime.slack_app, app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    return handler


async def background(runtime: Runtime) -> AsyncIterator[None]:
    """Start the sender and the scheduler with the server; stop them cleanly after it."""
    if runtime.slack_gateway is None:
        logger.warning(
            "SLACK_BOT_TOKEN is not set: Slack is disabled (tracked links and "
            "health still work). See README, 'Configuration'."
        )
    if runtime.teams is not None and runtime.teams.credentials.anonymous:
        logger.warning(
            "MICROSOFT_APP_ID is not set: Teams runs in anonymous local mode and accepts "
            "requests from this machine only (Agents Playground). See README, 'Teams'."
        )
    if not runtime.config.review.channels:
        logger.warning(
            "review.channels is not set: suggestions (/advocacy suggest, feeds) are stored "
            "but no curator sees them. See README, 'Suggestions and feeds'."
        )
    if runtime.store.db.dialect == "sqlite":
        # SQLite has one writer: small writes sharing commits is a clear win there. On
        # PostgreSQL concurrent transactions are faster than one connection running every
        # write in turn (measured: a 100/s click burst fell seconds behind and starved the
        # sender), so each write keeps its own transaction.
        runtime.store.db.group.start()
    # Without a session of its own, slack_sdk opens a new one, and a new connection (with its
    # TLS handshake against real Slack), for every call: reuse connections instead.
    http = aiohttp.ClientSession()
    for client in runtime.web_clients:
        client.session = http
    runtime.loop_lag.start()  # the sender holds back while this process is saturated
    runtime.services.interactions.start()  # clicks share commits; DM redraws coalesce
    if runtime.services.links is not None:
        runtime.services.links.start()  # link visits are written in batches, not awaited
    runtime.fanout.start()
    runtime.scheduler.start()
    # Queue depth for /metrics, refreshed in the background so a scrape never queries.
    depth = asyncio.create_task(
        runtime.metrics.queue_depth_cache.run(runtime.store.queue.counts, every_seconds=15),
        name="queue-depth",
    )
    board = runtime.config.leaderboard
    zone = ZoneInfo(board.timezone or runtime.config.programme.timezone)
    if missed_slot(
        runtime.services.clock.now(),
        day=board.day,
        hour=board.hour,
        minute=board.minute,
        timezone=zone,
    ):
        logger.info("the weekly leaderboard slot passed recently: running it once now")
        runtime.scheduler.add_job(
            post_weekly_leaderboard,
            args=[runtime.services.leaderboard],
            id="weekly_leaderboard_catch_up",
            replace_existing=True,
        )
    try:
        yield
    finally:
        depth.cancel()
        # Wait for it: a query it had under way must finish before the engine is disposed and
        # the loop closes (else aiosqlite's thread answers a closed loop).
        with contextlib.suppress(asyncio.CancelledError):
            await depth
        runtime.scheduler.shutdown(wait=False)
        await runtime.fanout.stop()
        await runtime.services.interactions.stop()
        if runtime.services.recognition is not None:
            await runtime.services.recognition.settle()  # badge checks of the last clicks
        if runtime.services.links is not None:
            await runtime.services.links.stop()  # every queued visit is written
        await runtime.loop_lag.stop()
        for client in runtime.web_clients:
            client.session = None
        await http.close()
        if runtime.graph_http is not None:
            await runtime.graph_http.aclose()
        await runtime.store.db.group.stop()
        await runtime.store.db.engine.dispose()
