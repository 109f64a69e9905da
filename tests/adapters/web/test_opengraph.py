"""SafePageFetcher against a real local HTTP(S) server, plus its refusals.

Every test that really connects talks to an aiohttp server on 127.0.0.1 and has to opt in
with ``allow_private_addresses=True``. Tests about public hosts use an ``httpx.MockTransport``
and an injected resolver, so nothing here ever leaves the loopback interface; refusal tests
for non-loopback addresses also inject a transport that records any attempt, so even a
broken fetcher could not touch the network.
"""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import logging
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.web.opengraph import SafePageFetcher, is_public_address, parse_page_metadata
from bot.model import PageMetadata

PUBLIC_IP = "93.184.216.34"  # documentation-famous; only ever handed to a MockTransport
EMPTY = PageMetadata()

OG_PAGE = b"""<!doctype html>
<html><head>
<title>HTML title | Site</title>
<meta property="og:title" content="OG title">
<meta property="og:description" content="OG description">
<meta property="og:image" content="https://cdn.example/og.png">
<meta name="description" content="HTML description">
</head><body><p>Hello</p></body></html>
"""

HUGE_HEAD = (
    b"<html><head><title>Huge page</title>"
    b'<meta property="og:title" content="Huge OG title"></head><body>'
)
# Placed after the bulk of a huge body: finding it would mean the cap did not hold.
BEYOND_CAP = b'<meta property="og:description" content="beyond the cap">'
HUGE_CHUNK = b"<p>" + b"x" * 65_000 + b"</p>\n"
HUGE_CHUNKS = 80  # ~5 MB

GZIP_BOMB = gzip.compress(
    b"<html><head><title>Bomb</title></head><body>" + b" " * 20_000_000 + BEYOND_CAP,
    compresslevel=6,
)


def html(body: bytes | str, *, status: int = 200, content_type: str = "text/html") -> web.Response:
    data = body.encode() if isinstance(body, str) else body
    return web.Response(body=data, status=status, headers={"Content-Type": content_type})


@dataclass
class LocalSite:
    """The local server: what it received, and a latch that lets hanging handlers finish."""

    server: TestServer
    received: list[tuple[str, str]] = field(default_factory=list)  # (path, Host header)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def port(self) -> int:
        port = self.server.port
        assert port is not None
        return port

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    @property
    def paths(self) -> list[str]:
        return [path for path, _host in self.received]


