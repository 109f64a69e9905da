"""Slack rendering: every message and modal, in every locale, validated by slack_sdk's own
Block Kit models (``to_dict()`` runs their validators) plus the limits slack_sdk does not
check (blocks per message, options per checkboxes, view size)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from jinja2 import ChoiceLoader, DictLoader, UndefinedError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.model import AmbassadorId, DeliveryId, LeaderboardEntry, Network
from bot.share import share_intent_url
from bot.views import (
    ContentListItem,
    ContentListView,
    DigestView,
    EnrolmentForm,
    GuidelinesView,
    HelpView,
    LeaderboardView,
    NetworkChoice,
    Notice,
    PostForm,
    PreferencesSummary,
    ProfileView,
    ReminderView,
    ScheduledJob,
    ShareButton,
    StatusView,
    SuggestionView,
    TopicChoice,
)
from messages import slack_ids
from messages.render import (
    Catalog,
    Templates,
    pack_lines,
    slack_escape,
    to_plain,
    truncate_to,
    utc_minute,
)
from messages.slack import (
    MAX_GUIDELINES_MESSAGE_TEXT,
    SlackMessage,
    SlackRenderer,
    fit_sections,
    guidelines_sections,
)

LOCALES = ("en", "fr")
HOSTILE = "<@U123> & <!channel>"
HOSTILE_ESCAPED = "&lt;@U123&gt; &amp; &lt;!channel&gt;"
APOSTROPHE = "\u2019"  # the catalogs' typographic apostrophe
INFO = "\u2139\ufe0f"  # the information emoji
NBSP = "\u00a0"
EXPIRED_LINES = {
    "en": "⌛ This content has expired. Thanks for your interest!",
    "fr": f"⌛ Ce contenu a expiré. Merci de votre intérêt{NBSP}!",
}
LIMITS = {
    "url": 2_000,
    "title": 150,
    "summary": 1_000,
    "text": 1_500,
    "texts": 3,
    "hashtag": 50,
    "hashtags": 10,
}
TOPICS_12 = (
    ("ai", "Artificial intelligence"),
    ("cloud", "Cloud"),
    ("security", "Security"),
    ("careers", "Careers & hiring"),
    ("events", "Events"),
    ("product", "Product news"),
    ("research", "Research"),
    ("open_source", "Open source"),
    ("sustainability", "Sustainability"),
    ("customers", "Customer stories"),
    ("culture", "Life at the company"),
    ("partners", "Partners"),
)

# Representative parameters for every notice the domain can raise.
INSTANCE = "mastodon.social"  # the share page of Mastodon is on the person's own instance

NOTICES: dict[str, dict[str, object]] = {
    # --- preferences, pause (issue 5, item 2) ---
    "welcome_settings": {
        "name": "Marie",
        "topics": ["AI", "Cloud"],
        "networks": ["linkedin", "mastodon"],
        "app_home": True,
    },
    "settings_saved": {
        "summary": PreferencesSummary(
            ("AI",),
            (Network.LINKEDIN, Network.MASTODON),
            "fr",
            "daily",
            "20:00",
            "08:00",
            5,
            "mastodon.social",
        )
    },
    "paused": {},
    "paused_until": {"day": date(2026, 12, 1)},
    "resumed": {},
    "not_paused": {},
    # --- the personal weekly recap (issue 6) ---
    "recap_on": {},
    "recap_off": {},
    "recap_status": {"on": True},
    "recap_usage": {},
    "bad_pause_days": {"limit": 365},
    "mastodon_instance_missing": {},
    "mastodon_instance_invalid": {"value": "https://mastodon.social/@me"},
    "bad_clock_time": {"value": "25:99"},
    "quiet_hours_incomplete": {},
    "quiet_hours_empty": {},
    "bad_weekly_cap": {"limit": 50},
    "settings_unknown_language": {"known": ("en", "fr")},
    "unknown_delivery_mode": {},
    # ---
    "welcome": {"name": "Marie", "topics": ["AI", "Cloud"], "networks": ["linkedin", "x"]},
    "preferences_saved": {"topics": ["Cloud"], "networks": ["linkedin", "bluesky", "xing"]},
    "left": {"name": "Marie Curie"},
    "not_curator": {},
    "not_ambassador": {},
    "unknown_command": {"command": "leaderbord", "suggestions": ["leaderboard", "leave"]},
    "command_too_long": {"limit": 4000},
    "url_missing": {},
    "url_too_long": {"limit": 2000},
    # share texts
    "unknown_placeholder": {
        "number": "2",
        "name": "{firstname}",
        "known": ["{first_name}", "{team}", "{title}", "{programme}"],
    },
    "unknown_language": {"language": "de", "known": ["en", "fr"]},
    "unknown_text_network": {"network": "myspace", "known": ["linkedin", "x"]},
    "blocked_keyword": {"keyword": "guaranteed returns", "where": "text", "number": "2"},
    "edited_text_empty": {},
    "content_saved_x": {
        "title": "Our launch",
        "content_id": 12,
        "status": "published",
        "deliveries": 3,
        "shortened": [],
        "page_read": True,
        "when": None,
        "x_over": [{"number": 1, "over": 12}, {"number": 3, "over": 40}],
    },
    "url_not_http": {"url": "ftp://example.com/file"},
    "unknown_topic": {"topic": "crypto", "known": ("ai", "cloud", "security")},
    "topics_missing": {"known": ("ai", "cloud")},
    "too_many_texts": {"limit": 3},
    "text_too_long": {"limit": 1500, "length": 1720},
    "title_too_long": {"limit": 150, "length": 180},
    "summary_too_long": {"limit": 1000, "length": 1200},
    "bad_hashtag": {"hashtag": "#not valid"},
    "too_many_hashtags": {"limit": 10},
    "publish_needs_id": {},
    "unknown_flag": {"flag": "--now"},
    "guidelines_not_accepted": {},
    "guidelines_accepted": {"version": "2026-03"},
    "guidelines_outdated": {"version": "2026-04"},
    "unknown_network": {"network": "myspace", "known": ["linkedin", "x", "whatsapp"]},
    "networks_missing": {},
    "not_a_person": {},
    "content_not_found": {"content_id": 404},
    "not_your_suggestion": {},
    "error": {},
    "post_received": {"url": "https://example.com/blog/launch"},
    "content_saved": {
        "title": "Our launch",
        "content_id": 12,
        "status": "draft",
        "deliveries": 0,
        "shortened": ["title", "summary"],
        "page_read": False,
    },
    "published": {"title": "Our launch", "content_id": 12, "deliveries": 37, "already": False},
    "unknown_user": {},
    "tenant_not_allowed": {},
    "slack_only_in_dm": {},
    "publish_at_past": {},
    "expires_before_publish": {},
    "bad_datetime": {"value": "next tuesday-ish"},
    # roles (bot/roles.py)
    "not_admin": {},
    "curator_added": {"user_id": "U05BOB0002", "name": "Bob", "platform": "slack", "also": None},
    "curator_already": {"user_id": "29:1bob", "name": "Bob <Durand>", "platform": "teams"},
    "curator_removed": {
        "user_id": "U05BOB0002",
        "name": "Bob",
        "platform": "slack",
        "kept": ["group", "admin"],
    },
    "curator_not_removable": {
        "user_id": "29:1bob",
        "name": "Bob & Co",
        "platform": "teams",
        "sources": ["config", "group"],
    },
    "curator_not_found": {"user_id": "W05BOB0002", "name": None, "platform": "slack"},
    "person_missing": {},
    "person_unknown": {"email": "bob@example.com"},
    "curators_usage": {},
    "audit_usage": {},
    # suggestions (messages/i18n/*/suggest.yaml)
    "suggest_thanks": {"url": "https://example.com/a"},
    "suggest_already_suggested": {"url": "https://example.com/a"},
    "suggest_already_shared": {"url": "https://example.com/a"},
    "suggest_auto_approved": {"title": "Our launch", "url": "https://example.com/a"},
    "suggest_approved_you": {
        "title": "Our launch",
        "url": "https://example.com/a",
        "points": 20,
        "ambassador": True,
        "auto": False,
    },
    "suggest_rejected_you": {
        "title": "Our launch",
        "url": "https://example.com/a",
        "reason": "We covered it last week",
    },
    "suggest_not_curator": {},
    "suggest_already_decided": {"status": "rejected", "title": "Our launch"},
    "suggest_not_found": {},
    "suggest_url_missing": {},
    "suggest_why_too_long": {"limit": 500, "length": 612},
    "suggest_reason_missing": {},
    "suggest_reason_too_long": {"limit": 500, "length": 612},
    # points, streaks, badges (messages/i18n/<locale>/points.yaml)
    "points_badge_earned": {"badge": "first_share"},
    "points_streak_bonus": {"weeks": 4, "points": 25},
    # privacy (messages/i18n/<locale>/privacy.yaml)
    "my_data_sent": {},
    "forget_me_done": {},
    "forget_me_nothing": {},
    "forget_me_cancelled": {},
    "privacy_unavailable": {},
    # stats (messages/i18n/<locale>/stats.yaml)
    "stats_bad_window": {"window": "12y"},
    "stats_usage": {},
    "stats_export_sent": {"window": "30d"},
    "stats_unavailable": {},
    "prospect_invited": {},
    "prospect_already_invited": {"days": 90},
    "prospect_is_member": {},
    "prospect_not_a_person": {},
    "prospect_unreachable": {},
    # --- leaderboards (issue 6, item 3) ---
    "boards_hidden": {},
    "boards_shown": {},
    "unknown_team": {"team": "salse", "teams": ["sales", "tech"]},
    "bad_board": {"word": "yesterday"},
    "bad_week": {"week": "2026-47"},
    "team_set": {"team": "sales"},
    "team_cleared": {},
    "team_current": {"team": "sales", "teams": ["sales", "tech"]},
}


# --- fixtures and builders -------------------------------------------------------------------


@pytest.fixture(scope="module")
def renderer(templates: Templates) -> SlackRenderer:
    return SlackRenderer(templates)


def suggestion(locale: str = "en", **changes: Any) -> SuggestionView:
    link = "https://advocacy.example.com/r/Xy7aQ2"
    text = changes.pop("text", "We just opened our Paris office 🎉 Come and say hi! #hiring")
    networks = changes.pop("networks", tuple(Network))
    clicked = changes.pop("clicked", ())
    fields: dict[str, Any] = {
        "delivery_id": DeliveryId(42),
        "locale": locale,
        "first_name": "Marie",
        "title": "We opened a new office in Paris",
        "summary": "Forty people, a rooftop and a lot of coffee: meet the team.",
        "image_url": "https://example.com/images/paris.jpg",
        "content_url": "https://example.com/blog/paris-office",
        "text": text,
        "buttons": tuple(
            ShareButton(n, share_intent_url(n, link, text, instance=INSTANCE), clicked=n in clicked)
            for n in networks
        ),
    }
    fields.update(changes)
    return SuggestionView(**fields)


def entries(count: int, name: str = "Ambassador") -> tuple[LeaderboardEntry, ...]:
    return tuple(
        LeaderboardEntry(rank, AmbassadorId(rank), f"{name} {rank}", 200 - rank, 20 - rank % 20)
        for rank in range(1, count + 1)
    )


def topic_choices(count: int, selected: int = 2) -> tuple[TopicChoice, ...]:
    return tuple(
        TopicChoice(topic_id, label, selected=index < selected)
        for index, (topic_id, label) in enumerate(TOPICS_12[:count])
    )


def enrolment(locale: str, *, guidelines: str | None, topics: int = 12) -> EnrolmentForm:
    return EnrolmentForm(
        locale=locale,
        guidelines_markdown=guidelines,
        guidelines_version="2026-03",
        topics=topic_choices(topics),
        networks=tuple(NetworkChoice(n, n in (Network.LINKEDIN, Network.X)) for n in Network),
    )


GUIDELINES = """# Our social media guidelines

