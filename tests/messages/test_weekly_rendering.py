"""The weekly digest on Slack and Teams: every section, both languages, the limits."""

from __future__ import annotations

import json

import pytest

from messages.slack import SlackMessage, SlackRenderer
from messages.teams import TeamsRenderer
from tests.messages.test_slack_rendering import check_message as check_slack
from tests.messages.test_teams import check_message as check_teams
from tests.messages.weekly_samples import CHART_URL, NEW_URL, weekly_view

LOCALES = ("en", "fr")
NBSP = "\u00a0"


def _text(message: SlackMessage) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


@pytest.mark.parametrize("locale", LOCALES)
def test_slack_digest_has_every_section(slack: SlackRenderer, locale: str) -> None:
    message = slack.weekly_digest(weekly_view(locale))
    check_slack(message)
    shown = _text(message)
    assert message.blocks[0]["type"] == "header"
    # Board, badges, new content (linked, escaped), most shared, figures with the change.
    assert "Person 1" in shown and "🥇" in shown
    assert f"<{NEW_URL.format(1)}|Launch &lt;b&gt;1&lt;/b&gt; &amp; more>" in shown
    figures = next(b for b in message.blocks if b.get("fields"))
    cells = [f["text"] for f in figures["fields"]]
    if locale == "en":
        assert "week of November 16" in message.text
        assert "New this week" in shown and "Most shared this week" in shown
        assert "*Active ambassadors*\n12 of 40" in cells
        assert "*Shares*\n31 (▲ 11% on the week before)" in cells  # 31 vs 28: +10.7 %
        assert "*Link clicks*\n550 (▼ 8% on the week before)" in cells  # 550 vs 600: -8.3 %
        assert "*Share rate*\n30.5% (61 of 200 suggestions)" in cells
        assert "1. Launch &lt;b&gt;1&lt;/b&gt; &amp; more: 29 shares · 119 link clicks" in shown
        assert "see the chart below" in shown
    else:
        assert "semaine du 16 novembre" in message.text
        assert f"Taux de partage*\n30,5{NBSP}% (61 sur 200 suggestions)" in "".join(cells)
        assert f"*Partages*\n31 (▲ 11{NBSP}% par rapport à la semaine précédente)" in cells
        assert "voir le graphique ci-dessous" in shown


@pytest.mark.parametrize("locale", LOCALES)
def test_slack_digest_of_a_quiet_week(slack: SlackRenderer, locale: str) -> None:
    view = weekly_view(locale, people=0, new=0, top=0, figures=False, chart=False)
    message = slack.weekly_digest(view)
    check_slack(message)
    shown = _text(message)
    assert ("A quiet week" if locale == "en" else "Une semaine calme") in shown
    assert "chart" not in shown and "graphique" not in shown
    assert not any(b.get("fields") for b in message.blocks)


def test_slack_digest_says_how_many_more_were_published(slack: SlackRenderer) -> None:
    message = slack.weekly_digest(weekly_view("en", new=8, new_total=13))
    assert "…and 5 more." in _text(message)


def test_slack_digest_stays_within_50_blocks(slack: SlackRenderer) -> None:
    big = weekly_view("en", people=40, new=20, top=10, title="T {} " + "long words " * 40)
    message = slack.weekly_digest(big)
    check_slack(message)  # ≤ 50 blocks, valid Block Kit
    assert message.blocks[-1]["type"] == "context"  # the chart note survived the cut


def test_no_change_shown_without_a_week_before(slack: SlackRenderer) -> None:
    from dataclasses import replace

    view = weekly_view("en")
    assert view.figures is not None
    view = replace(view, figures=replace(view.figures, shares_before=0, clicks_before=None))
    cells = [
        f["text"] for b in slack.weekly_digest(view).blocks if b.get("fields") for f in b["fields"]
    ]
    assert "*Shares*\n31" in cells and "*Link clicks*\n550" in cells


@pytest.mark.parametrize("locale", LOCALES)
def test_chart_file_texts(slack: SlackRenderer, locale: str) -> None:
    title, alt = slack.chart_file_texts(weekly_view(locale))
    if locale == "en":
        assert title == "Shares and link clicks per week, to the week of November 16"
        assert alt.startswith("Bar chart of the last 8 weeks, oldest first. Shares: 10, 13,")
        assert "Link clicks: 200, 250," in alt
    else:
        assert "semaine du 16 novembre" in title
        assert f"Partages{NBSP}: 10, 13," in alt


@pytest.mark.parametrize("locale", LOCALES)
def test_teams_digest_shows_the_chart_from_its_link(teams: TeamsRenderer, locale: str) -> None:
    message = teams.weekly_digest(weekly_view(locale))
    links = {NEW_URL.format(i) for i in range(1, 4)}
    tree = check_teams(message, allowed_links=links)
    assert message.card is not None
    images = [e for e in message.card["body"] if e["type"] == "Image"]
    assert len(images) == 1
    assert images[0]["url"] == CHART_URL
    assert images[0]["altText"].startswith(
        "Bar chart of the last 8 weeks" if locale == "en" else "Graphique en barres"
    )
    shown = "\n".join(tree.texts)
    assert "Person 1" in shown
    assert ("Active ambassadors" if locale == "en" else "Ambassadeurs actifs") in shown
    assert "ColumnSet" in tree.types


def test_teams_digest_without_a_chart_link_has_no_image(teams: TeamsRenderer) -> None:
    message = teams.weekly_digest(weekly_view("en", chart_url=None))
    assert message.card is not None
    assert all(e["type"] != "Image" for e in message.card["body"])


def test_teams_digest_shrinks_its_lists_to_fit(teams: TeamsRenderer) -> None:
    big = weekly_view("fr", people=40, new=20, top=10, title="T {} " + "mots longs " * 60)
    links = {NEW_URL.format(i) for i in range(1, 21)}
    check_teams(teams.weekly_digest(big), allowed_links=links)  # ≤ 28 KB
