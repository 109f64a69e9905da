"""The curators list, the audit log and the admin help on Slack (Block Kit checked by
slack_sdk's models and Slack's limits) and Teams (Adaptive Cards within 28 KB), EN and FR."""

from __future__ import annotations

import json

import pytest

from bot.views import AuditView, HelpView
from messages.slack import SlackRenderer
from messages.teams import TeamsRenderer
from tests.messages.roles_views import HOSTILE_NAME, MARKDOWN_NAME, audit_view, curators_view
from tests.messages.test_slack_rendering import HOSTILE_ESCAPED, LOCALES
from tests.messages.test_slack_rendering import check_message as check_slack
from tests.messages.test_teams import all_text
from tests.messages.test_teams import check_message as check_teams


def slack_text(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


@pytest.mark.parametrize("locale", LOCALES)
def test_slack_curators_list(slack: SlackRenderer, locale: str) -> None:
    message = slack.curators(curators_view(locale))
    check_slack(message)
    text = slack_text(message.blocks)
    assert "<@U04ALICE01>" in text  # config: a mention, Slack shows the name
    assert "<!subteam^S0CURATORS>" in text  # the user group, by its handle
    assert "<@U05BOB00020>" in text and "<@U05BOB00021>" in text  # grants
    assert ("12 people" if locale == "en" else "12 personnes") in text
    assert ("not read yet" if locale == "en" else "pas encore lu") in text
    assert "/advocacy curators add @" in text
    assert "<@U123>" not in text  # a hostile name never becomes a mention


@pytest.mark.parametrize("locale", LOCALES)
def test_teams_curators_list(teams: TeamsRenderer, locale: str) -> None:
    message = teams.curators(curators_view(locale, "teams"))
    tree = check_teams(message)
    text = all_text(tree)
    assert "P1" in text and "Alice" in text
    assert r"Bob \\*bold\\* \\[x\\](y) \\_it\\_" in json.dumps(message.card)  # as written
    assert "6f1c2a4e-0000-4000-8000-00000000c0de" in text
    assert ("Curators and admins" if locale == "en" else "Curateurs et admins") in message.text


@pytest.mark.parametrize("locale", LOCALES)
def test_an_empty_curators_list_says_nobody(
    slack: SlackRenderer, teams: TeamsRenderer, locale: str
) -> None:
    view = curators_view(locale, grants=0)
    empty = type(view)(locale, "slack", (), "/advocacy")
    nobody = "Nobody yet." if locale == "en" else "Personne pour l\u2019instant."
    assert slack_text(slack.curators(empty).blocks).count(nobody) == 2
    assert (
        all_text(check_teams(teams.curators(type(view)(locale, "teams", (), "")))).count(nobody)
        == 2
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_long_curators_lists_stay_within_the_limits(
    slack: SlackRenderer, teams: TeamsRenderer, locale: str
) -> None:
    check_slack(slack.curators(curators_view(locale, grants=400)))
    check_teams(teams.curators(curators_view(locale, "teams", grants=400)))


@pytest.mark.parametrize("locale", LOCALES)
def test_slack_audit_log(slack: SlackRenderer, locale: str) -> None:
    message = slack.audit(audit_view(locale, 7, hostile=HOSTILE_NAME))
    check_slack(message)
    text = slack_text(message.blocks)
    assert "`#100`" in text and "2026-11-18 11:00" in text
    assert HOSTILE_ESCAPED in text  # names and titles are escaped
    assert "<@U05BOB0002>" in text  # the person made a curator, as a mention
    assert "`stats.exported`" in text  # an action this version has no sentence for
    assert "--before 17" in text
    assert ("to 42 ambassadors" if locale == "en" else "pour 42 ambassadeurs") in text


@pytest.mark.parametrize("locale", LOCALES)
def test_teams_audit_log(teams: TeamsRenderer, locale: str) -> None:
    message = teams.audit(audit_view(locale, 7))
    text = all_text(check_teams(message))
    assert "Bob Durand" in text and "#100" in text
    assert MARKDOWN_NAME not in json.dumps(message.card)  # escaped, never read as Markdown
    assert "--before 17" in text
    assert "stats.exported" in text


@pytest.mark.parametrize("locale", LOCALES)
def test_an_empty_audit_log(slack: SlackRenderer, teams: TeamsRenderer, locale: str) -> None:
    view = AuditView(locale, (), 20, None, "/advocacy")
    empty = (
        "Nothing recorded yet." if locale == "en" else "Rien d\u2019enregistré pour l\u2019instant."
    )
    assert empty in slack_text(slack.audit(view).blocks)
    assert empty in all_text(check_teams(teams.audit(view)))


@pytest.mark.parametrize("locale", LOCALES)
def test_fifty_long_audit_entries_fit(
    slack: SlackRenderer, teams: TeamsRenderer, locale: str
) -> None:
    view = audit_view(locale, 50)
    long = type(view)(
        locale,
        tuple(
            type(e)(e.id, e.at, "N" * 200, e.action, e.target, {**e.details, "title": "T" * 150})
            for e in view.entries
        ),
        50,
        51,
        "/advocacy",
    )
    message = slack.audit(long)
    check_slack(message)
    assert sum(len(json.dumps(b)) for b in message.blocks) < 12_000
    check_teams(teams.audit(long))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("admin", [True, False])
def test_help_shows_admin_commands_to_admins_only(
    slack: SlackRenderer, teams: TeamsRenderer, locale: str, admin: bool
) -> None:
    view = HelpView(locale, "/advocacy", True, True, ("ai",), is_admin=admin)
    heading = "For admins" if locale == "en" else "Pour les admins"
    message = slack.help(view)
    check_slack(message)
    assert (heading in slack_text(message.blocks)) is admin
    card = teams.help(HelpView(locale, "", True, True, ("ai",), is_admin=admin))
    assert (heading in all_text(check_teams(card))) is admin