Thank you for speaking up for us! A few **simple rules** keep it safe & fun:

## Do
- Share what you **genuinely** like.
- Say you work here (for example with #employee).
* Check the [full policy](https://intranet.example.com/policy) when in doubt.

## Don't
- Share anything confidential.
- Answer press questions yourself <ask comms>.
"""


# --- validation helpers -----------------------------------------------------------------------


def walk(value: Any) -> Iterator[Any]:
    """Every dict, list and scalar inside a JSON value."""
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def strings(value: Any) -> list[str]:
    return [v for v in walk(value) if isinstance(v, str)]


def check_blocks(blocks: list[dict[str, Any]]) -> None:
    """slack_sdk's validators, and the limits they do not check."""
    parsed = Block.parse_all(blocks)
    assert all(b is not None for b in parsed), "unknown block type"
    # to_dict() runs every @JsonValidator; the round trip proves no key was ignored.
    assert [b.to_dict() for b in parsed] == blocks
    for node in walk(blocks):
        if not isinstance(node, dict):
            continue
        if node.get("type") == "actions":
            assert 1 <= len(node["elements"]) <= 25
        if node.get("type") == "checkboxes":
            assert 1 <= len(node["options"]) <= slack_ids.MAX_CHECKBOXES
        if node.get("type") in ("plain_text", "mrkdwn"):
            assert node["text"].strip(), "empty text object"
        if node.get("type") == "context":
            assert len(node["elements"]) <= 10


def check_message(message: SlackMessage) -> None:
    assert isinstance(message, SlackMessage)
    assert message.text.strip()
    assert 1 <= len(message.blocks) <= 50
    check_blocks(message.blocks)
    json.dumps(message.blocks)  # plain JSON, nothing exotic


def check_view(view: dict[str, Any]) -> None:
    assert 1 <= len(view["blocks"]) <= 100
    check_blocks(view["blocks"])
    assert View(**view).to_dict() == view
    assert len(json.dumps(view).encode()) < 250_000  # views.open's view_too_large
    block_ids = [b["block_id"] for b in view["blocks"] if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))


def input_blocks(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def assert_escaped(value: Any) -> None:
    texts = strings(value)
    assert not any("<@U123>" in s or "<!channel>" in s for s in texts), texts
    assert any(HOSTILE_ESCAPED in s for s in texts)


# --- the render machinery ---------------------------------------------------------------------


def test_catalogs_have_identical_keys(templates: Templates) -> None:
    assert set(templates.locales) == set(LOCALES)
    assert templates.catalog.keys("en") == templates.catalog.keys("fr")


@pytest.mark.parametrize("locale", LOCALES)
def test_every_catalog_entry_compiles(templates: Templates, locale: str) -> None:
    for key in templates.catalog.keys(locale):
        templates.env.from_string(templates.catalog.source(locale, key))


def test_every_network_has_a_name(templates: Templates) -> None:
    for network in Network:
        assert f"network.{network.value}" in templates.catalog.keys("en")


def _literal_text(snippet: str) -> str:
    """A catalog snippet without its Jinja tags."""
    return re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", snippet, flags=re.DOTALL)


def test_french_typography(templates: Templates) -> None:
    for key in templates.catalog.keys("fr"):
        literal = re.sub(r"&\w+;", "", _literal_text(templates.catalog.source("fr", key)))
        literal = re.sub(r"T\d\d:\d\d", "", literal)  # ISO times in examples: 2026-11-25T09:00
        assert not re.search(r" [:!?;»]|« ", literal), f"use a no-break space in fr {key}"
        assert "'" not in literal, f"use the typographic apostrophe in fr {key}"
        assert '"' not in literal, f"use « » quotes in fr {key}"
        assert not re.search(r"\w[!?;]|\w:(?!//)", literal), f"space before : ! ? ; in {key}"


def test_no_raw_slack_control_characters_in_catalogs(templates: Templates) -> None:
    for locale in LOCALES:
        for key in templates.catalog.keys(locale):
            literal = _literal_text(templates.catalog.source(locale, key))
            literal = re.sub(r"&(lt|gt|amp);", "", literal)
            # Only mrkdwn links written by the catalog itself may use < and >.
            literal = re.sub(r"<\|[^>]*>", "", literal)
            assert "&" not in literal, key
            assert "<" not in literal.replace("<|", ""), key


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("key", sorted(NOTICES))
def test_every_notice_renders(renderer: SlackRenderer, locale: str, key: str) -> None:
    notice = Notice(key, NOTICES[key])
    message = renderer.notice(notice, locale)
    check_message(message)
    text = renderer.notice_text(notice, locale)
    assert text.strip()
    assert len(text) <= 150
    assert not re.search(r"[`*\ue000-\ue002]|&lt;|&amp;", text)


def test_notice_keys_cover_the_catalog(templates: Templates) -> None:
    catalog_notices = {
        k.removeprefix("notice.") for k in templates.catalog.keys("en") if k.startswith("notice.")
    }
    assert catalog_notices == set(NOTICES)


@pytest.mark.parametrize(
    ("status", "deliveries", "shortened", "page_read", "expected"),
    [
        ("draft", 0, [], True, "/advocacy publish 12"),
        ("draft", 0, ["title"], True, "title was shortened"),
        ("published", 37, [], True, "37 ambassadors"),
        ("published", 1, ["summary"], False, "1 ambassador."),
        ("published", 0, [], True, "nobody got it"),
    ],
)
def test_content_saved_variants(
    renderer: SlackRenderer,
    status: str,
    deliveries: int,
    shortened: list[str],
    page_read: bool,
    expected: str,
) -> None:
    params = {
        "title": "Launch",
        "content_id": 12,
        "status": status,
        "deliveries": deliveries,
        "shortened": shortened,
        "page_read": page_read,
    }
    for locale in LOCALES:
        check_message(renderer.notice(Notice("content_saved", params), locale))
    assert expected in renderer.notice_text(Notice("content_saved", params), "en", limit=None)


@pytest.mark.parametrize(
    ("locale", "when", "expected"),
    [
        ("en", "2026-11-25 09:00 Europe/Paris", "is scheduled: it goes out on 2026-11-25 09:00"),
        ("en", None, "is scheduled: it goes out at the time you picked."),
        ("fr", "2026-11-25 09:00 Europe/Paris", f"programmé{NBSP}: il partira le 2026-11-25 09:00"),
        ("fr", None, f"programmé{NBSP}: il partira à l{APOSTROPHE}heure choisie."),
    ],
)
def test_content_saved_scheduled(
    renderer: SlackRenderer, locale: str, when: str | None, expected: str
) -> None:
    params = {
        "title": "Launch <day>",
        "content_id": 12,
        "status": "scheduled",
        "deliveries": 0,
        "shortened": [],
        "page_read": True,
        "when": when,
    }
    message = renderer.notice(Notice("content_saved", params), locale)
    check_message(message)
    assert "Launch &lt;day&gt;" in message.blocks[0]["text"]["text"]
    assert expected in renderer.notice_text(Notice("content_saved", params), locale, limit=None)
    # a draft or a publication without ``when`` still renders (the old parameters)
    del params["when"]
    check_message(renderer.notice(Notice("content_saved", params | {"status": "draft"}), locale))


@pytest.mark.parametrize("locale", LOCALES)
def test_datetime_notices(renderer: SlackRenderer, locale: str) -> None:
    texts = {
        key: renderer.notice_text(Notice(key, params), locale, limit=None)
        for key, params in (
            ("publish_at_past", {}),
            ("expires_before_publish", {}),
            ("bad_datetime", {"value": "<!here> " + "9" * 200}),
            ("unknown_flag", {"flag": "--later"}),
        )
    }
    assert "2026-11-25T09:00" in texts["bad_datetime"]
    assert "<!here> 999" in texts["bad_datetime"]
    assert len(texts["bad_datetime"]) < 160  # a pasted essay is cut
    assert all(f in texts["unknown_flag"] for f in ("--important", "--at", "--expires"))
    message = renderer.notice(Notice("bad_datetime", {"value": HOSTILE}), locale)
    check_message(message)
    assert_escaped(message.blocks)
    if locale == "en":
        assert texts["publish_at_past"] == (
            "That time has already passed: pick a moment in the future, "
            "or leave it empty to send now."
        )
        assert texts["expires_before_publish"] == (
            "The expiry must come after the time it goes out."
        )


def test_notice_escapes_user_values(renderer: SlackRenderer) -> None:
    for locale in LOCALES:
        message = renderer.notice(Notice("left", {"name": HOSTILE}), locale)
        check_message(message)
        assert_escaped(message.blocks)
        # Plain text is for plain-text fields: the value stays as typed, markup and all.
        assert HOSTILE in renderer.notice_text(Notice("left", {"name": HOSTILE}), locale)


def test_plain_text_keeps_stars_and_backticks_typed_by_users(renderer: SlackRenderer) -> None:
    text = renderer.notice_text(Notice("bad_hashtag", {"hashtag": "*bold* `x`"}), "en")
    assert text.startswith(f"*bold* `x` isn{APOSTROPHE}t a valid hashtag")


def test_unknown_notice_key_and_missing_parameter_raise(renderer: SlackRenderer) -> None:
    with pytest.raises(KeyError):
        renderer.notice(Notice("no_such_notice"), "en")
    with pytest.raises(UndefinedError):
        renderer.notice(Notice("left"), "fr")


def test_unknown_locale_falls_back_to_english(
    renderer: SlackRenderer, templates: Templates
) -> None:
    assert templates.locale("de") == "en"
    assert templates.locale("fr-FR") == "fr"
    assert templates.locale(None) == "en"
    assert renderer.notice_text(Notice("error"), "de") == renderer.notice_text(
        Notice("error"), "en"
    )


def test_catalog_snippets_are_compiled_once(templates: Templates) -> None:
    templates.text("notice.error", "en")
    compiled = templates._snippets[("en", "notice.error")]
    templates.text("notice.error", "en")
    assert templates._snippets[("en", "notice.error")] is compiled


def test_broken_template_fails_loudly() -> None:
    fresh = Templates()
    assert fresh.env.loader is not None
    fresh.env.loader = ChoiceLoader(
        [DictLoader({"broken.json.j2": '{"a": {{ x }}}'}), fresh.env.loader]
    )
    assert fresh.render_json("broken.json.j2", "en", x=1) == {"a": 1}
    with pytest.raises(ValueError, match=r"broken\.json\.j2 rendered invalid JSON"):
        fresh.render_json("broken.json.j2", "en", x="not json")


def test_filters() -> None:
    assert slack_escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert slack_escape(slack_escape("&")) == "&amp;"
    assert truncate_to("abcdef", 10) == "abcdef"
    assert truncate_to("abcdef", 4) == "abc…"
    assert len(truncate_to("x" * 500, 150)) == 150
    # never cut an entity in half
    assert truncate_to(slack_escape("ab&cd"), 6) == "ab…"
    assert to_plain("*Bold* and `code` &amp; more") == "Bold and code & more"
    assert pack_lines(["a" * 6, "b" * 3, "c" * 20], 10) == ["aaaaaa\nbbb", "c" * 9 + "…"]
    assert pack_lines([], 10) == []


# --- suggestion --------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"clicked": (Network.X, Network.LINKEDIN), "points_earned": 10, "last_award": 5},
        {"confirmed": True, "points_earned": 20, "last_award": 10},
        {"confirmed": True, "points_earned": 10, "last_award": 0},
        {"skipped": True},
        {"skipped": True, "points_earned": 5},
        {"image_url": None, "summary": ""},
        {"networks": (Network.LINKEDIN,)},
        {"networks": (Network.X, Network.BLUESKY)},
        {"networks": ()},
        {"first_name": "", "title": "   "},
    ],
    ids=lambda c: ",".join(c) or "fresh",
)
def test_suggestion_renders(renderer: SlackRenderer, locale: str, changes: dict[str, Any]) -> None:
    check_message(renderer.suggestion(suggestion(locale, **changes)))


