"""The one HTTP server: Slack at ``/slack/events``, tracked links at ``/r/<token>``, health at
``/healthz``. Later platforms mount their routes on the same application."""

from __future__ import annotations

import ipaddress
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bot.digest import ChartNotFound, DigestComposer
from bot.interactions import InteractionService
from bot.links import LinkAnswer, LinkRequest, LinkService, LinkState
from bot.privacy import PrivacyService
from bot.signing import LinkExpired, LinkInvalid
from bot.stats import StatsService

logger = logging.getLogger(__name__)

MAX_SLACK_BODY = 1_000_000  # Slack payloads are far smaller; refuse anything bigger early
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

Ping = Callable[[], Awaitable[None]]
NotFoundPage = Callable[[str], str]


def slack_events_handler(
    app: AsyncApp | None, signing_secret: str | None
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """``POST /slack/events``: verify the signature on the raw body, then hand to bolt."""
    verifier = SignatureVerifier(signing_secret) if signing_secret else None

    async def handle(request: web.Request) -> web.StreamResponse:
        if app is None or verifier is None:
            return web.json_response({"ok": False, "error": "slack_not_configured"}, status=503)
        if request.content_length and request.content_length > MAX_SLACK_BODY:
            return web.json_response({"ok": False, "error": "too_large"}, status=413)
        body = await request.text()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        # slack_sdk's verifier raises on a missing or non-numeric timestamp: check it first.
        if not timestamp.isdigit() or not verifier.is_valid(
            body=body,
            timestamp=timestamp,
            signature=request.headers.get("X-Slack-Signature", ""),
        ):
            # Forged, unsigned or older than 5 minutes (a replay): nothing is recorded.
            logger.warning("rejected a Slack request with a bad or stale signature")
            return web.json_response({"ok": False, "error": "invalid_signature"}, status=401)
        try:
            bolt_request = await to_bolt_request(request)
        except ValueError:
            logger.warning("rejected a signed Slack request whose payload is not valid JSON")
            return web.json_response({"ok": False, "error": "malformed_payload"}, status=400)
        started = time.perf_counter()
        response = await to_aiohttp_response(await app.async_dispatch(bolt_request))
        logger.debug("slack request acked in %.1f ms", (time.perf_counter() - started) * 1000)
        return response

    return handle


IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_UNSAFE_LOCATION = re.compile(r"[\x00-\x20\x7f]")


def tracked_link_handler(
    links: LinkService,
    not_found_page: NotFoundPage,
    expired_page: NotFoundPage,
    trusted_proxies: Sequence[IpNetwork] = (),
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """``GET|HEAD /r/<token>``: 302 to the stored content URL with UTM tags; the friendly page
    for an unknown token (404) or a content no longer shared (410).

    The visit is queued, not awaited (``LinkService.follow``). The Location comes from the
    stored content URL only: nothing of the request but the token is used, and a stored URL
    that is not plain http(s) without control characters is never sent (header injection).
    """

    async def handle(request: web.Request) -> web.StreamResponse:
        visit = LinkRequest(
            token=request.match_info.get("token", ""),
            user_agent=request.headers.get("User-Agent"),
            client=client_address(
                request.remote, request.headers.get("X-Forwarded-For"), trusted_proxies
            ),
            method=request.method,
        )
        try:
            answer = await links.follow(visit)
        except Exception:
            logger.exception("tracked link lookup failed")
            answer = LinkAnswer(LinkState.UNKNOWN)
        target = answer.target
        if answer.state is LinkState.REDIRECT and target is not None:
            if target.startswith(("https://", "http://")) and not _UNSAFE_LOCATION.search(target):
                return web.Response(status=302, headers={"Location": target, **NO_STORE})
            logger.error("refused to redirect to a stored URL that is not a plain http(s) URL")
        if answer.state is LinkState.EXPIRED:
            return web.Response(
                text=expired_page(page_locale(request.headers.get("Accept-Language"))),
                content_type="text/html",
                status=410,
                headers=NO_STORE,
            )
        return _not_found(request, not_found_page)

    return handle


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[IpNetwork]
) -> str | None:
    """The visitor's address: the connecting peer, unless the peer is a trusted proxy
    (``web.trusted_proxies``); then the nearest ``X-Forwarded-For`` hop that is not a trusted
    proxy, read right to left (each proxy appends the address it saw, so hops left of the
    first untrusted one were written by the client and prove nothing)."""
    if not peer or not trusted or not forwarded_for or not _trusted(peer, trusted):
        return peer
    for hop in reversed(forwarded_for.split(",")):
        try:
            address = ipaddress.ip_address(hop.strip())
        except ValueError:
            return peer  # a garbled header: fall back on what we know
        if not any(address in network for network in trusted):
            return str(address)
    return peer


def _trusted(peer: str, trusted: Sequence[IpNetwork]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in trusted)


def page_locale(accept_language: str | None) -> str:
    """``fr`` or ``en`` for a friendly page, the visitor's first choice by q-value."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in ("en", "fr") and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else "en"


def share_redirect_handler(
    interactions: InteractionService, not_found_page: NotFoundPage
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """``GET /s/<token>``: a share button that is a plain link (Teams): the click is counted,
    then a 302 to the network's share page built from stored rows; else the friendly 404."""

    async def handle(request: web.Request) -> web.StreamResponse:
        token = request.match_info.get("token", "")
        try:
            target = await interactions.share_via_link(
                token, user_agent=request.headers.get("User-Agent")
            )
        except Exception:
            logger.exception("share link failed")
            target = None
        if target is None:
            return _not_found(request, not_found_page)
        raise web.HTTPFound(location=target, headers=NO_STORE)

    return handle


def _not_found(request: web.Request, not_found_page: NotFoundPage) -> web.Response:
    locale = page_locale(request.headers.get("Accept-Language"))
    return web.Response(
        text=not_found_page(locale), content_type="text/html", status=404, headers=NO_STORE
    )


def health_handler(ping: Ping) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """``GET /healthz``: 200 once the database answers, 503 otherwise."""

    async def handle(_request: web.Request) -> web.StreamResponse:
        try:
            await ping()
        except Exception as error:
            logger.warning("health check: database unreachable: %s", type(error).__name__)
            return web.json_response(
                {"status": "unavailable", "database": "unreachable"}, status=503
            )
        return web.json_response({"status": "ok", "database": "ok"})

    return handle


RefusedPage = Callable[[str, bool], str]  # (locale, expired) -> HTML


def data_export_handler(
    privacy: PrivacyService | None, refused_page: RefusedPage
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """``GET /my-data/<token>``: the person's JSON export, built now, for a genuine link
    younger than 15 minutes; a friendly page otherwise (403 not valid, 410 expired)."""

    async def load(token: str) -> tuple[bytes, str]:
        assert privacy is not None  # noqa: S101 - checked by the handler
        export = await privacy.export_from_link(token)
        return export.to_json(), export.filename

    return _signed_download(
        None if privacy is None else load,
        refused_page,
        content_type="application/json",
        what="personal data",
        unavailable="privacy_not_configured",
    )


def _refused(page: str, status: int) -> web.Response:
    return web.Response(text=page, content_type="text/html", status=status, headers=NO_STORE)


def stats_export_handler(
    stats: StatsService | None, refused_page: RefusedPage
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """``GET /exports/<token>.csv``: the curators' stats CSV, built now, for a genuine link
    younger than 15 minutes whose curator still is one; a friendly page otherwise (403 not
    valid, 410 expired). The export is recorded in the audit log."""

    async def load(token: str) -> tuple[bytes, str]:
        assert stats is not None  # noqa: S101 - checked by the handler
        export = await stats.export_from_link(token)
        return export.content, export.filename

    return _signed_download(
        None if stats is None else load,
        refused_page,
        content_type="text/csv",
        what="stats export",
        unavailable="stats_not_configured",
    )


def chart_handler(
    digest: DigestComposer | None,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """``GET /charts/<token>.png``: a weekly digest's chart, for the Teams card that shows it
    (Teams clients fetch the image from here). The token is signed and expires, so charts
    cannot be listed or guessed; the image is programme totals only, so once genuine it may
    be cached. A bad, expired or unknown token gets a plain 403 / 410 / 404 (an ``<img>``
    shows no page)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if digest is None:
            raise web.HTTPNotFound
        try:
            png = await digest.chart_from_link(request.match_info.get("token", ""))
        except LinkExpired:
            logger.info("refused an expired chart link")
            return web.Response(status=410, text="expired", headers=NO_STORE)
        except LinkInvalid:
            logger.warning("refused a chart link with a bad signature")
            return web.Response(status=403, text="not valid", headers=NO_STORE)
        except ChartNotFound:
            logger.info("a genuine chart link whose image is gone")
            return web.Response(status=404, text="not found", headers=NO_STORE)
        return web.Response(
            body=png,
            content_type="image/png",
            headers={
                "Cache-Control": "public, max-age=86400",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )

    return handle


def _signed_download(
    load: Callable[[str], Awaitable[tuple[bytes, str]]] | None,
    refused_page: RefusedPage,
    *,
    content_type: str,
    what: str,
    unavailable: str,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A download behind a signed, expiring link: the file as an attachment that no cache
    keeps, or the friendly page (403 not genuine, 410 expired)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        locale = "fr" if request.headers.get("Accept-Language", "").startswith("fr") else "en"
        if load is None:
            return web.json_response({"ok": False, "error": unavailable}, status=503)
        try:
            body, filename = await load(request.match_info.get("token", ""))
        except LinkExpired:
            logger.info("refused an expired %s link", what)
            return _refused(refused_page(locale, True), 410)
        except LinkInvalid:
            logger.warning("refused a %s link with a bad signature or holder", what)
            return _refused(refused_page(locale, False), 403)
        return web.Response(
            body=body,
            content_type=content_type,
            charset="utf-8",
            headers={
                **NO_STORE,
                "Content-Disposition": f'attachment; filename="{filename}"',
                "X-Content-Type-Options": "nosniff",
            },
        )

    return handle
