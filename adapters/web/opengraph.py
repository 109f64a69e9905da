"""Link previews: read a web page's Open Graph metadata without letting the URL reach inside.

Curators paste arbitrary URLs, so fetching them is a server-side request forgery risk: a URL
(or a redirect, or a DNS answer) could point at the cloud metadata service, the database or
an admin port on the private network. :class:`SafePageFetcher` therefore

* accepts only ``http`` and ``https``;
* resolves the host itself and refuses the whole fetch if *any* address is not public;
* connects to the address it checked (never to the hostname again), so a DNS server that
  answers differently the second time (DNS rebinding) cannot redirect the connection;
* follows redirects by hand, checking every hop the same way;
* bounds the whole fetch in time and the body in size, even when it is compressed.

It never raises for anything the remote side can cause; it logs and returns what it knows.
Logs name the host only: a URL's query string may carry tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import ssl
import zlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from html.parser import HTMLParser
from typing import Any, Final, cast

import httpx

from bot.model import PageMetadata

logger = logging.getLogger(__name__)

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Resolves ``(host, port)`` to IP address strings, like ``getaddrinfo`` but simpler."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_FETCHABLE_SCHEMES: Final = frozenset({"http", "https"})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_HTML_MEDIA_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})
_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
# Compressed bodies are inflated with a bound (see _BodyDecoder); anything else we cannot
# inflate incrementally, so we only ask for these.
_ACCEPT_ENCODING: Final = "gzip, deflate"
# NAT64's well-known prefix embeds an IPv4 address in the low 32 bits (RFC 6052).
_NAT64_PREFIX: Final = ipaddress.IPv6Network("64:ff9b::/96")

# Which tags feed which field, best first. og: is what sites write for link previews;
# twitter: cards serve the same purpose, so they outrank the plain HTML <title>/description,
# which often carry a " | Site name" suffix or SEO copy.
_TITLE_KEYS: Final = ("og:title", "twitter:title")
_SUMMARY_KEYS: Final = ("og:description", "twitter:description", "description")
_IMAGE_KEYS: Final = (
    "og:image",
    "og:image:url",
    "og:image:secure_url",
    "twitter:image",
    "twitter:image:src",
)
_WANTED_META_KEYS: Final = frozenset(_TITLE_KEYS + _SUMMARY_KEYS + _IMAGE_KEYS)


class _Refused(Exception):
    """A URL we will not fetch; the message says why, without the URL itself."""


async def _system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the event loop's ``getaddrinfo`` (run in its thread pool)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [
        str(sockaddr[0])
        for family, _type, _proto, _canonname, sockaddr in infos
        if family in (socket.AF_INET, socket.AF_INET6)
    ]


def is_public_address(address: IPAddress) -> bool:
    """Tell whether an address is globally routable and safe to connect to.

    ``is_global`` alone is not enough: Python counts multicast (e.g. 224.0.1.1) as global,
    and IPv6 forms that embed an IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo) must be
    judged by the IPv4 address they lead to.

    Args:
        address: The address to judge.

    Returns:
        True if the address may be fetched from; False for private, loopback, link-local
        (including 169.254.169.254), multicast, reserved and unspecified addresses, and for
        IPv6 addresses embedding any of those.
    """
    if isinstance(address, ipaddress.IPv6Address):
        # Mapped and NAT64 addresses are "reserved" as IPv6 yet reach a plain IPv4 host, so
        # the IPv4 address alone decides.
        if address.ipv4_mapped is not None:
            return is_public_address(address.ipv4_mapped)
        if address in _NAT64_PREFIX:
            return is_public_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        embedded: list[ipaddress.IPv4Address] = []
        if address.sixtofour is not None:
            embedded.append(address.sixtofour)
        if address.teredo is not None:
            embedded.extend(address.teredo)
        if not all(is_public_address(inner) for inner in embedded):
            return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


class SafePageFetcher:
    """Fetches a page's Open Graph metadata, refusing anything but public http(s) servers.

    Implements :class:`bot.ports.PageMetadataFetcher`.

    TLS: the connection goes to the checked IP address, but httpcore's ``sni_hostname``
    request extension is passed as ``server_hostname`` to ``SSLContext.wrap_bio``
    (httpcore ``_async/connection.py`` -> anyio ``TLSStream.wrap``), so both the SNI sent and
    the certificate's hostname check use the URL's real hostname, with the default verifying
    context (``check_hostname=True``).

    Args:
        timeout_seconds: Upper bound on the whole fetch: DNS, connecting, every redirect hop
            and reading the body.
        max_bytes: How much (decompressed) body to read at most; the page is parsed from
            what was read, which holds the ``<head>`` on any sane page.
        max_redirects: How many redirects to follow before giving up.
        user_agent: The ``User-Agent`` header to send.
        allow_private_addresses: Skip the public-address check. Only for tests that fetch
            from a local server; never enable in production.
        resolver: Resolves ``(host, port)`` to IP address strings; defaults to the event
            loop's ``getaddrinfo``. Tests inject one to control DNS.
        transport: The httpx transport to send requests with; defaults to a fresh
            ``httpx.AsyncHTTPTransport`` per fetch. Tests inject one. It is not closed here.
    """

    def __init__(
        self,
        *,
        timeout_seconds: float = 5.0,
        max_bytes: int = 1_000_000,
        max_redirects: int = 3,
        user_agent: str = "advocacy-bot (+link preview)",
        allow_private_addresses: bool = False,
        resolver: Resolver | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        if max_redirects < 0:
            raise ValueError("max_redirects must not be negative")
        self._timeout_seconds = timeout_seconds
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._user_agent = user_agent
        self._allow_private_addresses = allow_private_addresses
        self._resolver: Resolver = resolver or _system_resolver
        self._transport = transport
        # Loading the CA bundle is the slow part of building a transport; do it once.
        self._ssl_context: ssl.SSLContext | None = None

    async def fetch(self, url: str) -> PageMetadata:
        """Return what the page at ``url`` says about itself.

        Args:
            url: An absolute http or https URL.

        Returns:
            The page's title, summary and image URL as far as they could be read; an empty
            :class:`PageMetadata` if the URL is refused or the page cannot be read.
        """
        try:
            start = httpx.URL(url)
        except (httpx.InvalidURL, TypeError):
            logger.warning("link preview refused: unparseable URL")
            return PageMetadata()
        if start.scheme not in _FETCHABLE_SCHEMES:
            # The scheme is not secret; the rest of a "javascript:" or "data:" URL may be.
            logger.warning("link preview refused: scheme %r is not http(s)", start.scheme)
            return PageMetadata()

        transport = self._transport or self._new_transport()
        try:
            async with asyncio.timeout(self._timeout_seconds):
                return await self._fetch_from(start, transport)
        except _Refused as refusal:
            logger.warning("link preview of %s refused: %s", start.host, refusal)
        except TimeoutError:
            logger.warning(
                "link preview of %s timed out after %.1f s", start.host, self._timeout_seconds
            )
        except (
            httpx.HTTPError,
            httpx.InvalidURL,
            httpx.StreamError,
            OSError,
            UnicodeError,
            ValueError,
            zlib.error,
        ) as exc:
            # Exception text may quote the URL; the type is enough to tell what went wrong.
            logger.warning("link preview of %s failed: %s", start.host, type(exc).__name__)
        finally:
            if self._transport is None:
                await transport.aclose()
        return PageMetadata()

    def _new_transport(self) -> httpx.AsyncBaseTransport:
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        # No keep-alive: two hops to different hostnames that resolve to the same IP must not
        # share a TLS connection whose certificate was only checked for the first hostname.
        # Requests go straight to the transport rather than through httpx.AsyncClient, so no
        # proxy from the environment (it would resolve names itself), no cookie jar carried
        # across hops, no .netrc, and no credentials taken from the URL.
        return httpx.AsyncHTTPTransport(
            verify=self._ssl_context,
            retries=0,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    async def _fetch_from(
        self, start: httpx.URL, transport: httpx.AsyncBaseTransport
    ) -> PageMetadata:
        current = start
        for _hop in range(self._max_redirects + 1):
            addresses = await self._checked_addresses(current)
            response = await self._send(current, addresses, transport)
            try:
                if response.status_code in _REDIRECT_STATUSES:
                    location = response.headers.get("location")
                    if not location:
                        raise _Refused(f"HTTP {response.status_code} without a Location")
                    # Relative to the URL as the user knows it, not to the IP we connected to.
                    current = current.join(location.strip())
                    if current.scheme not in _FETCHABLE_SCHEMES:
                        raise _Refused(f"redirect to scheme {current.scheme!r}")
                    continue
                return await self._read_metadata(response, current)
            finally:
                await response.aclose()
        raise _Refused(f"more than {self._max_redirects} redirects")

    async def _checked_addresses(self, url: httpx.URL) -> list[str]:
        """Return the addresses to connect to for ``url``, all of them vetted."""
        if url.scheme not in _FETCHABLE_SCHEMES:
            raise _Refused(f"scheme {url.scheme!r} is not http(s)")
        host = url.raw_host.decode("ascii")
        if not host:
            raise _Refused("URL has no host")
        try:
            literal: IPAddress | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            candidates = [str(literal)]
        else:
            port = url.port or _DEFAULT_PORTS[url.scheme]
            candidates = list(dict.fromkeys(await self._resolver(host, port)))
            if not candidates:
                raise _Refused("host did not resolve")
        if self._allow_private_addresses:
            return candidates
        for candidate in candidates:
            try:
                address: IPAddress = ipaddress.ip_address(candidate)
            except ValueError:
                raise _Refused(f"resolver returned non-address {candidate!r}") from None
            if not is_public_address(address):
                # One bad address refuses the lot: an attacker controls the order of their
                # DNS answers, and a mixed answer is a sign of mischief anyway.
                raise _Refused(f"{url.host} has non-public address {address}")
        return candidates

    async def _send(
        self,
        url: httpx.URL,
        addresses: Sequence[str],
        transport: httpx.AsyncBaseTransport,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send GET ``url`` (with extra ``headers``) to the first of ``addresses`` that
        accepts a connection."""
        last_error: httpx.ConnectError | None = None
        for address in addresses:
            request = self._pinned_request(url, address)
            request.headers.update(headers or {})
            try:
                response = await transport.handle_async_request(request)
            except httpx.ConnectError as exc:
                # e.g. an IPv6 answer on a host without IPv6 routing; try the next address.
                last_error = exc
                continue
            response.request = request
            return response
        if last_error is None:
            raise _Refused("no address to connect to")
        raise last_error

    def _pinned_request(self, url: httpx.URL, address: str) -> httpx.Request:
        """Build a request for ``url`` that connects to ``address`` and nowhere else."""
        # httpx brackets IPv6 hosts itself. Credentials in the URL are dropped on purpose.
        pinned = httpx.URL(scheme=url.scheme, host=address, port=url.port, raw_path=url.raw_path)
        extensions: dict[str, Any] = {"timeout": httpx.Timeout(self._timeout_seconds).as_dict()}
        if url.scheme == "https":
            # Without this, TLS would send the IP as SNI and check the certificate against the
            # IP; with it, both use the real hostname (see the class docstring).
            extensions["sni_hostname"] = url.raw_host.decode("ascii")
        headers = {
            "Host": url.netloc.decode("ascii"),
            "User-Agent": self._user_agent,
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
            "Accept-Encoding": _ACCEPT_ENCODING,
        }
        return httpx.Request("GET", pinned, headers=headers, extensions=extensions)

    async def _read_metadata(self, response: httpx.Response, page_url: httpx.URL) -> PageMetadata:
        if not response.is_success:
            logger.info("link preview of %s: HTTP %d", page_url.host, response.status_code)
            return PageMetadata()
        media_type, charset = _parse_content_type(response.headers.get("content-type", ""))
        if media_type not in _HTML_MEDIA_TYPES:
            logger.info("link preview of %s: not HTML (%r)", page_url.host, media_type)
            return PageMetadata()
        if response.is_stream_consumed:
            # Some transports (e.g. httpx.MockTransport) return responses already read and
            # decoded; the network transport never does.
            body = response.content[: self._max_bytes]
        else:
            encoding = response.headers.get("content-encoding", "identity").strip().lower()
            decoder = _BodyDecoder.for_encoding(encoding)
            if decoder is None:
                logger.info("link preview of %s: unsupported encoding %r", page_url.host, encoding)
                return PageMetadata()
            body = await _read_capped(response, decoder, self._max_bytes)
        return parse_page_metadata(_decode(body, charset), page_url)


