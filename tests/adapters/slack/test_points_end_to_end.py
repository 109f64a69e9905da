"""Points, badges and streaks on Slack, end to end (issue 6): signed requests in, the fake
Web API out, the real database in between."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.adapters.rollup import rolled_up
from tests.adapters.slack.conftest import BOB, CHANNEL, CONFIG, SlackBot
from tests.adapters.slack.test_end_to_end import buttons, message_text, publish_ai_post
from tests.adapters.slack.test_prefs_end_to_end import open_home

POINTS = "reaction: 1}"
CLICKS = "reaction: 1, link_click: 3, link_click_daily_cap: 6}"  # two paid clicks a day


@pytest.fixture
def make_env(make_env: Any, tmp_path: Path) -> Any:
    assert POINTS in CONFIG
    (tmp_path / "config.yaml").write_text(CONFIG.replace(POINTS, CLICKS))
    return make_env


def texts_of(messages: list[Any]) -> list[str]:
    return [json.dumps(m.blocks, ensure_ascii=False) + message_text(m) for m in messages]


async def test_a_confirmed_share_earns_a_badge_dm_once_and_the_weekly_post_names_it(
    slack_bot: SlackBot,
) -> None:
    await slack_bot.join(BOB, ["ai"], ["linkedin"])
    await publish_ai_post(slack_bot)
    suggestion = (await slack_bot.dms(BOB, 2))[1]
    confirm = buttons(suggestion)["confirm_share"]["value"]
    for _ in range(2):  # a double click
        status, _ = await slack_bot.click(BOB, "confirm_share", confirm, message_ts=suggestion.ts)
        assert status == 200
    dms = await slack_bot.dms(BOB, 3)
    await slack_bot.until_scalar("SELECT count(*) FROM badge", 1)
    # Bob reads French: the badge DM is in French, and comes once.
    assert sum("Premier partage" in t for t in texts_of(dms)) == 1

    await slack_bot.command("me", BOB)
    (profile,) = await slack_bot.replies_to(BOB)
    shown = json.dumps(profile, ensure_ascii=False)
    assert "Premier partage" in shown
    assert "🔥 1 semaine" in shown
    home = json.dumps(await open_home(slack_bot, BOB, "Ev0900"), ensure_ascii=False)
    assert "Vos badges" in home and "Premier partage" in home and "🔥 1 semaine" in home

    leaderboard = slack_bot.runtime.services.leaderboard
    await rolled_up(leaderboard)  # boards read the rollup (a minute's job)
    assert await leaderboard.post_weekly(holder="replica-a") == 1
    (posted,) = slack_bot.fake.messages_in(CHANNEL)
    post = texts_of([posted])[0]
    assert "New badges this week" in post
    assert "Top 3 of the week" in post and "First share" in post
    # The podium badge reaches Bob too, once.
    dms = await slack_bot.dms(BOB, 4)
    assert sum("Podium de la semaine" in t for t in texts_of(dms)) == 1
    assert await leaderboard.post_weekly(holder="replica-b") == 0
    await slack_bot.until_scalar("SELECT count(*) FROM badge", 2)


async def test_clicks_on_tracked_links_earn_points_within_the_daily_cap(
    slack_bot: SlackBot,
) -> None:
    await slack_bot.join(BOB, ["ai"], ["x"])
    await publish_ai_post(slack_bot)
    suggestion = (await slack_bot.dms(BOB, 2))[1]
    intent = buttons(suggestion)["share:x"]["url"]
    path = urlsplit(parse_qs(urlsplit(intent).query)["url"][0]).path
    browsers = [f"Mozilla/5.0 {name}" for name in ("Firefox/130", "Safari/17", "Chrome/130")]
    # Four real visitors (Firefox comes back: its second visit is not counted), one crawler.
    agents = [*browsers, "Mozilla/5.0 Edg/130", browsers[0], "Twitterbot/1.0"]
    for agent in agents:
        response = await slack_bot.client.get(
            path, allow_redirects=False, headers={"User-Agent": agent}
        )
        assert response.status == 302
    await slack_bot.until_scalar("SELECT count(*) FROM link_visit", 6)
    recognition = slack_bot.runtime.services.recognition
    assert recognition is not None
    assert await recognition.award_link_clicks() == 6  # four real visitors, two paid
    assert await recognition.award_link_clicks() == 0  # the next run: nothing new
    sql = "SELECT sum(points) FROM points_award WHERE kind = 'link_click'"
    assert await slack_bot.scalar(sql) == 6
    assert await slack_bot.scalar("SELECT count(*) FROM link_visit_award") == 4


async def test_the_composition_root_schedules_the_link_click_job(slack_bot: SlackBot) -> None:
    job_ids = {job.id for job in slack_bot.runtime.scheduler.get_jobs()}
    assert "award_link_clicks" in job_ids