@pytest.mark.parametrize("locale", LOCALES)
def test_suggestion_at_the_limits(renderer: SlackRenderer, locale: str) -> None:
    """Fields at their maximum, made of characters that grow when escaped."""
    view = suggestion(
        locale,
        title="R&D <news> " * 14,  # 154 characters, ~300 once escaped
        summary="Tom & Jerry <3 " * 67,  # 1,005 characters
        text=("A & B <are> great! #hiring " * 56)[:1500],
        content_url="https://example.com/" + "a" * 1_970,
        image_url="https://example.com/" + "i" * 2_980,
        first_name="Marie-Françoise-Élisabeth " * 4,
        clicked=tuple(Network),
        points_earned=10_000,
        last_award=1_000,
    )
    message = renderer.suggestion(view)
    check_message(message)
    header = message.blocks[0]
    assert header["type"] == "header"
    assert len(header["text"]["text"]) <= 150
    assert all(len(b["url"]) <= 3000 for b in message.blocks[4]["elements"])


def test_suggestion_snapshot(renderer: SlackRenderer) -> None:
    view = suggestion(
        "en",
        buttons=(
            ShareButton(Network.LINKEDIN, "https://www.linkedin.com/sharing/share-offsite/?url=L"),
            ShareButton(Network.X, "https://twitter.com/intent/tweet?text=T&url=L", clicked=True),
            ShareButton(Network.WHATSAPP, "https://wa.me/?text=T%20L"),
        ),
        points_earned=5,
    )
    message = renderer.suggestion(view)
    check_message(message)
    assert message.text == "New to share: We opened a new office in Paris"
    assert [b["type"] for b in message.blocks] == [
        "header",
        "section",
        "section",
        "context",
        "actions",
        "context",
        "actions",
    ]
    assert message.blocks[1]["accessory"]["image_url"] == "https://example.com/images/paris.jpg"
    assert "```\nWe just opened our Paris office 🎉" in message.blocks[2]["text"]["text"]
    assert message.blocks[3]["elements"][0]["text"].startswith(
        f"{INFO} LinkedIn takes only the link"
    )
    share = message.blocks[4]["elements"]
    assert [(b["text"]["text"], b["action_id"], b["value"], b["url"]) for b in share] == [
        (
            "LinkedIn",
            "share:linkedin",
            "42:linkedin",
            "https://www.linkedin.com/sharing/share-offsite/?url=L",
        ),
        ("X ✓", "share:x", "42:x", "https://twitter.com/intent/tweet?text=T&url=L"),
        ("WhatsApp", "share:whatsapp", "42:whatsapp", "https://wa.me/?text=T%20L"),
    ]
    assert all(slack_ids.SHARE_ACTION_PATTERN.match(b["action_id"]) for b in share)
    confirm, skip, edit = message.blocks[6]["elements"]
    assert (edit["text"]["text"], edit["action_id"], edit["value"]) == (
        "Copy / edit text",
        slack_ids.EDIT_TEXT_ACTION,
        "42",
    )
    assert (confirm["text"]["text"], confirm["action_id"], confirm["value"], confirm["style"]) == (
        "I shared it",
        slack_ids.CONFIRM_ACTION,
        "42",
        "primary",
    )
    assert (skip["text"]["text"], skip["action_id"], skip["value"]) == (
        "Skip",
        slack_ids.SKIP_ACTION,
        "42",
    )
    assert message.blocks[5]["elements"][0]["text"].startswith("5 points for this post so far")