class _BodyDecoder:
    """Undoes Content-Encoding without ever producing more than asked for.

    httpx's own decoders inflate each chunk completely, so a few kilobytes of gzip could
    become gigabytes in memory before any size check runs.
    """

    def __init__(self, inflate: Callable[[bytes, int], bytes] | None) -> None:
        self._inflate = inflate

    @classmethod
    def for_encoding(cls, encoding: str) -> _BodyDecoder | None:
        if encoding in ("", "identity"):
            return cls(None)
        if encoding in ("gzip", "x-gzip", "deflate"):
            # wbits 32+15 accepts both gzip and zlib headers ("deflate" means zlib in HTTP).
            return cls(zlib.decompressobj(wbits=32 + zlib.MAX_WBITS).decompress)
        return None

    def decode(self, chunk: bytes, limit: int) -> bytes:
        if limit <= 0:
            return b""
        if self._inflate is None:
            return chunk[:limit]
        # Input the bound stops short of is dropped: reading ends once the bound is reached.
        return self._inflate(chunk, limit)


async def _read_capped(response: httpx.Response, decoder: _BodyDecoder, limit: int) -> bytes:
    """Read and decode at most ``limit`` bytes of the body, on the wire and after decoding."""
    parts: list[bytes] = []
    decoded = 0
    raw = 0
    # aiter_raw() is an async generator; close it here rather than leaving a suspended one
    # for the garbage collector when we stop early.
    chunks = cast(AsyncGenerator[bytes, None], response.aiter_raw())
    async with contextlib.aclosing(chunks):
        async for chunk in chunks:
            raw += len(chunk)
            part = decoder.decode(chunk, limit - decoded)
            parts.append(part)
            decoded += len(part)
            # Stop on either bound: decoded output is what we parse, raw bytes are what a
            # hostile server could otherwise stream at us forever (e.g. gzip that inflates
            # to nothing). The connection is then closed with the rest unread.
            if decoded >= limit or raw >= limit:
                break
    return b"".join(parts)


