"""Microsoft Graph group members through the real client, against the fake Graph and token
endpoint: paging, nested groups, the token cache, 401 and 429 handling, errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from adapters.teams.graph import GraphClient, GraphError, TeamsGroupDirectory
from bot.model import ChatAddress, Platform, PlatformUser
from tests.bot.builders import NOW
from tests.bot.fakes import MemoryPorts
from tests.fakes.graph_api import CLIENT_ID, CLIENT_SECRET, TENANT, FakeGraph

GROUP = "6f1c2a4e-0000-4000-8000-00000000c0de"
NESTED = "6f1c2a4e-0000-4000-8000-0000000000ee"


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


class Waits:
    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def client(
    graph: FakeGraph, http: httpx.AsyncClient, waits: Waits, *, client_secret: str = CLIENT_SECRET
) -> GraphClient:
    return GraphClient(
        http=http,
        login_url=graph.base_url,
        graph_url=graph.base_url,
        sleep=waits,
        tenant_id=TENANT,
        client_id=CLIENT_ID,
        client_secret=client_secret,
    )


def users(n: int, prefix: str = "0") -> list[str]:
    return [f"{prefix}{i:07d}-0000-4000-8000-000000000000" for i in range(n)]


async def test_every_page_of_a_group_and_its_nested_groups(
    graph: FakeGraph, http: httpx.AsyncClient
) -> None:
    graph.add_group(GROUP, users(5), groups=[NESTED])
    graph.add_group(NESTED, [*users(2), *users(4, "1")])  # two in both: counted once
    graph.page_size = 3
    found = await client(graph, http, Waits()).group_member_ids(GROUP)
    assert found == set(users(5)) | set(users(4, "1"))
    assert graph.calls == {"token": 1, "members": 3}  # one token for every page
    first = graph.requests[0]
    assert first.query["$select"] == "id" and first.query["$top"] == "999"
    assert first.headers["ConsistencyLevel"] == "eventual"


async def test_the_token_is_kept_and_renewed_once_after_a_401(
    graph: FakeGraph, http: httpx.AsyncClient
) -> None:
    graph.add_group(GROUP, users(2))
    graph_client = client(graph, http, Waits())
    await graph_client.group_member_ids(GROUP)
    await graph_client.group_member_ids(GROUP)
    assert graph.calls["token"] == 1
    graph.revoke_tokens()
    assert await graph_client.group_member_ids(GROUP) == set(users(2))
    assert graph.calls["token"] == 2


async def test_throttling_waits_its_retry_after(graph: FakeGraph, http: httpx.AsyncClient) -> None:
    graph.add_group(GROUP, users(2))
    graph.throttle_next(2, retry_after=3)
    waits = Waits()
    assert await client(graph, http, waits).group_member_ids(GROUP) == set(users(2))
    assert waits.seconds == [3.0, 3.0]


async def test_a_long_or_endless_throttle_fails_the_read(
    graph: FakeGraph, http: httpx.AsyncClient
) -> None:
    graph.add_group(GROUP, users(2))
    graph.throttle_next(1, retry_after=120)
    with pytest.raises(GraphError, match="429 TooManyRequests"):
        await client(graph, http, Waits()).group_member_ids(GROUP)
    graph.throttle_next(5, retry_after=1)
    with pytest.raises(GraphError, match="429"):
        await client(graph, http, Waits()).group_member_ids(GROUP)


async def test_an_unknown_group_fails_the_read(graph: FakeGraph, http: httpx.AsyncClient) -> None:
    with pytest.raises(GraphError, match="404 Request_ResourceNotFound"):
        await client(graph, http, Waits()).group_member_ids(GROUP)


async def test_a_wrong_secret_fails_without_showing_it(
    graph: FakeGraph, http: httpx.AsyncClient
) -> None:
    graph.add_group(GROUP, users(1))
    with pytest.raises(GraphError) as failed:
        await client(graph, http, Waits(), client_secret="wrong-secret").group_member_ids(GROUP)
    assert "401 invalid_client" in str(failed.value)
    assert "wrong-secret" not in str(failed.value)


async def test_a_next_page_off_graph_is_not_followed(http: httpx.AsyncClient) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3599})
        return httpx.Response(
            200, json={"value": [], "@odata.nextLink": "http://169.254.169.254/latest"}
        )

    mocked = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    graph_client = GraphClient(
        tenant_id=TENANT,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        http=mocked,
        login_url="https://login.example",
        graph_url="https://graph.example",
    )
    with pytest.raises(GraphError, match="not on Microsoft Graph"):
        await graph_client.group_member_ids(GROUP)
    await mocked.aclose()


async def test_the_directory_reads_a_persons_entra_id_from_their_conversation_reference(
    graph: FakeGraph, http: httpx.AsyncClient
) -> None:
    ports = MemoryPorts()
    directory = TeamsGroupDirectory(client(graph, http, Waits()), ports.addresses)
    bob = PlatformUser(Platform.TEAMS, TENANT, "29:1bob")
    assert await directory.directory_id(bob) is None
    assert await directory.display_name(bob) is None
    reference = {
        "user": {"id": "29:1bob", "name": "Bob Durand", "aadObjectId": users(1)[0]},
        "bot": {"id": "28:b"},
    }
    await ports.addresses.save(
        ChatAddress(Platform.TEAMS, TENANT, "29:1bob", json.dumps(reference)), now=NOW
    )
    assert await directory.directory_id(bob) == users(1)[0]
    assert await directory.display_name(bob) == "Bob Durand"
    graph.add_group(GROUP, users(1))
    assert await directory.members(GROUP) == {users(1)[0]}