def test_suggestion_confirmed_and_skipped_replace_the_buttons(renderer: SlackRenderer) -> None:
    confirmed = renderer.suggestion(suggestion(confirmed=True, points_earned=25, last_award=10))
    actions = [b for b in confirmed.blocks if b["type"] == "actions"]
    assert len(actions) == 1  # only the share buttons remain
    status = confirmed.blocks[-1]["elements"][0]["text"]
    assert status == "✅ Shared — thank you! *+10 points* · 25 points for this post"

    skipped = renderer.suggestion(suggestion(skipped=True))
    assert skipped.blocks[-1]["elements"][0]["text"] == "Skipped — no worries."
    assert not any(
        e.get("action_id") in (slack_ids.CONFIRM_ACTION, slack_ids.SKIP_ACTION)
        for b in skipped.blocks
        if b["type"] == "actions"
        for e in b["elements"]
    )

    french = renderer.suggestion(suggestion("fr", confirmed=True, points_earned=1, last_award=1))
    assert french.blocks[-1]["elements"][0]["text"] == "✅ Partagé, merci\u00a0! *+1 point*"


def test_suggestion_link_only_line_only_for_link_only_networks(renderer: SlackRenderer) -> None:
    message = renderer.suggestion(suggestion(networks=(Network.X, Network.BLUESKY)))
    assert not any("only the link" in s for s in strings(message.blocks))
    message = renderer.suggestion(suggestion("fr", networks=tuple(Network)))
    assert any(
        "LinkedIn, Facebook et XING ne reprennent que le lien" in s for s in strings(message.blocks)
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_suggestion_escapes_user_and_page_text(renderer: SlackRenderer, locale: str) -> None:
    view = suggestion(locale, title=HOSTILE, summary=HOSTILE, text=HOSTILE, first_name=HOSTILE)
    message = renderer.suggestion(view)
    check_message(message)
    assert_escaped(message.blocks)
    assert "<@U123>" not in message.text
    assert HOSTILE_ESCAPED in message.text
    for block in message.blocks[:3]:
        assert "<@U123>" not in json.dumps(block, ensure_ascii=False)


# --- expired suggestion, reminder ------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"clicked": (Network.X,), "points_earned": 5, "last_award": 5},
        {"confirmed": True, "points_earned": 20, "last_award": 10},
        {"skipped": True, "points_earned": 5},
        {"image_url": None, "summary": "", "text": ""},
        {"networks": ()},
    ],
    ids=lambda c: ",".join(c) or "fresh",
)
def test_expired_suggestion_has_no_buttons(
    renderer: SlackRenderer, locale: str, changes: dict[str, Any]
) -> None:
    message = renderer.suggestion(suggestion(locale, expired=True, **changes))
    check_message(message)
    assert not any(b["type"] == "actions" for b in message.blocks)
    assert not any(
        node.get("type") == "button" for node in walk(message.blocks) if isinstance(node, dict)
    )
    last = message.blocks[-1]
    assert last["type"] == "context"
    assert last["elements"][0]["text"] == EXPIRED_LINES[locale]
    assert message.blocks[0]["type"] == "header"  # the message still reads well
    texts = "\n".join(strings(message.blocks))
    assert "paris-office" in texts  # the link to the content stays
    assert "only the link" not in texts and "que le lien" not in texts  # no share windows
    points = changes.get("points_earned", 0)
    if points:
        assert f"{points} point" in texts


def test_expired_suggestion_keeps_text_and_points(renderer: SlackRenderer) -> None:
    fresh = renderer.suggestion(suggestion("en", points_earned=5, clicked=(Network.X,)))
    expired = renderer.suggestion(suggestion("en", points_earned=5, expired=True))
    assert [b["type"] for b in expired.blocks] == [
        "header",
        "section",
        "section",
        "context",
        "context",
    ]
    assert expired.blocks[:3] == fresh.blocks[:3]
    assert expired.blocks[3]["elements"][0]["text"] == "You earned 5 points for this post."
    assert "I shared it" not in json.dumps(expired.blocks)
    assert expired.text == fresh.text

    confirmed = renderer.suggestion(
        suggestion("en", confirmed=True, points_earned=25, last_award=10, expired=True)
    )
    assert [b["elements"][0]["text"] for b in confirmed.blocks[-2:]] == [
        "✅ Shared — thank you! *+10 points* · 25 points for this post",
        EXPIRED_LINES["en"],
    ]
    french = renderer.suggestion(suggestion("fr", skipped=True, points_earned=1, expired=True))
    assert french.blocks[-2]["elements"][0]["text"] == (
        "Passé, pas de souci. Vous gardez vos 1 point pour ce contenu."
    )
    assert french.blocks[-1]["elements"][0]["text"] == EXPIRED_LINES["fr"]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("expires_on", [None, date(2026, 12, 1)])
@pytest.mark.parametrize(("first_name", "title"), [("Marie", "Our launch"), ("", "  ")])
def test_reminder_renders(
    renderer: SlackRenderer,
    locale: str,
    expires_on: date | None,
    first_name: str,
    title: str,
) -> None:
    message = renderer.reminder(ReminderView(locale, first_name, title, expires_on))
    check_message(message)
    assert len(message.blocks) == 1  # a one-liner in the thread
    text = message.blocks[0]["text"]["text"]
    assert "\n" not in text
    day = {"en": "December 1", "fr": "1er décembre"}[locale]
    assert (day in text) is (expires_on is not None)
    assert (day in message.text) is (expires_on is not None)
    assert ("Marie" in text) is bool(first_name)
    assert "“”" not in text and f"«{NBSP}{NBSP}»" not in text


def test_reminder_copy(renderer: SlackRenderer) -> None:
    english = renderer.reminder(ReminderView("en", "Marie", "Our launch", date(2026, 11, 25)))
    assert english.blocks[0]["text"]["text"] == (
        "👋 Marie, still time to share “Our launch”? It only takes a tap above. "
        "Last day: November 25."
    )
    # The notification stands on its own: no "above" in it.
    assert english.text == "Still time to share “Our launch”? Last day: November 25."
    french = renderer.reminder(ReminderView("fr", "", "Notre lancement"))
    assert french.blocks[0]["text"]["text"] == (
        f"👋 Vous avez encore le temps de partager «{NBSP}Notre lancement{NBSP}»{NBSP}: "
        "un clic ci-dessus suffit."
    )
    assert french.text == f"Vous avez encore le temps de partager «{NBSP}Notre lancement{NBSP}»."


@pytest.mark.parametrize("locale", LOCALES)
def test_reminder_escapes_and_cuts_the_title(renderer: SlackRenderer, locale: str) -> None:
    message = renderer.reminder(ReminderView(locale, HOSTILE, HOSTILE * 20, date(2026, 1, 1)))
    check_message(message)
    assert_escaped(message.blocks)
    assert "<@U123>" not in message.text
    assert len(message.text) < 400


# --- digest ----------------------------------------------------------------------------------

# Item states, cycled through by the digests below: fresh, clicked, confirmed, skipped, expired
# (with and without points, after a confirmation), without share buttons, link-less networks.
DIGEST_STATES: tuple[dict[str, Any], ...] = (
    {},
    {"clicked": (Network.X, Network.LINKEDIN), "points_earned": 10, "last_award": 5},
    {"confirmed": True, "points_earned": 20, "last_award": 10},
    {"skipped": True, "points_earned": 5},
    {"expired": True},
    {"expired": True, "confirmed": True, "points_earned": 15, "last_award": 0},
    {"networks": ()},
    {"networks": (Network.X, Network.BLUESKY), "clicked": (Network.BLUESKY,), "first_name": ""},
)
REMAINING_LINES = {
    "en": ("3 more in your next digest", "1 more in your next digest"),
    "fr": (
        "Encore 3 contenus dans votre prochain récapitulatif",
        "Encore 1 contenu dans votre prochain récapitulatif",
    ),
}


def digest_items(locale: str, count: int, **changes: Any) -> tuple[SuggestionView, ...]:
    title = changes.pop("title", "news")
    return tuple(
        suggestion(
            locale,
            delivery_id=DeliveryId(100 + index),
            title=f"Post {index}: {title}",
            **{**DIGEST_STATES[index % len(DIGEST_STATES)], **changes},
        )
        for index in range(count)
    )


def is_open(item: SuggestionView) -> bool:
    return not (item.confirmed or item.skipped or item.expired)


def buttons_of(blocks: list[dict[str, Any]], delivery_id: int) -> list[dict[str, Any]]:
    """Every button of one delivery, in order (its values start with the delivery id); the
    "Copy / edit text" button of a suggestion DM aside (digests leave it out)."""
    return [
        element
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element["value"].split(":")[0] == str(delivery_id)
        and element["action_id"] != slack_ids.EDIT_TEXT_ACTION
    ]