def build_app(site_ref: list[LocalSite]) -> web.Application:
    def site() -> LocalSite:
        return site_ref[0]

    async def hang() -> None:
        # Bounded so a failing test cannot hang the run; released at teardown.
        await asyncio.wait_for(site().release.wait(), timeout=10)

    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        site().received.append((request.path_qs, request.headers.get("Host", "")))
        return await handler(request)

    async def og(request: web.Request) -> web.StreamResponse:
        return html(OG_PAGE)

    async def fallback(request: web.Request) -> web.StreamResponse:
        return html(
            "<html><head><title>  Plain\n   title </title>"
            '<meta name="description" content="Plain description"></head></html>'
        )

    async def twitter(request: web.Request) -> web.StreamResponse:
        return html(
            "<html><head><title>HTML title</title>"
            '<meta name="twitter:title" content="Card title">'
            '<meta name="twitter:description" content="Card description">'
            '<meta name="twitter:image" content="/card.png"></head></html>'
        )

    async def entities(request: web.Request) -> web.StreamResponse:
        return html(
            "<html><head>"
            '<meta property="og:title" content="  Fish &amp; Chips &#8212;\n\t &quot;fresh&quot; ">'
            "<title>Caf&eacute; &lt;3   &amp;amp;</title></head></html>"
        )

    async def relative_image(request: web.Request) -> web.StreamResponse:
        return html(
            '<html><head><meta property="og:title" content="Relative">'
            '<meta property="og:image" content="../img/a.png?v=1"></head></html>'
        )

    async def latin1(request: web.Request) -> web.StreamResponse:
        return html("<title>Café</title>".encode("iso-8859-1"), content_type="text/html")

    async def latin1_declared(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body="<title>Café</title>".encode("iso-8859-1"),
            headers={"Content-Type": 'text/html; charset="ISO-8859-1"'},
        )

    async def xhtml(request: web.Request) -> web.StreamResponse:
        return html(OG_PAGE, content_type="application/xhtml+xml")

    async def json_page(request: web.Request) -> web.StreamResponse:
        return html(OG_PAGE, content_type="application/json")

    async def no_type(request: web.Request) -> web.StreamResponse:
        return web.Response(body=OG_PAGE)  # aiohttp sends application/octet-stream

    async def not_found(request: web.Request) -> web.StreamResponse:
        return html(OG_PAGE, status=404)

    async def server_error(request: web.Request) -> web.StreamResponse:
        return html(OG_PAGE, status=500)

    async def gzipped(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=gzip.compress(OG_PAGE),
            headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
        )

    async def gzip_bomb(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=GZIP_BOMB, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}
        )

    async def brotli(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=b"\x0b\x02\x80hello\x03",
            headers={"Content-Type": "text/html", "Content-Encoding": "br"},
        )

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
        await response.prepare(request)
        await response.write(HUGE_HEAD)
        for _ in range(HUGE_CHUNKS):
            await response.write(HUGE_CHUNK)
        await response.write(BEYOND_CAP)
        # Never finish on our own: a fetcher that reads to the end can only time out.
        await hang()
        return response

    async def slow(request: web.Request) -> web.StreamResponse:
        await hang()
        return html(OG_PAGE)

    async def drip(request: web.Request) -> web.StreamResponse:
        # Each byte arrives well within any per-read timeout; only a total deadline stops it.
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        await response.write(b"<html><head><title>Drip</title>")
        for _ in range(100):
            await asyncio.sleep(0.05)
            await response.write(b" ")
        return response

    async def hop(request: web.Request) -> web.StreamResponse:
        remaining = int(request.match_info["n"])
        if remaining > 1:
            raise web.HTTPFound(f"/hop/{remaining - 1}")  # relative Location
        # Absolute Location, built from the Host header the fetcher sent.
        raise web.HTTPMovedPermanently(f"http://{request.host}/og")

    async def moved_image(request: web.Request) -> web.StreamResponse:
        raise web.HTTPTemporaryRedirect("/dir/sub/relative-image")

    async def redirect_nowhere(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302)

    app = web.Application(middlewares=[record])
    app.router.add_get("/og", og)
    app.router.add_get("/fallback", fallback)
    app.router.add_get("/twitter", twitter)
    app.router.add_get("/entities", entities)
    app.router.add_get("/dir/sub/relative-image", relative_image)
    app.router.add_get("/latin1", latin1)
    app.router.add_get("/latin1-declared", latin1_declared)
    app.router.add_get("/xhtml", xhtml)
    app.router.add_get("/json", json_page)
    app.router.add_get("/no-type", no_type)
    app.router.add_get("/missing", not_found)
    app.router.add_get("/error", server_error)
    app.router.add_get("/gzip", gzipped)
    app.router.add_get("/gzip-bomb", gzip_bomb)
    app.router.add_get("/brotli", brotli)
    app.router.add_get("/huge", huge)
    app.router.add_get("/slow", slow)
    app.router.add_get("/drip", drip)
    app.router.add_get("/hop/{n}", hop)
    app.router.add_get("/moved-image", moved_image)
    app.router.add_get("/redirect-nowhere", redirect_nowhere)
    return app


async def start_site(ssl_context: ssl.SSLContext | None = None) -> LocalSite:
    site_ref: list[LocalSite] = []
    server = TestServer(build_app(site_ref), host="127.0.0.1")
    site = LocalSite(server=server)
    site_ref.append(site)
    await server.start_server(ssl=ssl_context)
    return site


async def stop_site(site: LocalSite) -> None:
    site.release.set()
    await site.server.close()


@pytest.fixture
async def site() -> AsyncIterator[LocalSite]:
    local = await start_site()
    yield local
    await stop_site(local)


class FakeDns:
    """An injected resolver: fixed answers, every question recorded, no real DNS."""

    def __init__(self, answers: dict[str, list[str]] | None = None) -> None:
        self.answers = answers or {}
        self.questions: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.questions.append((host, port))
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(self.answers[host])