def _parse_content_type(value: str) -> tuple[str, str | None]:
    """Split a Content-Type header into its media type and charset parameter."""
    media_type, _, parameters = value.partition(";")
    charset = None
    for parameter in parameters.split(";"):
        name, _, parameter_value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = parameter_value.strip().strip("\"'") or None
    return media_type.strip().lower(), charset


def _decode(body: bytes, charset: str | None) -> str:
    if charset:
        try:
            return body.decode(charset, errors="replace")
        except LookupError:
            # Unknown charset, or a bytes-to-bytes codec such as "base64".
            pass
    return body.decode("utf-8", errors="replace")


def _clean(text: str | None) -> str | None:
    """Collapse runs of whitespace; None for nothing left."""
    if text is None:
        return None
    collapsed = " ".join(text.split())
    return collapsed or None


class _MetaParser(HTMLParser):
    """Collects ``<meta>`` tags we care about and the document ``<title>``.

    ``convert_charrefs`` makes the parser unescape entities in text and attributes, exactly
    once, so "&amp;amp;" stays "&amp;".
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title: str | None = None
        self._title_parts: list[str] | None = None
        self._svg_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            self._collect_meta(dict(attrs))
        elif tag == "svg":
            self._svg_depth += 1
        # An inline SVG's <title> is a tooltip, not the page's title.
        elif tag == "title" and self.title is None and self._svg_depth == 0:
            self._title_parts = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._title_parts is not None:
            self._finish_title()
        elif tag == "svg" and self._svg_depth > 0:
            self._svg_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._title_parts is not None:
            self._title_parts.append(data)

    def close(self) -> None:
        super().close()
        # A body cut off by max_bytes inside <title> still gives a usable title.
        if self._title_parts is not None:
            self._finish_title()

    def _finish_title(self) -> None:
        self.title = _clean("".join(self._title_parts or ()))
        self._title_parts = None

    def _collect_meta(self, attrs: dict[str, str | None]) -> None:
        # Open Graph uses property=, Twitter and plain HTML use name=; sites mix them up.
        key = (attrs.get("property") or attrs.get("name") or "").strip().lower()
        content = attrs.get("content")
        if key in _WANTED_META_KEYS and content is not None and key not in self.meta:
            if key in _IMAGE_KEYS:
                value: str | None = content.strip() or None
            else:
                value = _clean(content)
            if value is not None:
                self.meta[key] = value


def parse_page_metadata(html: str, page_url: httpx.URL | str) -> PageMetadata:
    """Extract title, summary and image from an HTML document.

    Open Graph tags win, then Twitter card tags, then the HTML ``<title>`` and
    ``<meta name="description">``. Text is unescaped, whitespace collapsed and stripped.

    Args:
        html: The document, or as much of its beginning as was read.
        page_url: The URL the document was served from, to resolve a relative image against.

    Returns:
        What the document says; fields it does not have are None. Never raises.
    """
    parser = _MetaParser()
    try:
        parser.feed(html)
        parser.close()
    except Exception as exc:  # hostile markup must not break a preview
        # HTMLParser has raised AssertionError and friends on malformed input in the past;
        # keep what was collected up to there.
        logger.info("link preview: HTML parse stopped early: %s", type(exc).__name__)
    meta = parser.meta
    title = next((meta[key] for key in _TITLE_KEYS if key in meta), parser.title)
    summary = next((meta[key] for key in _SUMMARY_KEYS if key in meta), None)
    images = (_absolute_http_url(meta[key], page_url) for key in _IMAGE_KEYS if key in meta)
    image_url = next((image for image in images if image is not None), None)
    return PageMetadata(title=title, summary=summary, image_url=image_url)


def _absolute_http_url(reference: str, base: httpx.URL | str) -> str | None:
    """Resolve ``reference`` against ``base``; None unless the result is http(s)."""
    try:
        resolved = httpx.URL(base).join(reference)
    except (httpx.InvalidURL, TypeError, ValueError):
        return None
    if resolved.scheme not in _FETCHABLE_SCHEMES or not resolved.host:
        return None
    return str(resolved)
