"""Points, badges and streaks on Teams, end to end (issue 6): activities in, the fake Bot
Framework connector out, the real database in between."""

from __future__ import annotations

from typing import Any

from tests.adapters.rollup import rolled_up
from tests.adapters.teams.conftest import (
    ALICE,
    BOB,
    CHANNEL,
    TENANT,
    TeamsBot,
    actions_of,
    card_of,
    texts_of,
)
from tests.fakes.bot_connector import RecordedActivity

SUBMIT = "Action.Submit"


def everything_sent(activities: list[RecordedActivity]) -> list[str]:
    return [(a.text or "") + texts_of(a.attachments) for a in activities]


async def test_a_confirmed_share_earns_a_badge_dm_and_the_weekly_card_names_it(
    teams_bot: TeamsBot,
) -> None:
    await teams_bot.join(BOB, "Bob Durand", locale="fr-FR")
    added = teams_bot.activity(
        ALICE,
        type="conversationUpdate",
        membersAdded=[{"id": "28:advocacy-bot"}],
        conversation={"conversationType": "channel", "tenantId": TENANT, "id": CHANNEL},
        channelData={"tenant": {"id": TENANT}, "channel": {"id": CHANNEL}},
    )
    assert (await teams_bot.post(added))[0] == 201
    await teams_bot.say(ALICE, "post https://example.com/blog/launch #ai Our launch is out")

    (suggestion,) = await teams_bot.connector.wait_for(lambda: teams_bot.suggestions(BOB))
    await teams_bot.until_scalar("SELECT status FROM delivery", "sent")
    confirm: Any = next(
        a
        for a in actions_of(card_of(suggestion))
        if a["type"] == SUBMIT and a["data"]["advocacy"] == "confirm_share"
    )
    for _ in range(2):  # a double submit
        status, _ = await teams_bot.submit(BOB, confirm["data"], reply_to=suggestion.activity_id)
        assert status == 201
    await teams_bot.until_scalar("SELECT count(*) FROM badge", 1)

    def badge_dms() -> list[str] | None:
        found = [t for t in everything_sent(teams_bot.sent_to(BOB)) if "Premier partage" in t]
        return found or None

    assert len(await teams_bot.connector.wait_for(badge_dms)) == 1

    await teams_bot.say(BOB, "me")

    def profile() -> list[str] | None:
        found = [t for t in everything_sent(teams_bot.sent_to(BOB)) if "Badges" in t]
        return found or None

    (shown,) = await teams_bot.connector.wait_for(profile)
    assert "Premier partage" in shown and "semaine" in shown

    await rolled_up(teams_bot.runtime.services.leaderboard)  # the rollup job
    assert await teams_bot.runtime.services.leaderboard.post_weekly(holder="test") == 1
    (board,) = teams_bot.connector.activities(CHANNEL)
    posted = texts_of(card_of(board))
    assert "New badges this week" in posted
    assert "Top 3 of the week" in posted and "First share" in posted
    await teams_bot.until_scalar("SELECT count(*) FROM badge", 2)