def digest_parts(blocks: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The blocks of each item: from its divider to the next one (or the closing line)."""
    parts: list[list[dict[str, Any]]] = []
    for block in blocks:
        if block["type"] == "divider":
            parts.append([])
        elif parts:
            parts[-1].append(block)
    return parts


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("count", [1, 3, 8])
@pytest.mark.parametrize("remaining", [0, 3])
def test_digest_renders(renderer: SlackRenderer, locale: str, count: int, remaining: int) -> None:
    items = digest_items(locale, count)
    message = renderer.digest(DigestView(locale, "Marie", items, remaining))
    check_message(message)  # Block.parse_all + to_dict round trip, ≤ 50 blocks
    assert len(message.blocks) <= 50
    assert message.blocks[0]["type"] == "header"
    assert sum(b["type"] == "divider" for b in message.blocks) == count
    parts = digest_parts(message.blocks)
    if remaining:  # the closing line is not part of the last item
        parts[-1].pop()
    for item, part in zip(items, parts, strict=True):
        # The same share buttons, action ids and values as the suggestion DM of the item.
        single = renderer.suggestion(item)
        assert buttons_of(message.blocks, item.delivery_id) == buttons_of(
            single.blocks, item.delivery_id
        )
        assert buttons_of(part, item.delivery_id) == buttons_of(single.blocks, item.delivery_id)
        assert part[0]["type"] == "section"
        assert len(part) <= 5
        ids = [b["action_id"] for b in buttons_of(part, item.delivery_id)]
        shares = [] if item.expired else [f"share:{b.network.value}" for b in item.buttons]
        answers = [slack_ids.CONFIRM_ACTION, slack_ids.SKIP_ACTION] if is_open(item) else []
        assert ids == shares + answers
        for button in buttons_of(part, item.delivery_id):
            if button["action_id"].startswith(slack_ids.SHARE_ACTION_PREFIX):
                network = button["action_id"].removeprefix(slack_ids.SHARE_ACTION_PREFIX)
                assert button["value"] == f"{item.delivery_id}:{network}"
                assert slack_ids.SHARE_ACTION_PATTERN.match(button["action_id"])
                clicked = Network(network) in item.clicked_networks
                assert button["text"]["text"].endswith(" ✓") is clicked
            else:
                assert button["value"] == str(item.delivery_id)
        # The state line says what the suggestion DM says, line for line.
        single_lines = [
            b["elements"][0]["text"]
            for b in single.blocks
            if b["type"] == "context" and not b["elements"][0]["text"].startswith(INFO)
        ]
        digest_lines = [e["text"] for b in part if b["type"] == "context" for e in b["elements"]]
        assert digest_lines == single_lines
    closing = message.blocks[-1]
    if remaining:
        assert closing["type"] == "context"
        assert closing["elements"][0]["text"] == REMAINING_LINES[locale][0]
    else:
        assert not any(REMAINING_LINES[locale][0] in s for s in strings(message.blocks))


def test_digest_copy(renderer: SlackRenderer) -> None:
    english = renderer.digest(DigestView("en", "Marie", digest_items("en", 3)))
    assert english.text == "Your digest: 3 posts to share"
    assert english.blocks[0]["text"]["text"] == "📬 Your digest: 3 posts to share"
    assert english.blocks[1]["text"]["text"].startswith(f"Hi Marie! Here{APOSTROPHE}s the latest")
    assert english.blocks[2]["elements"][0]["text"].startswith(
        f"{INFO} LinkedIn, Facebook and XING take only the link"
    )
    section = english.blocks[4]["text"]["text"]
    assert section == (
        "*<https://example.com/blog/paris-office|Post 0: news>*\n"
        "Forty people, a rooftop and a lot of coffee: meet the team."
    )
    assert english.blocks[5]["text"]["text"] == (
        "```\nWe just opened our Paris office 🎉 Come and say hi! #hiring\n```"
    )
    one = renderer.digest(DigestView("en", "", digest_items("en", 1), remaining=1))
    assert one.text == "Your digest: 1 post to share"
    assert one.blocks[1]["text"]["text"].startswith(f"Hi! Here{APOSTROPHE}s the latest")
    assert one.blocks[-1]["elements"][0]["text"] == REMAINING_LINES["en"][1]

    french = renderer.digest(DigestView("fr", "Marie", digest_items("fr", 3), remaining=1))
    assert french.text == f"Votre récapitulatif{NBSP}: 3 contenus à partager"
    assert (
        french.blocks[0]["text"]["text"] == f"📬 Votre récapitulatif{NBSP}: 3 contenus à partager"
    )
    assert french.blocks[1]["text"]["text"].startswith(f"Bonjour Marie{NBSP}! Voici")
    assert french.blocks[-1]["elements"][0]["text"] == REMAINING_LINES["fr"][1]
    single = renderer.digest(DigestView("fr", "", digest_items("fr", 1)))
    assert single.text == f"Votre récapitulatif{NBSP}: 1 contenu à partager"
    assert single.blocks[1]["text"]["text"].startswith(f"Bonjour{NBSP}! Voici")


def test_digest_item_states(renderer: SlackRenderer) -> None:
    items = digest_items("en", 6)
    parts = digest_parts(renderer.digest(DigestView("en", "Marie", items)).blocks)

    def lines(part: list[dict[str, Any]]) -> list[str]:
        return [e["text"] for b in part if b["type"] == "context" for e in b["elements"]]

    assert [b["type"] for b in parts[0]] == ["section", "section", "actions"]  # fresh
    assert lines(parts[1]) == [
        "*+5 points!* 10 points for this post so far. Once your post is live, tap *I shared it*."
    ]
    assert lines(parts[2]) == ["✅ Shared — thank you! *+10 points* · 20 points for this post"]
    assert [b["action_id"] for b in parts[2][2]["elements"]] == [
        f"share:{n.value}" for n in Network
    ]  # shared: the share buttons stay, "I shared it" and "Skip" go
    assert lines(parts[3]) == ["Skipped — no worries. You still earned 5 points for this post."]
    assert lines(parts[4]) == [EXPIRED_LINES["en"]]
    assert not any(b["type"] == "actions" for b in parts[4] + parts[5])  # expired: no button
    assert lines(parts[5]) == [
        "✅ Shared — thank you! · 15 points for this post",
        EXPIRED_LINES["en"],
    ]
    assert len([b for b in parts[5] if b["type"] == "context"]) == 1  # one line per item


def test_digest_link_only_line(renderer: SlackRenderer) -> None:
    texts = [
        *digest_items("en", 1, networks=(Network.X, Network.BLUESKY)),
        *digest_items("en", 1, networks=(Network.XING,), expired=True),
    ]
    message = renderer.digest(DigestView("en", "Marie", tuple(texts)))
    assert not any("only the link" in s for s in strings(message.blocks))  # XING item expired
    mixed = (
        *digest_items("en", 1, networks=(Network.X, Network.XING)),
        *digest_items("en", 1, networks=(Network.LINKEDIN, Network.XING, Network.WHATSAPP)),
    )
    message = renderer.digest(DigestView("en", "Marie", mixed))
    lines = [s for s in strings(message.blocks) if "only the link" in s]
    assert lines == [
        f"{INFO} XING and LinkedIn take only the link: paste the text yourself "
        "once the window opens."
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_digest_escapes_titles_and_texts(renderer: SlackRenderer, locale: str) -> None:
    items = digest_items(
        locale, 8, title=HOSTILE, summary=f"{HOSTILE} summary", text=f"{HOSTILE} text"
    )
    message = renderer.digest(DigestView(locale, HOSTILE, items, remaining=2))
    check_message(message)
    assert_escaped(message.blocks)
    raw = json.dumps(message.blocks, ensure_ascii=False)
    assert "<@U123>" not in raw and "<!channel>" not in raw
    assert "<@U123>" not in message.text
    for part in digest_parts(message.blocks):
        section, text = part[0]["text"]["text"], part[1]["text"]["text"]
        assert "|Post " in section and HOSTILE_ESCAPED in section
        assert f"\n{HOSTILE_ESCAPED} summary" in section
        assert text == f"```\n{HOSTILE_ESCAPED} text\n```"


@pytest.mark.parametrize("locale", LOCALES)
def test_digest_at_the_limits(renderer: SlackRenderer, locale: str) -> None:
    """Eight busy items at their longest, every one with buttons and a state line."""
    items = digest_items(
        locale,
        8,
        title="R&D <news> " * 14,
        summary="Tom & Jerry <3 " * 67,
        text=("A & B <are> great! #hiring " * 56)[:1500],
        content_url="https://example.com/?a=1&b=2&" + "a" * 1_970,
        first_name="Marie-Françoise-Élisabeth " * 4,
        networks=tuple(Network),
        clicked=tuple(Network)[:3],
        points_earned=10_000,
        last_award=1_000,
        confirmed=False,
        skipped=False,
        expired=False,
    )
    message = renderer.digest(DigestView(locale, "Marie-Françoise-Élisabeth " * 4, items, 99))
    check_message(message)
    assert len(message.blocks) == 3 + 8 * 5 + 1  # header, intro, link-only; 5 each; closing
    for part in digest_parts(message.blocks):
        summary = part[0]["text"]["text"].split("\n", 1)[1]
        assert len(summary) <= 300
        code = part[1]["text"]["text"]
        assert code.startswith("```\n") and code.endswith("…\n```")
        assert len(code) <= 600 + 8
        assert len(part[2]["elements"]) == len(Network) + 2
    assert message.blocks[1]["text"]["text"].count("Marie") <= 4


def test_digest_refuses_more_than_50_blocks(renderer: SlackRenderer) -> None:
    busy = digest_items(
        "en",
        9,
        networks=tuple(Network),
        clicked=(Network.X,),
        confirmed=False,
        skipped=False,
        expired=False,
    )
    assert len(renderer.digest(DigestView("en", "Marie", busy, 5)).blocks) == 49
    with pytest.raises(ValueError, match="50"):
        renderer.digest(DigestView("en", "Marie", (*busy, busy[0]), 5))
    with pytest.raises(ValueError, match="at least one"):
        renderer.digest(DigestView("en", "Marie", ()))


def test_digest_keys_in_every_catalog(templates: Templates) -> None:
    keys = {"digest.fallback", "digest.title", "digest.intro", "digest.item", "digest.remaining"}
    for locale in LOCALES:
        assert keys <= templates.catalog.keys(locale)
    assert templates.catalog.keys("en") == templates.catalog.keys("fr")


# --- delivery status -------------------------------------------------------------------------

JOBS = (
    ScheduledJob(
        "weekly_leaderboard", datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    ),
    ScheduledJob("publish_scheduled", datetime(2026, 11, 20, 14, 5, tzinfo=UTC)),
    ScheduledJob("expire_content", None),
    ScheduledJob("send_reminders", datetime(2026, 11, 20, 15, 0)),
    ScheduledJob("rebuild_index", None),
)
COUNTS = {"sent": 1200, "pending": 12, "claimed": 3, "failed": 1, "dead": 2, "expired": 4}


def status_view(locale: str, **changes: Any) -> StatusView:
    fields: dict[str, Any] = {
        "locale": locale,
        "counts": COUNTS,
        "rates": {"slack": 4.0, "teams": 0.5},
        "sent_last_hour": 37,
        "jobs": JOBS,
    }
    fields.update(changes)
    return StatusView(**fields)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"counts": {}, "rates": {}, "jobs": (), "sent_last_hour": 0},
        {"counts": {"pending": 1, "mystery": 2, HOSTILE: 3}},
        {"counts": {f"state_{i}": i for i in range(40)}},
        {"jobs": tuple(ScheduledJob(f"job_{i}_" + "x" * 100, None) for i in range(300))},
        {"rates": {"slack": 1, "teams": 1.5, "matrix": 0.25}},
    ],
    ids=["full", "empty", "unknown_states", "many_states", "many_jobs", "odd_rates"],
)
def test_status_renders(renderer: SlackRenderer, locale: str, changes: dict[str, Any]) -> None:
    message = renderer.status(status_view(locale, **changes))
    check_message(message)
    assert message.blocks[0]["type"] == "header"
    for block in message.blocks:
        assert len(block.get("fields", ())) <= 10
        assert all(len(f["text"]) <= 2000 for f in block.get("fields", ()))


def test_status_escapes_unknown_names(renderer: SlackRenderer) -> None:
    for locale in LOCALES:
        view = status_view(
            locale,
            counts={HOSTILE: 1},
            rates={HOSTILE: 2.0},
            jobs=(ScheduledJob(HOSTILE, None),),
        )
        message = renderer.status(view)
        check_message(message)
        assert_escaped(message.blocks)


def _status_text(message: SlackMessage) -> str:
    return "\n".join(strings(message.blocks))


def test_status_content_english(renderer: SlackRenderer) -> None:
    message = renderer.status(status_view("en"))
    assert message.text == "Delivery status: 37 sent in the last hour"
    assert message.blocks[0]["text"]["text"] == "Delivery status"
    fields = [f["text"] for f in message.blocks[1]["fields"]]
    assert fields == [
        "*Pending*\n12",
        "*Sending*\n3",
        "*Sent*\n1200",
        "*Failed*\n1",
        "*Gave up after retries*\n2",
        "*Expired*\n4",
        "*Sent in the last hour*\n37",
        "*Configured rate*\nSlack: 4 messages/s\nMicrosoft Teams: 0.5 messages/s",
    ]
    jobs = message.blocks[2]["text"]["text"].split("\n")
    assert jobs == [
        "*Next jobs*",
        "• Weekly digest and leaderboard: 2026-11-23 09:00 UTC",
        "• Scheduled posts: 2026-11-20 14:05 UTC",
        "• Content expiry: not scheduled",
        "• Reminders: 2026-11-20 15:00 UTC",
        "• rebuild_index: not scheduled",
    ]


def test_status_content_french(renderer: SlackRenderer) -> None:
    rates = {"slack": 1.0, "teams": 1.5}
    message = renderer.status(status_view("fr", counts={"pending": 0, "sent": 2}, rates=rates))
    assert message.text == f"État des envois{NBSP}: 37 envois dans la dernière heure"
    text = _status_text(message)
    assert "*En attente*\n0" in text
    assert "*Envoyés*\n2" in text
    assert f"Slack{NBSP}: 1 message/s\nMicrosoft Teams{NBSP}: 1,5 message/s" in text
    assert f"• Récapitulatif et classement de la semaine{NBSP}: 2026-11-23 09:00 UTC" in text
    assert f"• Expiration des contenus{NBSP}: aucune exécution prévue" in text
    assert f"• Rappels{NBSP}: 2026-11-20 15:00 UTC" in text


@pytest.mark.parametrize("locale", LOCALES)
def test_status_when_empty(renderer: SlackRenderer, locale: str) -> None:
    view = status_view(locale, counts={}, rates={}, jobs=(), sent_last_hour=0)
    message = renderer.status(view)
    check_message(message)
    kinds = [b["type"] for b in message.blocks]
    assert kinds == ["header", "section", "section", "context"]


def test_every_state_and_job_has_a_label(templates: Templates) -> None:
    states = ("pending", "claimed", "sent", "failed", "dead", "expired")
    jobs = ("weekly_leaderboard", "publish_scheduled", "expire_content", "send_reminders")
    for locale in LOCALES:
        keys = templates.catalog.keys(locale)
        assert all(f"delivery_state.{s}" in keys for s in states)
        assert all(f"job.{j}" in keys for j in jobs)
        assert all(f"platform.{p}" in keys for p in ("slack", "teams"))


def test_utc_minute() -> None:
    paris = timezone(timedelta(hours=1))
    assert utc_minute(datetime(2026, 11, 25, 9, 0, 59, tzinfo=paris)) == "2026-11-25 08:00 UTC"
    assert utc_minute(datetime(2026, 1, 2, 3, 4)) == "2026-01-02 03:04 UTC"


# --- leaderboard ---------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("count", "viewer", "viewer_points"),
    [(0, None, None), (0, None, 0), (3, 2, 180), (10, None, 12), (10, None, 0), (150, 1, 199)],
)
def test_leaderboard_renders(
    renderer: SlackRenderer,
    locale: str,
    count: int,
    viewer: int | None,
    viewer_points: int | None,
) -> None:
    ranked = entries(count)
    view = LeaderboardView(
        locale=locale,
        week_label="2026-W47",
        week_start=date(2026, 11, 16),
        entries=ranked,
        viewer=ranked[viewer - 1] if viewer else None,
        viewer_points=viewer_points,
    )
    check_message(renderer.leaderboard(view))


def test_leaderboard_content(renderer: SlackRenderer) -> None:
    ranked = entries(4)
    view = LeaderboardView("en", "2026-W47", date(2026, 11, 16), ranked, None, 12)
    message = renderer.leaderboard(view)
    assert message.blocks[0]["text"]["text"] == "🏆 Leaderboard · week of November 16"
    lines = message.blocks[1]["text"]["text"].split("\n")
    assert lines[0] == "🥇 *Ambassador 1* · 199 points · 19 shares"
    assert lines[1].startswith("🥈")
    assert lines[2].startswith("🥉")
    assert lines[3].startswith("4. *Ambassador 4*")
    assert message.blocks[-1]["elements"][0]["text"] == (
        "You: 12 points, not in the top yet. Keep sharing!"
    )

    empty = renderer.leaderboard(LeaderboardView("fr", "2026-W01", date(2026, 1, 1), ()))
    assert empty.blocks[0]["text"]["text"] == "🏆 Classement · semaine du 1er janvier"
    assert "Aucun partage" in empty.blocks[1]["text"]["text"]


def test_leaderboard_escapes_names(renderer: SlackRenderer) -> None:
    board = (LeaderboardEntry(1, AmbassadorId(1), HOSTILE, 10, 1),)
    for locale in LOCALES:
        message = renderer.leaderboard(
            LeaderboardView(locale, "2026-W47", date(2026, 11, 16), board, board[0], 10)
        )
        check_message(message)
        assert_escaped(message.blocks)


# --- help, profile, content list -----------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("curator", "ambassador"), [(False, False), (False, True), (True, True)])
def test_help_renders(
    renderer: SlackRenderer, locale: str, curator: bool, ambassador: bool
) -> None:
    view = HelpView(locale, "/advocacy", curator, ambassador, tuple(t for t, _ in TOPICS_12))
    message = renderer.help(view)
    check_message(message)
    text = "\n".join(strings(message.blocks))
    for command in ("join", "interests", "me", "leaderboard", "leave", "help"):
        assert f"`/advocacy {command}" in text
    curator_commands = (
        "`/advocacy post`",
        "`/advocacy list`",
        "`/advocacy publish",
        "`/advocacy status`",
    )
    assert all((c in text) is curator for c in curator_commands)
    assert ("--draft" in text) is curator
    line = (
        "`/advocacy post [--draft] [--everyone] [--important] [--at 2026-11-25T09:00] "
        "[--expires 2026-12-01T18:00] [--lang fr] [--network x] &lt;url&gt;"
    )
    assert (line in text) is curator
    if curator:
        assert ("time zone" if locale == "en" else "fuseau horaire") in text
        assert ("next jobs" if locale == "en" else "prochaines tâches") in text
    assert "`open_source`" in text


def test_help_without_topics(renderer: SlackRenderer) -> None:
    check_message(renderer.help(HelpView("fr", "/adv", True, False, ())))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("active", [True, False])
def test_profile_renders(renderer: SlackRenderer, locale: str, active: bool) -> None:
    view = ProfileView(
        locale, HOSTILE, active, ("AI", "Cloud"), tuple(Network), 12, 340, 25, 3 if active else None
    )
    message = renderer.profile(view)
    check_message(message)
    assert_escaped(message.blocks)
    empty = ProfileView(locale, "Marie", active, (), (), 0, 0, 0, None)
    check_message(renderer.profile(empty))


@pytest.mark.parametrize("locale", LOCALES)
def test_content_list_renders(renderer: SlackRenderer, locale: str) -> None:
    items = (
        *(
            ContentListItem(
                i,
                f"Post {i} " + "long title " * 20,
                f"https://example.com/p/{i}?a=1&b=2",
                "draft" if i % 2 else "published",
                ("ai", "cloud") if i % 3 else (),
            )
            for i in range(1, 13)
        ),
        ContentListItem(99, HOSTILE, "https://example.com/x", "archived", ("ai",)),
    )
    message = renderer.content_list(ContentListView(locale, items))
    check_message(message)
    assert_escaped(message.blocks)
    text = "\n".join(strings(message.blocks))
    assert ("Draft" if locale == "en" else "Brouillon") in text
    assert "archived" in text  # an unknown status is shown as is
    empty = renderer.content_list(ContentListView(locale, ()))
    check_message(empty)
    assert len(empty.blocks) == 2


def test_content_list_keeps_every_line_when_urls_are_long(renderer: SlackRenderer) -> None:
    url = "https://example.com/blog/post?utm_source=slack&utm_medium=advocacy&ref=" + "x" * 160
    items = tuple(ContentListItem(i, f"Title {i}", url, "draft", ("ai",)) for i in range(1, 31))
    message = renderer.content_list(ContentListView("en", items))
    check_message(message)
    text = "\n".join(strings(message.blocks))
    assert all(f"*#{i}* <https://example.com/" in text for i in range(1, 31))
    assert "…" not in text


def test_long_content_list_stays_within_limits(renderer: SlackRenderer) -> None:
    items = tuple(
        ContentListItem(i, "T" * 150, "https://example.com/" + "p" * 200, "draft", ())
        for i in range(500)
    )
    check_message(renderer.content_list(ContentListView("en", items)))


# --- modals --------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("topics", [12, 5])
def test_join_modal(renderer: SlackRenderer, locale: str, topics: int) -> None:
    view = renderer.join_modal(enrolment(locale, guidelines=GUIDELINES, topics=topics))
    check_view(view)
    assert view["callback_id"] == slack_ids.JOIN_VIEW
    assert view["private_metadata"] == "2026-03"
    inputs = input_blocks(view)
    assert list(inputs) == ["accept", "topics", "networks"]
    accept = inputs["accept"]["element"]
    assert (accept["type"], accept["action_id"]) == ("checkboxes", "accept")
    assert [o["value"] for o in accept["options"]] == ["yes"]
    topic_element = inputs["topics"]["element"]
    assert topic_element["action_id"] == "topics"
    assert topic_element["type"] == ("multi_static_select" if topics > 10 else "checkboxes")
    assert [o["value"] for o in topic_element["options"]] == [t for t, _ in TOPICS_12[:topics]]
    assert [o["value"] for o in topic_element["initial_options"]] == ["ai", "cloud"]
    networks = inputs["networks"]["element"]
    assert (networks["type"], networks["action_id"]) == ("checkboxes", "networks")
    assert [o["value"] for o in networks["options"]] == [n.value for n in Network]
    assert [o["value"] for o in networks["initial_options"]] == ["linkedin", "x"]
    assert networks["options"][5]["text"]["text"] == "XING"
    guideline_text = "\n".join(strings(view["blocks"]))
    assert "*Our social media guidelines*" in guideline_text
    assert "*simple rules*" in guideline_text
    assert "**" not in guideline_text
    assert "<https://intranet.example.com/policy|full policy>" in guideline_text
    assert "&lt;ask comms&gt;" in guideline_text
    assert "• Share anything" in guideline_text


@pytest.mark.parametrize("locale", LOCALES)
def test_preferences_modal(renderer: SlackRenderer, locale: str) -> None:
    view = renderer.join_modal(enrolment(locale, guidelines=None))
    check_view(view)
    assert view["callback_id"] == slack_ids.PREFERENCES_VIEW
    assert list(input_blocks(view)) == ["topics", "networks"]


def test_join_modal_with_huge_guidelines(renderer: SlackRenderer) -> None:
    paragraph = "Be kind & honest <always>. " * 60 + "\n\n"
    huge = "# Guidelines\n\n" + paragraph * 400 + "x" * 7_000  # ~650,000 characters
    view = renderer.join_modal(enrolment("en", guidelines=huge))
    check_view(view)
    assert len(view["blocks"]) <= 100


def test_guidelines_sections_split_within_limits() -> None:
    text = "\n\n".join(f"## Part {i}\n" + "word & more " * 150 for i in range(12))
    sections = guidelines_sections(text + "\n\n" + "y" * 7_000)
    assert all(0 < len(s) <= 3000 for s in sections)
    assert not any(re.search(r"&[a-z]{0,3}$", s) for s in sections)
    assert sections[0].startswith("*Part 0*\nword &amp; more")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("topics", "max_texts"), [(12, 3), (0, 1), (5, 20)])
def test_post_modal(renderer: SlackRenderer, locale: str, topics: int, max_texts: int) -> None:
    form = PostForm(locale, topic_choices(topics, selected=0), max_texts, LIMITS)
    view = renderer.post_modal(form)
    check_view(view)
    assert view["callback_id"] == slack_ids.POST_VIEW
    inputs = input_blocks(view)
    texts = [f"text_{i}" for i in range(1, min(max_texts, 10) + 1)]
    expected = [
        "url",
        "title",
        "summary",
        *(["topics"] if topics else []),
        *texts,
        "hashtags",
        "audience",
        "publish",
        "publish_at",
        "expires_at",
        "important",
    ]
    assert list(inputs) == expected
    actions = {block_id: b["element"]["action_id"] for block_id, b in inputs.items()}
    assert actions == {k: ("text" if k.startswith("text_") else k) for k in expected}
    assert inputs["url"]["element"]["type"] == "url_text_input"
    assert inputs["summary"]["element"]["multiline"] is True
    assert inputs["text_1"]["element"]["max_length"] == 1500
    assert inputs["text_1"]["optional"] is True
    assert inputs["title"]["element"]["max_length"] == 150
    if topics:
        assert inputs["topics"]["element"]["type"] == "multi_static_select"
        assert inputs["topics"]["optional"] is True
    audience = inputs["audience"]["element"]
    assert audience["type"] == "radio_buttons"
    assert [o["value"] for o in audience["options"]] == ["interested", "everyone"]
    assert audience["initial_option"]["value"] == "interested"
    publish = inputs["publish"]["element"]
    assert [o["value"] for o in publish["initial_options"]] == ["now"]
    for block_id in ("publish_at", "expires_at"):
        assert inputs[block_id]["optional"] is True
        assert inputs[block_id]["element"] == {"type": "datetimepicker", "action_id": block_id}
        assert inputs[block_id]["hint"]["text"]
    important = inputs["important"]
    assert important["optional"] is True
    assert important["element"]["type"] == "checkboxes"
    assert "initial_options" not in important["element"]  # off unless the curator ticks it
    (option,) = important["element"]["options"]
    assert option["value"] == slack_ids.IMPORTANT_YES
    assert len(option["text"]["text"]) <= 75
    assert len(option["description"]["text"]) <= 75


def test_post_modal_new_ids() -> None:
    assert (slack_ids.PUBLISH_AT_BLOCK, slack_ids.PUBLISH_AT_ACTION) == ("publish_at", "publish_at")
    assert (slack_ids.EXPIRES_BLOCK, slack_ids.EXPIRES_ACTION) == ("expires_at", "expires_at")
    assert (slack_ids.IMPORTANT_BLOCK, slack_ids.IMPORTANT_ACTION) == ("important", "important")
    assert slack_ids.IMPORTANT_YES == "yes"


def test_post_modal_copy(renderer: SlackRenderer) -> None:
    english = input_blocks(renderer.post_modal(PostForm("en", topic_choices(3), 3, LIMITS)))
    assert english["publish_at"]["label"]["text"] == "Schedule for later"
    assert "Leave empty to send it now" in english["publish_at"]["hint"]["text"]
    assert "time zone" in english["publish_at"]["hint"]["text"]
    assert english["expires_at"]["label"]["text"] == "Expires"
    assert "share buttons disappear" in english["expires_at"]["hint"]["text"]
    option = english["important"]["element"]["options"][0]
    assert option["text"]["text"] == "Important"
    assert "digests" in option["description"]["text"]
    assert "weekly limit" in option["description"]["text"]
    assert "Quiet hours still apply" in english["important"]["hint"]["text"]
    french = input_blocks(renderer.post_modal(PostForm("fr", topic_choices(3), 3, LIMITS)))
    assert "fuseau horaire" in french["publish_at"]["hint"]["text"]
    assert "récapitulatif" in french["important"]["element"]["options"][0]["description"]["text"]


def test_post_modal_stays_within_100_blocks(renderer: SlackRenderer) -> None:
    view = renderer.post_modal(PostForm("fr", topic_choices(12), 50, LIMITS))
    check_view(view)
    assert len(view["blocks"]) <= 100
    assert list(input_blocks(view))[-3:] == ["publish_at", "expires_at", "important"]


# --- web ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "title"),
    [("en", "This link has expired"), ("fr", "Ce lien a expiré"), ("de", "This link has expired")],
)
def test_link_not_found_page(renderer: SlackRenderer, locale: str, title: str) -> None:
    page = renderer.link_not_found_page(locale)
    assert page.startswith("<!doctype html>")
    assert f"<title>{title}</title>" in page
    assert f'<html lang="{"en" if locale == "de" else locale}">' in page
    assert not re.search(r"""(src|href)\s*=|@import|url\(""", page)  # no external assets
    assert f"n{APOSTROPHE}est plus actif" in page or "no longer active" in page


# --- guidelines ------------------------------------------------------------------------------

# The two states the domain sends: the request to accept a new version, and the guidelines of
# someone who accepted them already.
GUIDELINES_STATES: dict[str, dict[str, bool]] = {
    "ask": {"accepted": False, "can_accept": True, "changed": True},
    "accepted": {"accepted": True, "can_accept": False, "changed": False},
}
GUIDELINES_COPY = {
    "en": {
        "changed": f"We{APOSTROPHE}ve updated our social media guidelines",
        "intro": "Here are the guidelines of our ambassador programme",
        "accepted": f"You{APOSTROPHE}ve accepted this version of the guidelines",
        "truncated": "too long to show in full",
        "accept": "I accept the guidelines",
    },
    "fr": {
        "changed": "Nous avons mis à jour notre charte",
        "intro": "Voici la charte de notre programme",
        "accepted": "Vous avez accepté cette version de la charte",
        "truncated": "trop longue pour être affichée en entier",
        "accept": f"J{APOSTROPHE}accepte la charte",
    },
}


def long_guidelines(size: int = 50_000) -> str:
    """Guidelines of exactly ``size`` characters: headings, lists, bold, links, escapes."""
    part = (
        "## Part {i}\n\n"
        + "Be **kind** & honest <always>, see [the policy](https://intranet.example.com/policy). "
        * 12
        + "\n\n- Share what you **like**.\n- Never share secrets & plans.\n\n"
    )
    text = "# Our guidelines\n\n"
    index = 0
    while len(text) < size:
        text += part.format(i=index)
        index += 1
    return text[:size]


def guidelines_view(locale: str, state: str, markdown: str = GUIDELINES) -> GuidelinesView:
    return GuidelinesView(locale, markdown, "2026-03", **GUIDELINES_STATES[state])


def block_texts(message: SlackMessage) -> list[str]:
    """The text of every text object in the message (what Slack counts)."""
    return [
        node["text"]
        for node in walk(message.blocks)
        if isinstance(node, dict) and node.get("type") in ("plain_text", "mrkdwn")
    ]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("state", sorted(GUIDELINES_STATES))
@pytest.mark.parametrize("long", [False, True])
def test_guidelines_message(renderer: SlackRenderer, locale: str, state: str, long: bool) -> None:
    markdown = long_guidelines() if long else GUIDELINES
    assert len(markdown) == 50_000 or not long
    view = guidelines_view(locale, state, markdown)
    message = renderer.guidelines(view)
    check_message(message)
    assert len(message.blocks) <= 50
    assert message.blocks[0]["type"] == "header"
    sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
    assert all(0 < len(text) <= 3000 for text in sections)
    # Well under the ~12,000 characters of text chat.postMessage takes (msg_blocks_too_long).
    assert sum(len(text) for text in block_texts(message)) <= MAX_GUIDELINES_MESSAGE_TEXT + 1_000
    text = "\n".join(block_texts(message))
    copy = GUIDELINES_COPY[locale]
    assert (copy["changed"] in text) is view.changed
    assert (copy["intro"] in text) is not view.changed
    assert (copy["accepted"] in text) is view.accepted
    assert (copy["truncated"] in text) is long
    assert "Version `2026-03`" in text
    other = GUIDELINES_COPY["fr" if locale == "en" else "en"]
    assert not any(sentence in text for sentence in other.values())
    fallbacks = {
        ("en", True): "Our social media guidelines have changed: please take a look",
        ("en", False): "Our social media guidelines",
        ("fr", True): f"Notre charte des réseaux sociaux a changé{NBSP}: prenez le temps "
        f"d{APOSTROPHE}y jeter un œil",
        ("fr", False): "Notre charte des réseaux sociaux",
    }
    assert message.text == fallbacks[(locale, view.changed)]
    # The guidelines themselves, converted to mrkdwn and escaped.
    assert "**" not in text
    if long:
        assert "*Our guidelines*" in text
        assert "*Part 0*" in text and "*Part 40*" not in text
        assert "&amp; honest &lt;always&gt;" in text
        assert "<https://intranet.example.com/policy|the policy>" in text
        assert not re.search(r"<(?![^<>]*>)", text), "a link cut in half"
    else:
        assert "*Our social media guidelines*" in text
        assert "• Answer press questions yourself &lt;ask comms&gt;." in text
    buttons = [
        element
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    if view.can_accept:
        assert message.blocks[-1]["type"] == "actions"
        assert buttons == [
            {
                "type": "button",
                "style": "primary",
                "text": {"type": "plain_text", "text": copy["accept"], "emoji": True},
                "action_id": "accept_guidelines",
                "value": "2026-03",
            }
        ]
    else:
        assert buttons == []


@pytest.mark.parametrize("locale", LOCALES)
def test_guidelines_message_for_a_newcomer(renderer: SlackRenderer, locale: str) -> None:
    view = GuidelinesView(locale, GUIDELINES, "v1", accepted=False, can_accept=False)
    message = renderer.guidelines(view)
    check_message(message)
    text = "\n".join(block_texts(message))
    assert GUIDELINES_COPY[locale]["intro"] in text
    assert GUIDELINES_COPY[locale]["accepted"] not in text
    assert not any(b["type"] == "actions" for b in message.blocks)


def test_guidelines_message_escapes_and_survives_empty_guidelines(
    renderer: SlackRenderer,
) -> None:
    view = GuidelinesView("en", f"Hello {HOSTILE}", "<v2>", False, True)
    message = renderer.guidelines(view)
    check_message(message)
    assert_escaped(message.blocks)
    assert "Version `&lt;v2&gt;`" in block_texts(message)
    assert message.blocks[-1]["elements"][0]["value"] == "<v2>"
    empty = renderer.guidelines(GuidelinesView("fr", "", "v2", False, True, True))
    check_message(empty)
    assert [b["type"] for b in empty.blocks] == [
        "header",
        "section",
        "divider",
        "context",
        "actions",
    ]


def test_guidelines_message_with_huge_guidelines(renderer: SlackRenderer) -> None:
    huge = "# Guidelines\n\n" + ("Be kind & honest <always>. " * 60 + "\n\n") * 400 + "x" * 7_000
    for state in GUIDELINES_STATES:
        message = renderer.guidelines(guidelines_view("fr", state, huge))
        check_message(message)
        assert sum(map(len, block_texts(message))) <= MAX_GUIDELINES_MESSAGE_TEXT + 1_000


def test_ids_of_the_guidelines_message() -> None:
    assert slack_ids.ACCEPT_GUIDELINES_ACTION == "accept_guidelines"
    actions = {slack_ids.CONFIRM_ACTION, slack_ids.SKIP_ACTION, slack_ids.ACCEPT_GUIDELINES_ACTION}
    assert len(actions) == 3
    assert not slack_ids.SHARE_ACTION_PATTERN.match(slack_ids.ACCEPT_GUIDELINES_ACTION)


def test_fit_sections() -> None:
    sections = guidelines_sections(long_guidelines())
    assert fit_sections(sections, 10**6) == sections
    kept = fit_sections(sections, 4_000)
    assert sum(map(len, kept)) <= 4_000
    assert kept[0] == sections[0] and kept[-1].endswith(" …")
    assert not re.search(r"<(?![^<>]*>)|&[a-z]{0,4} …$", kept[-1])
    assert kept[-1].split("\n")[-1].count("*") % 2 == 0
    assert fit_sections(["a" * 2_900, "b" * 2_900], 3_000) == ["a" * 2_900]
    assert fit_sections([], 100) == []


def test_catalog_merges_area_files_and_refuses_a_key_twice(tmp_path: Path) -> None:
    (tmp_path / "en.yaml").write_text('a: "A"\n', encoding="utf-8")
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "area.yaml").write_text('b: "B"\n', encoding="utf-8")
    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "area.yaml").write_text('a: "Á"\n', encoding="utf-8")
    catalog = Catalog.load(tmp_path)
    assert catalog.keys("en") == {"a", "b"}
    assert catalog.source("fr", "a") == "Á"
    (tmp_path / "en" / "other.yaml").write_text('a: "again"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="defined twice: a"):
        Catalog.load(tmp_path)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_line_break_is_eaten_after_a_block_tag(templates: Templates, locale: str) -> None:
    # trim_blocks drops the newline right after "%}": a sentence that means one there must
    # write "+%}" (the review card once ran its title and summary together).
    for key in templates.catalog.keys(locale):
        source = templates.catalog.source(locale, key)
        assert not re.search(r"[^+]%}\n", source), f"{locale} {key}: use +%}} before a newline"
