"""The privacy use cases on the in-memory ports: the export document, the download link
(signed, expiring), forget-me, and the retention job; and the link signer itself."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FixedClock
from bot.model import (
    Enrolment,
    MessageRef,
    Network,
    Platform,
    PlatformUser,
    RawEventKind,
    ReactionEvent,
    UserProfile,
)
from bot.privacy import (
    EXPORT_SCHEMA,
    EXPORT_VERSION,
    LINK_TTL,
    PrivacyService,
    RetentionWork,
    link_subject,
    user_of_subject,
)
from bot.signing import LinkExpired, LinkInvalid, LinkSigner
from tests.bot.builders import NOW, make_programme
from tests.bot.fakes import MemoryPersonalData, MemoryPorts, MemoryRawEvents

ANA = PlatformUser(Platform.TEAMS, "tenant-1", "29:ana")
SECRET = b"0123456789abcdef0123456789abcdef"


@pytest.fixture
def service(ports: MemoryPorts, clock: FixedClock) -> PrivacyService:
    return PrivacyService(
        data=MemoryPersonalData(ports.store),
        ambassadors=ports.ambassadors,
        programme=make_programme(),
        clock=clock,
        signer=LinkSigner(SECRET),
        public_url="https://go.example.com/",
    )


async def join(ports: MemoryPorts) -> None:
    await ports.ambassadors.enrol(
        user=ANA,
        profile=UserProfile(display_name="Ana Lima", locale="fr", email="ana@example.com"),
        enrolment=Enrolment(frozenset({"ai"}), (Network.LINKEDIN,), "v1"),
        now=NOW,
    )


# --- the signer -------------------------------------------------------------------------


def test_a_signed_link_names_its_subject_until_it_expires() -> None:
    signer = LinkSigner(SECRET)
    token = signer.sign("my-data", "teams|t|29:ana", NOW + timedelta(minutes=15))
    assert signer.verify("my-data", token, NOW) == "teams|t|29:ana"
    with pytest.raises(LinkExpired):
        signer.verify("my-data", token, NOW + timedelta(minutes=15))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
        lambda t: "eA" + t[2:],  # the subject
        lambda t: t.replace(".", ".9", 1),  # the expiry, pushed later
        lambda t: t.split(".", 1)[0],  # truncated
        lambda t: "",
        lambda t: "a.b.c",
        lambda t: "a.123.%%%",
    ],
)
def test_a_tampered_link_is_invalid(mangle: object) -> None:
    signer = LinkSigner(SECRET)
    token = signer.sign("my-data", "teams|t|29:ana", NOW + timedelta(minutes=15))
    with pytest.raises(LinkInvalid):
        signer.verify("my-data", mangle(token), NOW)  # type: ignore[operator]


def test_a_link_verifies_only_for_its_purpose_and_secret() -> None:
    token = LinkSigner(SECRET).sign("stats-csv", "x", NOW + timedelta(minutes=1))
    with pytest.raises(LinkInvalid):
        LinkSigner(SECRET).verify("my-data", token, NOW)
    with pytest.raises(LinkInvalid):
        LinkSigner(b"another secret of thirty-two bytes").verify("stats-csv", token, NOW)
    with pytest.raises(ValueError, match="16 bytes"):
        LinkSigner(b"short")


def test_subjects_round_trip() -> None:
    assert user_of_subject(link_subject(ANA)) == ANA
    with pytest.raises(LinkInvalid):
        user_of_subject("discord|x|y")


# --- export -------------------------------------------------------------------------------


async def test_the_export_is_one_versioned_document(
    service: PrivacyService, ports: MemoryPorts
) -> None:
    await join(ports)
    export = await service.export(ANA)
    doc = export.document
    assert (doc["schema"], doc["version"], doc["statement"]) == (
        EXPORT_SCHEMA,
        EXPORT_VERSION,
        "ambassador",
    )
    assert doc["ambassador"]["display_name"] == "Ana Lima"  # type: ignore[index]
    assert doc["ambassador"]["email"] == "ana@example.com"  # type: ignore[index]
    assert export.filename == "my-data-2026-11-18.json"
    assert b'"Ana Lima"' in export.to_json()


async def test_the_export_of_a_stranger_says_so(service: PrivacyService) -> None:
    doc = (await service.export(ANA)).document
    assert doc["statement"] == "nothing_stored"
    assert doc["requested_by"] == {
        "platform": "teams",
        "workspace_id": "tenant-1",
        "user_id": ANA.user_id,
    }


async def test_the_download_link_works_for_fifteen_minutes(
    service: PrivacyService, ports: MemoryPorts, clock: FixedClock
) -> None:
    await join(ports)
    view = service.download_link(ANA, "fr")
    assert view.url.startswith("https://go.example.com/my-data/")
    assert view.valid_minutes == 15
    token = view.url.rsplit("/", 1)[1]
    assert (await service.export_from_link(token)).document["ambassador"]
    clock.advance(LINK_TTL)
    with pytest.raises(LinkExpired):
        await service.export_from_link(token)


# --- forget-me ------------------------------------------------------------------------------


async def test_forget_me_erases_once(service: PrivacyService, ports: MemoryPorts) -> None:
    await join(ports)
    view = await service.forget_me_view(ANA, "fr")
    assert view.is_ambassador
    assert (await service.forget_me(ANA)).key == "forget_me_done"
    assert await ports.ambassadors.get_by_user(ANA) is None
    assert (await service.forget_me(ANA)).key == "forget_me_nothing"
    assert not (await service.forget_me_view(ANA, "fr")).is_ambassador


# --- retention ------------------------------------------------------------------------------


async def test_retention_deletes_reactions_past_their_days(ports: MemoryPorts) -> None:
    clock = FixedClock(NOW)
    for day in range(4):
        await ports.ledger.record_reaction(
            event=ReactionEvent(
                f"Ev{day}", ANA, "tada", MessageRef("C1", "1.0"), True, NOW + timedelta(days=day)
            ),
            ambassador_id=None,
            content_id=None,
            points=0,
        )
    work = RetentionWork(
        events=MemoryRawEvents(ports.store),
        retention_days={RawEventKind.REACTION_EVENTS: 2},
        clock=clock,
        batch=1,
    )
    clock.set(NOW + timedelta(days=4))  # reactions before day 2 go, one per batch
    assert await work.purge() == {RawEventKind.REACTION_EVENTS: 2}
    assert sorted(ports.store.reactions) == ["Ev2", "Ev3"]
    assert await work.purge() == {RawEventKind.REACTION_EVENTS: 0}
