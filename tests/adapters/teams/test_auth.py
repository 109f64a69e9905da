"""With app credentials set, /api/messages wants a valid Bot Framework token."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import jwt
import jwt.algorithms
import pytest
from aiohttp.test_utils import TestClient, TestServer
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.teams.signing_keys import NonBlockingOpenIdMetadata
from advocacy_bot.main import build_runtime, create_web_app
from advocacy_bot.settings import Environment
from tests.adapters.teams.conftest import BOB, TENANT, RecordingFetcher

ACTIVITY: dict[str, Any] = {
    "type": "message",
    "id": "1",
    "serviceUrl": "https://smba.trafficmanager.net/emea/",
    "channelId": "msteams",
    "from": {"id": BOB, "name": "Bob"},
    "conversation": {"conversationType": "personal", "tenantId": TENANT, "id": "a:1"},
    "recipient": {"id": "28:bot"},
    "text": "help",
    "channelData": {"tenant": {"id": TENANT}},
}


# Well formed, claims what Bot Framework claims, signed with a key that is not Microsoft's.
FORGED = jwt.encode(
    {
        "iss": "https://api.botframework.com",
        "aud": "00000000-0000-0000-0000-000000000001",
        "serviceurl": "https://smba.trafficmanager.net/emea/",
        "exp": 4102444800,
        "nbf": 1700000000,
    },
    "forged-secret-that-is-long-enough-for-hs256",
    algorithm="HS256",
    headers={"kid": "forged"},
)


APP_ID = "00000000-0000-0000-0000-000000000001"
SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _token(key: Any, **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": "https://api.botframework.com",
        "aud": APP_ID,
        "serviceurl": ACTIVITY["serviceUrl"],
        "nbf": now - 60,
        "exp": now + 600,
        **claims,
    }
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": "test-key"})


@pytest.fixture(scope="module")
def openid_url() -> Iterator[str]:
    """Bot Framework's OpenID metadata and signing keys, served locally (a thread: botbuilder
    fetches them with blocking ``requests``)."""
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
    documents: dict[str, Any] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(documents.get(self.path, {})).encode()
            self.send_response(200 if self.path in documents else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    documents["/openid"] = {"issuer": "https://api.botframework.com", "jwks_uri": base + "/keys"}
    documents["/keys"] = {
        "keys": [{**public, "kid": "test-key", "use": "sig", "endorsements": ["msteams"]}]
    }
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base + "/openid"
    server.shutdown()
    server.server_close()


@pytest.fixture
async def client(
    sqlite_url: str, make_env: Callable[..., Environment], openid_url: str
) -> AsyncIterator[TestClient[Any, Any]]:
    env = make_env(
        sqlite_url,
        MICROSOFT_APP_ID=APP_ID,
        MICROSOFT_APP_PASSWORD="not-a-real-secret",
        MICROSOFT_OPENID_METADATA_URL=openid_url,
    )
    app = create_web_app(build_runtime(env, fetcher=RecordingFetcher()))
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer not.a.jwt",
        "Basic dXNlcjpwYXNz",
        "Bearer " + FORGED,
        "Bearer " + _token(OTHER_KEY),  # signed by someone else
        "Bearer " + _token(SIGNING_KEY, aud="another-bot"),  # meant for another bot
        "Bearer " + _token(SIGNING_KEY, exp=1_700_000_000),  # expired
        "Bearer " + _token(SIGNING_KEY, serviceurl="https://evil.example.com/"),
    ],
)
async def test_requests_without_a_valid_token_are_refused(
    client: TestClient[Any, Any], authorization: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = await client.post("/api/messages", json=ACTIVITY, headers=headers)
    assert response.status == 401
    assert (await response.json())["error"] == "unauthenticated"
    assert "not-a-real-secret" not in caplog.text


async def test_a_valid_token_is_accepted(client: TestClient[Any, Any]) -> None:
    # Accepted (201): the reply then fails to reach the made-up service URL, which the
    # handler turns into a log line; what matters here is that authentication passed.
    response = await client.post(
        "/api/messages",
        json={**ACTIVITY, "type": "typing"},
        headers={"Authorization": "Bearer " + _token(SIGNING_KEY)},
    )
    assert response.status == 201


def test_a_password_without_an_app_id_is_a_configuration_error(
    make_env: Callable[..., Environment], sqlite_url: str
) -> None:
    with pytest.raises(ValueError, match="MICROSOFT_APP_ID"):
        make_env(sqlite_url, MICROSOFT_APP_PASSWORD="secret-value-123")


class _GatedKeyServer:
    """Signing keys served only once ``gate`` opens (or after ``hold`` seconds): a slow or
    hanging Microsoft endpoint."""

    def __init__(self, hold: float) -> None:
        self.gate = threading.Event()
        self.arrived = threading.Event()
        self.opened_in_time: list[bool] = []
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
        server_self = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/openid":
                    server_self.arrived.set()
                    server_self.opened_in_time.append(server_self.gate.wait(hold))
                    document: dict[str, Any] = {
                        "issuer": "https://api.botframework.com",
                        "jwks_uri": server_self.base + "/keys",
                    }
                else:
                    document = {"keys": [{**public, "kid": "test-key", "use": "sig"}]}
                body = json.dumps(document).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (the timeout test)
                    pass

            def log_message(self, *_args: Any) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


async def _client_for(
    sqlite_url: str, make_env: Callable[..., Environment], metadata_url: str
) -> TestClient[Any, Any]:
    env = make_env(
        sqlite_url,
        MICROSOFT_APP_ID=APP_ID,
        MICROSOFT_APP_PASSWORD="not-a-real-secret",
        MICROSOFT_OPENID_METADATA_URL=metadata_url,
    )
    app = create_web_app(build_runtime(env, fetcher=RecordingFetcher()))
    return TestClient(TestServer(app, host="127.0.0.1"))


async def test_fetching_the_signing_keys_does_not_block_the_event_loop(
    sqlite_url: str, make_env: Callable[..., Environment]
) -> None:
    # botbuilder fetches the keys with blocking requests.get inside the token check. The key
    # server here answers only when a coroutine on the bot's event loop opens the gate: if
    # the fetch blocked the loop, the gate would open by its 5 s fallback instead.
    keys = _GatedKeyServer(hold=5.0)
    test_client = await _client_for(sqlite_url, make_env, keys.base + "/openid")
    try:
        async with test_client:
            request = asyncio.ensure_future(
                test_client.post(
                    "/api/messages",
                    json={**ACTIVITY, "type": "typing"},
                    headers={"Authorization": "Bearer " + _token(SIGNING_KEY)},
                )
            )
            while not request.done() and not keys.gate.is_set():
                await asyncio.sleep(0.01)
                if keys.arrived.is_set():
                    keys.gate.set()
            response = await request
            assert response.status == 201
            assert keys.opened_in_time == [True]
    finally:
        keys.close()


async def test_a_hanging_key_endpoint_is_a_503_after_the_timeout(
    sqlite_url: str, make_env: Callable[..., Environment]
) -> None:
    keys = _GatedKeyServer(hold=3.0)
    url = keys.base + "/openid"
    JwtTokenExtractor.metadataCache[url] = NonBlockingOpenIdMetadata(url, timeout=0.3)
    test_client = await _client_for(sqlite_url, make_env, url)
    try:
        async with test_client:
            response = await test_client.post(
                "/api/messages",
                json={**ACTIVITY, "type": "typing"},
                headers={"Authorization": "Bearer " + _token(SIGNING_KEY)},
            )
            assert response.status == 503
            assert (await response.json())["error"] == "auth_unavailable"
    finally:
        keys.close()
