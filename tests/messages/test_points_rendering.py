"""Badges and streaks (issue 6) in ``me``, the App Home, the weekly post and the badge DMs:
Slack Block Kit and Teams cards, EN and FR, within the platforms' limits."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from bot.model import Badge, Network
from bot.views import BadgeLine, LeaderboardView, Notice, ProfileView
from messages.render import Templates
from messages.slack import SlackRenderer
from messages.teams import TeamsRenderer
from tests.messages import test_teams
from tests.messages.test_prefs_rendering import home
from tests.messages.test_slack_rendering import check_message, check_view, entries

LOCALES = ("en", "fr")
NBSP = "\u00a0"
APOSTROPHE = "\u2019"
EVERY_BADGE = tuple(b.value for b in Badge)


def texts(node: Any) -> str:
    return json.dumps(node, ensure_ascii=False)


def profile(locale: str, **changes: Any) -> ProfileView:
    view = ProfileView(locale, "Marie Curie", True, ("AI",), (Network.X,), 12, 340, 25, 3)
    return replace(view, **changes)


def board(locale: str, badges: int) -> LeaderboardView:
    lines = tuple(
        BadgeLine(f"<Person> & {n} *bold*", EVERY_BADGE[n % len(EVERY_BADGE)])
        for n in range(badges)
    )
    return LeaderboardView(locale, "2026-W47", date(2026, 11, 16), entries(10), badges=lines)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_badge_has_a_name(templates: Templates, locale: str) -> None:
    for badge in Badge:
        assert templates.catalog.source(locale, f"badge.{badge.value}")


@pytest.mark.parametrize("locale", LOCALES)
def test_profile_shows_streak_and_badges(
    slack: SlackRenderer, teams: TeamsRenderer, locale: str
) -> None:
    view = profile(locale, badges=EVERY_BADGE, streak=3, best_streak=7)
    message = slack.profile(view)
    check_message(message)
    shown = texts(message.blocks)
    assert "🔥 3" in shown
    assert "7" in shown
    assert ("🌱 First share" if locale == "en" else "🌱 Premier partage") in shown
    test_teams.check_message(teams.profile(view))
    none = profile(locale)
    assert ("None yet" if locale == "en" else "Aucun") in texts(slack.profile(none).blocks)
    test_teams.check_message(teams.profile(none))


def test_profile_in_french_speaks_french(slack: SlackRenderer) -> None:
    shown = texts(slack.profile(profile("fr", streak=2, best_streak=2)).blocks)
    assert f"2 semaines d{APOSTROPHE}affilée" in shown
    assert "record" not in shown  # the best is the current one


@pytest.mark.parametrize("locale", LOCALES)
def test_home_shows_badge_names_and_streak(slack: SlackRenderer, locale: str) -> None:
    view = slack.home(
        home(locale, badges=EVERY_BADGE, profile=profile(locale, badges=EVERY_BADGE, streak=4))
    )
    check_view(view)
    assert ("🏅 Top 3 of the week" if locale == "en" else "🏅 Podium de la semaine") in texts(view)
    assert "🔥 4" in texts(view)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("badges", [0, 1, 20, 300])
def test_weekly_post_lists_new_badges_within_limits(
    slack: SlackRenderer, teams: TeamsRenderer, locale: str, badges: int
) -> None:
    view = board(locale, badges)
    message = slack.leaderboard(view)
    check_message(message)
    shown = texts(message.blocks)
    heading = "New badges this week" if locale == "en" else "Nouveaux badges de la semaine"
    assert (heading in shown) == bool(badges)
    if badges:
        assert "&lt;Person&gt; &amp; 0" in shown  # names are escaped
    if badges > 20:
        assert ("and 280 more" if locale == "en" else "et 280 de plus") in shown
    tree = test_teams.check_message(teams.leaderboard(view))
    assert any(heading in t for t in tree.texts) == bool(badges)


@pytest.mark.parametrize("locale", LOCALES)
def test_badge_dm(slack: SlackRenderer, teams: TeamsRenderer, locale: str) -> None:
    notice = Notice("points_badge_earned", {"badge": "streak_4"})
    message = slack.notice(notice, locale)
    check_message(message)
    name = "4-week streak" if locale == "en" else f"4 semaines d{APOSTROPHE}affilée"
    assert name in message.text
    test_teams.check_message(teams.notice(notice, locale))
    bonus = slack.notice(Notice("points_streak_bonus", {"weeks": 4, "points": 25}), locale)
    assert "+25" in texts(bonus.blocks)
    if locale == "fr":
        assert f"partage{NBSP}:" in bonus.text