class RecordingTransport(httpx.MockTransport):
    """A MockTransport that remembers every request it was asked to send."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []

        def respond(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            if handler is None:
                return httpx.Response(599, text="must not be reached")
            return handler(request)

        super().__init__(respond)


def local_fetcher(**kwargs: object) -> SafePageFetcher:
    return SafePageFetcher(allow_private_addresses=True, **kwargs)  # type: ignore[arg-type]


# --- Parsing, through the real server -------------------------------------------------------


async def test_open_graph_tags_win(site: LocalSite) -> None:
    result = await local_fetcher().fetch(site.url("/og"))

    assert result == PageMetadata(
        title="OG title", summary="OG description", image_url="https://cdn.example/og.png"
    )


async def test_falls_back_to_html_title_and_description(site: LocalSite) -> None:
    result = await local_fetcher().fetch(site.url("/fallback"))

    assert result == PageMetadata(title="Plain title", summary="Plain description")


async def test_twitter_card_tags_outrank_html_title(site: LocalSite) -> None:
    result = await local_fetcher().fetch(site.url("/twitter"))

    assert result == PageMetadata(
        title="Card title",
        summary="Card description",
        image_url=site.url("/card.png"),
    )


async def test_entities_are_unescaped_once_and_whitespace_collapsed(site: LocalSite) -> None:
    result = await local_fetcher().fetch(site.url("/entities"))

    assert result.title == 'Fish & Chips \u2014 "fresh"'


async def test_relative_image_resolves_against_the_final_page_url(site: LocalSite) -> None:
    # Through a redirect and a hostname pinned to 127.0.0.1: the image URL must use the
    # final page's URL as the user knows it, not the first URL and not the IP.
    dns = FakeDns({"pinned.test": ["127.0.0.1"]})
    fetcher = local_fetcher(resolver=dns)

    result = await fetcher.fetch(site.url("/moved-image", host="pinned.test"))

    assert result.title == "Relative"
    assert result.image_url == f"http://pinned.test:{site.port}/dir/img/a.png?v=1"


async def test_charset_from_content_type_is_used(site: LocalSite) -> None:
    result = await local_fetcher().fetch(site.url("/latin1-declared"))

    assert result.title == "Café"


async def test_undeclared_charset_is_utf8_with_replacement(site: LocalSite) -> None:
    result = await local_fetcher().fetch(site.url("/latin1"))

    assert result.title == "Caf\ufffd"


async def test_xhtml_is_parsed(site: LocalSite) -> None:
    result = await local_fetcher().fetch(site.url("/xhtml"))

    assert result.title == "OG title"


async def test_gzip_body_is_decoded(site: LocalSite) -> None:
    result = await local_fetcher().fetch(site.url("/gzip"))

    assert result.title == "OG title"


@pytest.mark.parametrize("path", ["/json", "/no-type", "/missing", "/error", "/brotli"])
async def test_unusable_responses_give_empty_metadata(site: LocalSite, path: str) -> None:
    # Non-HTML types, error statuses (even with an OG-tagged body) and encodings we cannot
    # inflate safely.
    assert await local_fetcher().fetch(site.url(path)) == EMPTY
    assert site.paths == [path]


# --- Pinning the checked address -------------------------------------------------------------


async def test_connects_to_the_resolved_address_with_the_original_host_header(
    site: LocalSite,
) -> None:
    dns = FakeDns({"pinned.test": ["127.0.0.1"]})

    result = await local_fetcher(resolver=dns).fetch(site.url("/og", host="pinned.test"))

    assert result.title == "OG title"
    assert dns.questions == [("pinned.test", site.port)]
    assert site.received == [("/og", f"pinned.test:{site.port}")]


async def test_request_goes_to_the_checked_ip_never_the_name_again() -> None:
    # A rebinding DNS server: public on the first answer, loopback afterwards. Only one
    # answer is ever asked for, and the request goes to that address.
    answers = iter([[PUBLIC_IP], ["127.0.0.1"], ["127.0.0.1"]])

    async def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    transport = RecordingTransport(lambda request: httpx.Response(200, html=OG_PAGE.decode()))
    fetcher = SafePageFetcher(resolver=rebinding, transport=transport)

    result = await fetcher.fetch("https://public.example/a%20b?q=1&r=2#frag")

    assert result.title == "OG title"
    [request] = transport.requests
    assert str(request.url) == f"https://{PUBLIC_IP}/a%20b?q=1&r=2"
    assert request.headers["Host"] == "public.example"
    # What makes TLS send SNI for, and check the certificate against, the real name.
    assert request.extensions["sni_hostname"] == "public.example"


async def test_ipv6_addresses_are_bracketed_and_ports_kept() -> None:
    dns = FakeDns({"v6.example": ["2606:2800:220:1:248:1893:25c8:1946"]})
    transport = RecordingTransport(lambda request: httpx.Response(200, html="<title>v6</title>"))
    fetcher = SafePageFetcher(resolver=dns, transport=transport)

    result = await fetcher.fetch("http://v6.example:8080/x")

    assert result.title == "v6"
    [request] = transport.requests
    assert str(request.url) == "http://[2606:2800:220:1:248:1893:25c8:1946]:8080/x"
    assert request.headers["Host"] == "v6.example:8080"
    assert "sni_hostname" not in request.extensions
    assert dns.questions == [("v6.example", 8080)]


async def test_credentials_in_the_url_are_not_sent() -> None:
    transport = RecordingTransport(lambda request: httpx.Response(200, html="<title>t</title>"))
    fetcher = SafePageFetcher(
        resolver=FakeDns({"public.example": [PUBLIC_IP]}), transport=transport
    )

    await fetcher.fetch("http://alice:secret@public.example/")

    [request] = transport.requests
    assert "authorization" not in request.headers
    assert request.url.userinfo == b""


# --- Redirects -------------------------------------------------------------------------------


async def test_follows_a_redirect_chain(site: LocalSite) -> None:
    result = await local_fetcher(max_redirects=3).fetch(site.url("/hop/3"))

    assert result.title == "OG title"
    assert site.paths == ["/hop/3", "/hop/2", "/hop/1", "/og"]


async def test_too_many_redirects_give_empty_metadata(site: LocalSite) -> None:
    result = await local_fetcher(max_redirects=3).fetch(site.url("/hop/4"))

    assert result == EMPTY
    assert site.paths == ["/hop/4", "/hop/3", "/hop/2", "/hop/1"]


async def test_redirect_without_location_gives_empty_metadata(site: LocalSite) -> None:
    assert await local_fetcher().fetch(site.url("/redirect-nowhere")) == EMPTY


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1:{port}/og",
        "http://[::1]:{port}/og",
        "http://169.254.169.254/latest/meta-data",
        "http://internal.example/",
        "ftp://public.example/file",
        "javascript:alert(1)",
    ],
)
async def test_redirect_to_a_forbidden_target_is_refused(site: LocalSite, location: str) -> None:
    dns = FakeDns({"public.example": [PUBLIC_IP], "internal.example": ["10.20.30.40"]})
    transport = RecordingTransport(
        lambda request: httpx.Response(302, headers={"Location": location.format(port=site.port)})
    )
    fetcher = SafePageFetcher(resolver=dns, transport=transport)

    result = await fetcher.fetch("http://public.example/start")

    assert result == EMPTY
    assert [str(request.url) for request in transport.requests] == [f"http://{PUBLIC_IP}/start"]
    assert site.received == []


# --- Size and time bounds --------------------------------------------------------------------


async def test_huge_body_is_cut_at_max_bytes_and_head_still_parsed(site: LocalSite) -> None:
    fetcher = local_fetcher(max_bytes=200_000, timeout_seconds=3.0)
    started = time.monotonic()

    result = await fetcher.fetch(site.url("/huge"))

    # The response never ends until teardown, so reading it all could only have timed out.
    assert time.monotonic() - started < 2.0
    assert result == PageMetadata(title="Huge OG title")  # BEYOND_CAP was not reached


async def test_gzip_bomb_is_inflated_only_up_to_max_bytes(site: LocalSite) -> None:
    result = await local_fetcher(max_bytes=100_000).fetch(site.url("/gzip-bomb"))

    assert result == PageMetadata(title="Bomb")


async def test_slow_server_times_out_with_empty_metadata(site: LocalSite) -> None:
    started = time.monotonic()

    result = await local_fetcher(timeout_seconds=0.5).fetch(site.url("/slow"))

    assert result == EMPTY
    assert 0.4 < time.monotonic() - started < 1.5


async def test_timeout_bounds_the_whole_fetch_not_each_read(site: LocalSite) -> None:
    started = time.monotonic()

    result = await local_fetcher(timeout_seconds=0.5).fetch(site.url("/drip"))

    assert result == EMPTY
    assert time.monotonic() - started < 1.5


async def test_connection_refused_gives_empty_metadata() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    # Nothing listens on the port any more.
    assert await local_fetcher().fetch(f"http://127.0.0.1:{port}/") == EMPTY


async def test_unreachable_first_address_falls_back_to_the_next(site: LocalSite) -> None:
    # Both answers are loopback; the site listens on 127.0.0.1 only, so 127.0.0.2 refuses.
    dns = FakeDns({"two.test": ["127.0.0.2", "127.0.0.1"]})

    result = await local_fetcher(resolver=dns).fetch(site.url("/og", host="two.test"))

    assert result.title == "OG title"


# --- Refusals --------------------------------------------------------------------------------


async def test_loopback_literal_is_refused_by_default(site: LocalSite) -> None:
    assert await SafePageFetcher().fetch(site.url("/og")) == EMPTY
    assert site.received == []


async def test_ipv6_loopback_literal_is_refused_by_default(site: LocalSite) -> None:
    dns = FakeDns()
    fetcher = SafePageFetcher(resolver=dns)

    assert await fetcher.fetch(f"http://[::1]:{site.port}/og") == EMPTY
    assert await fetcher.fetch("http://[::1]/") == EMPTY
    assert await fetcher.fetch(f"http://[::ffff:127.0.0.1]:{site.port}/og") == EMPTY
    assert dns.questions == []
    assert site.received == []


async def test_system_resolver_is_used_by_default(site: LocalSite) -> None:
    # "localhost" comes from /etc/hosts, never from the network. It may answer ::1 first,
    # where the site does not listen; the fetcher then moves on to 127.0.0.1.
    result = await local_fetcher().fetch(site.url("/og", host="localhost"))

    assert result.title == "OG title"
    assert site.received == [("/og", f"localhost:{site.port}")]


async def test_localhost_is_refused_by_default(site: LocalSite) -> None:
    assert await SafePageFetcher().fetch(site.url("/og", host="localhost")) == EMPTY
    assert site.received == []


async def test_hostname_resolving_to_loopback_is_refused(site: LocalSite) -> None:
    dns = FakeDns({"sneaky.example": ["127.0.0.1"]})

    result = await SafePageFetcher(resolver=dns).fetch(site.url("/og", host="sneaky.example"))

    assert result == EMPTY
    assert dns.questions == [("sneaky.example", site.port)]
    assert site.received == []


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://[fe80::1]/",
        "http://0.0.0.0/",
        "http://[::ffff:10.0.0.1]/",
        "https://192.168.1.1/admin",
    ],
)
async def test_private_literals_are_refused_without_io(url: str) -> None:
    dns = FakeDns()
    transport = RecordingTransport()

    assert await SafePageFetcher(resolver=dns, transport=transport).fetch(url) == EMPTY
    assert dns.questions == []
    assert transport.requests == []


@pytest.mark.parametrize(
    "answers",
    [
        ["10.0.0.7"],
        [PUBLIC_IP, "127.0.0.1"],  # any bad address refuses the lot
        ["::ffff:127.0.0.1"],
        ["169.254.169.254"],
        ["224.0.1.1"],
        ["not-an-address"],
        [],
    ],
)
async def test_hostname_with_any_forbidden_answer_is_refused(answers: list[str]) -> None:
    transport = RecordingTransport()
    fetcher = SafePageFetcher(resolver=FakeDns({"mixed.example": answers}), transport=transport)

    assert await fetcher.fetch("https://mixed.example/") == EMPTY
    assert transport.requests == []


async def test_unresolvable_host_gives_empty_metadata() -> None:
    transport = RecordingTransport()

    result = await SafePageFetcher(resolver=FakeDns(), transport=transport).fetch(
        "http://nxdomain.example/"
    )

    assert result == EMPTY
    assert transport.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://public.example/file.html",
        "javascript:alert(document.cookie)",
        "data:text/html,<title>x</title>",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "/relative/path",
        "http://",
        "not a url at all",
        "",
    ],
)
async def test_non_http_urls_are_refused_without_io(url: str) -> None:
    dns = FakeDns({"public.example": [PUBLIC_IP]})
    transport = RecordingTransport()

    assert await SafePageFetcher(resolver=dns, transport=transport).fetch(url) == EMPTY
    assert dns.questions == []
    assert transport.requests == []


async def test_logs_name_the_host_but_never_the_query(
    site: LocalSite, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="adapters.web.opengraph")

    await SafePageFetcher().fetch("http://10.0.0.1/reset?token=SECRET-TOKEN")
    await local_fetcher(timeout_seconds=0.3).fetch(site.url("/slow?token=SECRET-TOKEN"))
    await local_fetcher().fetch(site.url("/missing?token=SECRET-TOKEN"))

    records = [record for record in caplog.records if record.name == "adapters.web.opengraph"]
    messages = [record.getMessage() for record in records]
    assert len(messages) == 3
    assert "10.0.0.1" in messages[0]
    assert records[0].levelno == logging.WARNING
    assert all("SECRET-TOKEN" not in message for message in messages)


# --- TLS: SNI and certificate checked against the hostname, connection to the IP -------------


@dataclass
class TlsMaterial:
    cert: Path
    key: Path


@pytest.fixture(scope="module")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    # A throwaway self-signed certificate for secure.test only (not for 127.0.0.1).
    command = [
        *(openssl, "req", "-x509", "-nodes", "-days", "2"),
        *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
        *("-subj", "/CN=secure.test", "-addext", "subjectAltName=DNS:secure.test"),
        *("-keyout", str(key), "-out", str(cert)),
    ]
    subprocess.run(
        command,
        check=True,
        capture_output=True,
    )
    return TlsMaterial(cert=cert, key=key)


@pytest.fixture
async def tls_site(tls_material: TlsMaterial) -> AsyncIterator[tuple[LocalSite, list[str]]]:
    server_names: list[str] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls_material.cert, tls_material.key)

    def remember_sni(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        server_names.append(name or "")

    context.sni_callback = remember_sni
    local = await start_site(context)
    yield local, server_names
    await stop_site(local)


def tls_fetcher(tls_material: TlsMaterial) -> SafePageFetcher:
    # A real transport trusting only the test certificate; hostname checking stays on.
    trust = ssl.create_default_context(cafile=str(tls_material.cert))
    dns = FakeDns({"secure.test": ["127.0.0.1"], "impostor.test": ["127.0.0.1"]})
    return local_fetcher(resolver=dns, transport=httpx.AsyncHTTPTransport(verify=trust))


async def test_https_uses_the_hostname_for_sni_and_certificate(
    tls_site: tuple[LocalSite, list[str]], tls_material: TlsMaterial
) -> None:
    site, server_names = tls_site

    result = await tls_fetcher(tls_material).fetch(
        site.url("/og", host="secure.test", scheme="https")
    )

    # The certificate names secure.test only, so success means it was checked against the
    # hostname even though the connection went to 127.0.0.1.
    assert result.title == "OG title"
    assert server_names == ["secure.test"]
    assert site.received == [("/og", f"secure.test:{site.port}")]


async def test_https_certificate_for_another_name_is_rejected(
    tls_site: tuple[LocalSite, list[str]], tls_material: TlsMaterial
) -> None:
    site, server_names = tls_site

    result = await tls_fetcher(tls_material).fetch(
        site.url("/og", host="impostor.test", scheme="https")
    )

    assert result == EMPTY
    assert server_names == ["impostor.test"]
    assert site.received == []


# --- Pure parts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            '<meta property="og:title" content="First"><meta property="og:title" content="Second">',
            PageMetadata(title="First"),
        ),
        (
            '<meta name="og:title" content="Named OG"><title>HTML</title>',
            PageMetadata(title="Named OG"),
        ),
        (
            '<meta property="og:title" content="   "><title>HTML</title>',
            PageMetadata(title="HTML"),
        ),
        (
            "<svg><title>Icon</title></svg><title>Real</title>",
            PageMetadata(title="Real"),
        ),
        ("<html><head><title>Cut off mid ti", PageMetadata(title="Cut off mid ti")),
        (
            '<meta property="og:image" content="javascript:alert(1)">'
            '<meta name="twitter:image" content="//cdn.example/t.png">',
            PageMetadata(image_url="https://cdn.example/t.png"),
        ),
        (
            '<meta property="og:image" content="data:image/png;base64,AAAA">',
            PageMetadata(),
        ),
        ("<title>&amp;amp; &lt;b&gt;</title>", PageMetadata(title="&amp; <b>")),
        ("<<<>>><meta <title></title></", PageMetadata()),
        ("", PageMetadata()),
    ],
)
def test_parse_page_metadata(document: str, expected: PageMetadata) -> None:
    assert parse_page_metadata(document, "https://site.example/a/b") == expected


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("::ffff:93.184.216.34", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.0.1", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("169.254.169.254", False),
        ("0.0.0.0", False),  # noqa: S104 - an address to judge, not to bind
        ("224.0.1.1", False),  # multicast, which Python calls global
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public
