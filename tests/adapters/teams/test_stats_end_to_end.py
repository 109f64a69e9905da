"""``stats`` and ``stats export`` typed in Teams: a card of figures, and a card with a signed,
expiring link to the CSV served by our own server."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from bot.model import (
    Audience,
    ContentDraft,
    MessageRef,
    PageMetadata,
    Platform,
    PlatformUser,
    ReactionEvent,
)
from bot.signing import LinkSigner
from tests.adapters.teams.conftest import (
    ALICE,
    BOB,
    CAROL,
    TENANT,
    TeamsBot,
    actions_of,
    card_of,
    texts_of,
)
from tests.adapters.teams.test_privacy_end_to_end import LINK_SECRET, bot  # noqa: F401

CURATOR = PlatformUser(Platform.TEAMS, TENANT, ALICE)


async def said(bot: TeamsBot, user: str, words: str) -> dict[str, object]:  # noqa: F811
    before = len(bot.sent_to(user))
    await bot.say(user, words)
    return card_of((await bot.wait_sent(user, before + 1))[before])


async def published(bot: TeamsBot) -> None:  # noqa: F811
    contents = bot.runtime.store.contents
    item = await contents.create(
        draft=ContentDraft(
            url="https://acme.example/news",
            title="=cmd|' /C calc'!A0",  # a hostile title: the CSV must not run it
            summary=None,
            image_url=None,
            topics=("ai",),
            texts=("a",),
            hashtags=(),
            audience=Audience.INTERESTED,
            publish_now=True,
        ),
        page=PageMetadata(),
        created_by=CURATOR,
        now=datetime.now(UTC),
    )
    await contents.publish(content_id=item.id, now=datetime.now(UTC))


async def test_stats_card_for_a_curator_and_a_refusal_for_others(bot: TeamsBot) -> None:  # noqa: F811
    await bot.install(ALICE)
    card = await said(bot, ALICE, "stats 90d")
    shown = texts_of(card)
    assert "Programme stats, last 90 days" in shown
    assert "Earned media value (estimate)" in shown
    await bot.install(BOB)
    refusal = texts_of(await said(bot, BOB, "stats"))
    assert "Earned media value" not in refusal
    assert "curators" in refusal


async def test_stats_export_link_serves_the_csv(bot: TeamsBot) -> None:  # noqa: F811
    await published(bot)
    await bot.install(ALICE)
    card = await said(bot, ALICE, "stats export all")
    (link,) = [a["url"] for a in actions_of(card) if a["type"] == "Action.OpenUrl"]
    assert link.startswith("https://go.example.com/exports/") and link.endswith(".csv")
    path = urlsplit(link).path
    response = await bot.client.get(path)
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="advocacy-stats-all-'
    )
    rows = list(csv.DictReader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert [(r["title"], r["url"]) for r in rows] == [
        ("'=cmd|' /C calc'!A0", "https://acme.example/news")
    ]
    await bot.until_scalar("SELECT count(*) FROM audit_entry WHERE action = 'stats.exported'", 1)

    token = path.removeprefix("/exports/").removesuffix(".csv")
    tampered = await bot.client.get(f"/exports/{token[:-2]}xx.csv")
    assert tampered.status == 403
    assert "<html" in await tampered.text()
    expired = LinkSigner(LINK_SECRET.encode()).sign(
        "stats_csv", f"all|teams|{TENANT}|{ALICE}", datetime.now(UTC) - timedelta(seconds=1)
    )
    gone = await bot.client.get(f"/exports/{expired}.csv", headers={"Accept-Language": "fr-FR"})
    assert gone.status == 410
    assert "expiré" in await gone.text()
    # A genuine link for someone who is not a curator: refused.
    not_curator = LinkSigner(LINK_SECRET.encode()).sign(
        "stats_csv", f"all|teams|{TENANT}|{BOB}", datetime.now(UTC) + timedelta(minutes=5)
    )
    assert (await bot.client.get(f"/exports/{not_curator}.csv")).status == 403


async def test_prospects_invite_sends_the_invitation_card(bot: TeamsBot) -> None:  # noqa: F811
    await bot.install(CAROL)  # the app is installed for Carol: the bot can write to her
    carol = PlatformUser(Platform.TEAMS, TENANT, CAROL)
    for event_id in ("r1", "r2"):
        await bot.runtime.store.ledger.record_reaction(
            event=ReactionEvent(
                event_id, carol, "like", MessageRef("19:c", "1"), True, datetime.now(UTC)
            ),
            ambassador_id=None,
            content_id=None,
            points=0,
        )
    await bot.install(ALICE)
    listing = await said(bot, ALICE, "prospects")
    submits = [a for a in actions_of(listing) if a["type"] == "Action.Submit"]
    assert [a["data"] for a in submits] == [{"advocacy": "prospect_invite", "prospect": CAROL}]
    before = len(bot.sent_to(CAROL))
    alice_before = len(bot.sent_to(ALICE))
    await bot.submit(ALICE, submits[0]["data"])
    invitation = card_of((await bot.wait_sent(CAROL, before + 1))[before])
    assert "Join the" in texts_of(invitation)
    joins = [a["data"] for a in actions_of(invitation) if a["type"] == "Action.Submit"]
    assert joins == [{"advocacy": "open_join"}]
    await bot.submit(ALICE, submits[0]["data"])  # again: refused kindly, nothing sent
    answers = await bot.wait_sent(ALICE, alice_before + 2)
    shown = json.dumps([a.activity for a in answers[alice_before:]])
    assert "Invitation sent" in shown and "less than 90 days" in shown
    await bot.until_scalar("SELECT count(*) FROM invitation", 1)
    assert len(bot.sent_to(CAROL)) == before + 1


async def test_an_invitation_to_someone_the_bot_cannot_reach(bot: TeamsBot) -> None:  # noqa: F811
    await bot.install(ALICE)
    before = len(bot.sent_to(ALICE))
    await bot.submit(ALICE, {"advocacy": "prospect_invite", "prospect": "29:1nobody"})
    (answer,) = (await bot.wait_sent(ALICE, before + 1))[before:]
    assert "isn\u2019t installed" in json.dumps(answer.activity, ensure_ascii=False)
    assert await bot.scalar("SELECT count(*) FROM invitation") == 0  # withdrawn: try later
