"""Teams rendering: every card, in every locale, checked against the subset of the Adaptive
Card schema the bot may use (a tree walk with a per-type list of properties and values), the
Submit data the adapter reads, the size limit, and the Markdown that reaches TextBlocks."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.model import AmbassadorId, DeliveryId, LeaderboardEntry, Network
from bot.share import share_intent_url
from bot.views import (
    ContentListItem,
    ContentListView,
    DataLinkView,
    DigestView,
    EnrolmentForm,
    ForgetMeView,
    GuidelinesView,
    HelpView,
    LeaderboardView,
    Notice,
    PostForm,
    ProfileView,
    RecapView,
    ReminderView,
    ReviewCardView,
    ScheduledJob,
    ShareButton,
    StatusView,
    SuggestionView,
)
from messages import teams_ids as ids
from messages.render import Markup, Templates, teams_breaks, teams_escape, to_teams
from messages.teams import (
    GUIDELINES_BUDGETS,
    MAX_CARD_BYTES,
    MAX_GUIDELINES_BYTES,
    TeamsMessage,
    TeamsRenderer,
    card_bytes,
    guidelines_paragraphs,
)
from tests.messages.roles_views import audit_view, curators_view
from tests.messages.stats_samples import (
    EXPORT_URL,
    invitation_view,
    prospects_view,
    stats_link_view,
    stats_view,
)
from tests.messages.test_prefs_rendering import settings_form
from tests.messages.test_slack_rendering import (
    COUNTS,
    GUIDELINES,
    GUIDELINES_COPY,
    GUIDELINES_STATES,
    JOBS,
    LIMITS,
    NOTICES,
    TOPICS_12,
    enrolment,
    entries,
    guidelines_view,
    long_guidelines,
    suggestion,
    topic_choices,
)
from tests.messages.weekly_samples import weekly_view

LOCALES = ("en", "fr")
NBSP = "\u00a0"
APOSTROPHE = "\u2019"
EVIL = "https://evil.example/phish"
# What a page title or a typed name may hold: a Markdown link, emphasis, a mention, a backslash.
HOSTILE = f"[Claim your bonus]({EVIL}) *now* _today_ <at>Boss</at> \\o/"
REDIRECT = "https://advocacy.example.com/s/"
EXPIRED_LINES = {
    "en": "⌛ This content has expired. Thanks for your interest!",
    "fr": f"⌛ Ce contenu a expiré. Merci de votre intérêt{NBSP}!",
}

# --- the schema subset ---------------------------------------------------------------------

SPACING = {"None", "Small", "Default", "Medium", "Large", "ExtraLarge", "Padding"}
COMMON = {"spacing", "separator"}
ELEMENTS: dict[str, tuple[set[str], set[str]]] = {
    # type: (required properties, optional properties) besides "type"
    "TextBlock": ({"text"}, {"wrap", "size", "weight", "isSubtle"} | COMMON),
    "Image": ({"url"}, {"altText", "size"} | COMMON),
    "Container": ({"items"}, {"style"} | COMMON),
    "ColumnSet": ({"columns"}, COMMON),
    "Column": ({"items"}, {"width"} | COMMON),
    "ActionSet": ({"actions"}, COMMON),
    "Input.Text": ({"id"}, {"style", "placeholder", "maxLength", "isMultiline", "value"} | COMMON),
    "Input.ChoiceSet": (
        {"id", "choices"},
        {"isMultiSelect", "style", "placeholder", "value", "wrap"} | COMMON,
    ),
    "Input.Toggle": ({"id", "title"}, {"value", "valueOn", "valueOff", "wrap"} | COMMON),
    "Input.Date": ({"id"}, {"value"} | COMMON),
    "Input.Time": ({"id"}, {"value"} | COMMON),
}
ACTIONS: dict[str, set[str]] = {
    "Action.OpenUrl": {"title", "url"},
    "Action.Submit": {"title", "data"},
    "Action.ShowCard": {"title", "card"},  # "Copy / edit text": an inline form
}
VALUES: dict[tuple[str, str], set[object]] = {
    ("TextBlock", "size"): {"Small", "Default", "Medium", "Large", "ExtraLarge"},
    ("TextBlock", "weight"): {"Lighter", "Default", "Bolder"},
    ("Image", "size"): {"Auto", "Stretch", "Small", "Medium", "Large"},
    ("Container", "style"): {"default", "emphasis"},
    ("Column", "width"): {"auto", "stretch"},
    ("Input.Text", "style"): {"text", "tel", "url", "email"},
    ("Input.ChoiceSet", "style"): {"compact", "expanded"},
}
VERBS = {
    ids.CONFIRM,
    ids.SKIP,
    ids.JOIN,
    ids.OPEN_JOIN,
    ids.PREFERENCES,
    ids.OPEN_PREFERENCES,
    ids.POST,
    ids.OPEN_POST,
    ids.ACCEPT_GUIDELINES,
    ids.EDIT_TEXT,
    ids.SETTINGS,
    ids.OPEN_SETTINGS,
    ids.PROSPECT_INVITE,
    ids.REVIEW_APPROVE,
    ids.REVIEW_EDIT,
    ids.REVIEW_REJECT,
    ids.FORGET_ME_CONFIRM,
    ids.FORGET_ME_CANCEL,
    ids.RECAP_OFF,
}


class Tree:
    """What a walk over a card found."""

    def __init__(self) -> None:
        self.types: list[str] = []
        self.texts: list[str] = []
        self.actions: list[dict[str, Any]] = []
        self.inputs: list[dict[str, Any]] = []


def walk_card(card: dict[str, Any]) -> Tree:
    """Check ``card`` against the schema subset; collect its texts, actions and inputs."""
    assert set(card) == {"$schema", "type", "version", "body"}
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.5")
    assert card["body"], "an empty card"
    tree = Tree()
    for element in card["body"]:
        _element(element, tree)
    input_ids = [i["id"] for i in tree.inputs]
    assert len(input_ids) == len(set(input_ids)), "duplicate input ids"
    assert not set(input_ids) & {ids.ACTION_KEY, ids.DELIVERY_ID, ids.GUIDELINES_VERSION}
    return tree


def _element(node: dict[str, Any], tree: Tree) -> None:
    kind = node["type"]
    assert kind in ELEMENTS, f"element {kind} is not one every Teams client renders"
    required, optional = ELEMENTS[kind]
    keys = set(node) - {"type"}
    assert required <= keys, (kind, required - keys)
    assert keys <= required | optional, (kind, keys - required - optional)
    for key, value in node.items():
        if (kind, key) in VALUES:
            assert value in VALUES[(kind, key)], (kind, key, value)
    if "spacing" in node:
        assert node["spacing"] in SPACING
    for flag in ("wrap", "isSubtle", "separator", "isMultiline", "isMultiSelect"):
        if flag in node:
            assert isinstance(node[flag], bool)
    tree.types.append(kind)
    if kind == "TextBlock":
        assert isinstance(node["text"], str) and node["text"].strip(), "empty TextBlock"
        assert node.get("wrap") is True
        tree.texts.append(node["text"])
    elif kind == "Image":
        assert node["url"].startswith(("https://", "http://"))
        assert node.get("altText")
    elif kind in ("Container", "Column"):
        assert node["items"]
        for item in node["items"]:
            _element(item, tree)
    elif kind == "ColumnSet":
        assert node["columns"]
        for column in node["columns"]:
            assert column["type"] == "Column"
            _element(column, tree)
    elif kind == "ActionSet":
        assert node["actions"]
        assert len(node["actions"]) <= 3, "more buttons than a phone shows in a row"
        for action in node["actions"]:
            _action(action, tree)
    else:
        tree.inputs.append(node)
        if kind == "Input.ChoiceSet":
            assert node["choices"]
            for choice in node["choices"]:
                assert set(choice) == {"title", "value"}
                assert isinstance(choice["value"], str) and choice["value"]
                assert ids.CHOICE_SEPARATOR not in choice["value"]
                assert choice["title"].strip()
        if kind == "Input.Toggle":
            assert {node["valueOn"], node["valueOff"]} <= {
                ids.ACCEPT_YES,
                ids.PUBLISH_NOW,
                ids.IMPORTANT_YES,
                ids.TOGGLE_OFF,
            }
            assert node["value"] in (node["valueOn"], node["valueOff"])


def _action(action: dict[str, Any], tree: Tree) -> None:
    kind = action["type"]
    assert kind in ACTIONS, f"action {kind} is not allowed"
    assert set(action) - {"type"} == ACTIONS[kind], "no style, no isEnabled, nothing else"
    assert action["title"].strip()
    if kind == "Action.OpenUrl":
        assert action["url"].startswith("https://")
    elif kind == "Action.ShowCard":
        card = action["card"]
        assert set(card) == {"type", "body", "actions"} and card["type"] == "AdaptiveCard"
        for element in card["body"]:
            _element(element, tree)
        for inner in card["actions"]:
            assert inner["type"] == "Action.Submit"
            _action(inner, tree)
    else:
        data = action["data"]
        assert data[ids.ACTION_KEY] in VERBS
        if data[ids.ACTION_KEY] in (ids.CONFIRM, ids.SKIP, ids.EDIT_TEXT):
            assert set(data) == {ids.ACTION_KEY, ids.DELIVERY_ID}
            assert isinstance(data[ids.DELIVERY_ID], int)
        elif data[ids.ACTION_KEY] in (ids.JOIN, ids.ACCEPT_GUIDELINES):
            assert set(data) == {ids.ACTION_KEY, ids.GUIDELINES_VERSION}
            assert isinstance(data[ids.GUIDELINES_VERSION], str)
        elif ids.SUGGESTION_ID in data:  # the review card, and the post card opened by Edit
            assert set(data) == {ids.ACTION_KEY, ids.SUGGESTION_ID}
            assert isinstance(data[ids.SUGGESTION_ID], int)
        elif data[ids.ACTION_KEY] == ids.PROSPECT_INVITE:  # the prospects card
            assert set(data) == {ids.ACTION_KEY, ids.PROSPECT}
            assert isinstance(data[ids.PROSPECT], str)
        elif ids.BOARD_FIELDS in data:  # the settings card with team and hiding
            assert data == {ids.ACTION_KEY: ids.SETTINGS, ids.BOARD_FIELDS: "1"}
        else:
            assert set(data) == {ids.ACTION_KEY}
    tree.actions.append(action)


def unescaped(text: str) -> str:
    """``text`` with its Markdown escapes and bold markers taken out."""
    return re.sub(r"\\(.)", "", text).replace("**", "")


def links(text: str) -> list[tuple[str, str]]:
    """The Markdown links of a TextBlock: (label, url)."""
    return re.findall(r"(?<!\\)\[((?:\\.|[^\]\\])*)\]\(([^)\s]*)\)", text)


def check_message(message: TeamsMessage, *, allowed_links: Collection[str] = ()) -> Tree:
    """The card is valid and small enough, its text plain, its TextBlocks free of Slack
    markup and of links other than ``allowed_links``."""
    assert isinstance(message, TeamsMessage)
    assert message.card is not None
    tree = walk_card(message.card)
    raw = json.dumps(message.card)
    assert json.loads(raw) == message.card
    assert card_bytes(message.card) == len(raw.encode()) <= MAX_CARD_BYTES
    # Microsoft's current advice for bot messages: ≤ 80 KB, counted in UTF-16.
    assert len(json.dumps(message.card, ensure_ascii=False).encode("utf-16-le")) < 80_000
    assert message.text.strip()
    assert "**" not in message.text  # plain text: no Markdown of ours
    for text in tree.texts:
        assert "<http" not in text and "<!" not in text and "<@" not in text
        assert not re.search(r"&(lt|gt|amp);", text), text
        assert "`" not in text, text  # code spans become bold
        assert "*" not in unescaped(text), f"Slack *bold* left in {text!r}"
        assert not re.search(r"<[^>\n]*\|", text), f"Slack link left in {text!r}"
        assert "\n" not in text.replace("\n\n", ""), "a single newline shows no break"
        for _, url in links(text):
            assert url in allowed_links, f"unexpected link to {url} in {text!r}"
    return tree


def submits(tree: Tree, verb: str | None = None) -> list[dict[str, Any]]:
    return [
        a["data"]
        for a in tree.actions
        if a["type"] == "Action.Submit" and (verb is None or a["data"][ids.ACTION_KEY] == verb)
    ]


def open_urls(tree: Tree) -> list[tuple[str, str]]:
    return [(a["title"], a["url"]) for a in tree.actions if a["type"] == "Action.OpenUrl"]


def all_text(tree: Tree) -> str:
    return "\n".join(tree.texts)


# --- fixtures and builders -------------------------------------------------------------------


@pytest.fixture(scope="module")
def renderer(templates: Templates) -> TeamsRenderer:
    return TeamsRenderer(templates)


def redirected(view: SuggestionView) -> SuggestionView:
    """``view`` with short tracked-redirect URLs on its buttons (what Teams is given)."""
    buttons = tuple(
        ShareButton(b.network, f"{REDIRECT}{view.delivery_id}-{b.network.value}", b.clicked)
        for b in view.buttons
    )
    return SuggestionView(**{**view.__dict__, "buttons": buttons})


def tsuggestion(locale: str = "en", **changes: Any) -> SuggestionView:
    return redirected(suggestion(locale, **changes))


def digest_items(locale: str, count: int, **changes: Any) -> tuple[SuggestionView, ...]:
    states: tuple[dict[str, Any], ...] = (
        {},
        {"clicked": (Network.X, Network.LINKEDIN), "points_earned": 10, "last_award": 5},
        {"confirmed": True, "points_earned": 20, "last_award": 10},
        {"skipped": True, "points_earned": 5},
        {"expired": True},
        {"expired": True, "confirmed": True, "points_earned": 15, "last_award": 0},
        {"networks": ()},
        {"networks": (Network.X, Network.BLUESKY), "clicked": (Network.BLUESKY,)},
    )
    title = changes.pop("title", "news")
    return tuple(
        tsuggestion(
            locale,
            delivery_id=DeliveryId(100 + index),
            title=f"Post {index}: {title}",
            **{**states[index % len(states)], **changes},
        )
        for index in range(count)
    )


def is_open(view: SuggestionView) -> bool:
    return not (view.confirmed or view.skipped or view.expired)


# One representative rendering per public method, and a sentence each locale must show.
CASES: dict[str, tuple[Callable[[TeamsRenderer, str], TeamsMessage], dict[str, str]]] = {
    "suggestion": (
        lambda r, loc: r.suggestion(tsuggestion(loc, points_earned=5, clicked=(Network.X,))),
        {"en": "for this post so far", "fr": "pour ce contenu"},
    ),
    "digest": (
        lambda r, loc: r.digest(DigestView(loc, "Marie", digest_items(loc, 8), 2)),
        {"en": "Your digest", "fr": "Votre récapitulatif"},
    ),
    "reminder": (
        lambda r, loc: r.reminder(ReminderView(loc, "Marie", "Launch", date(2026, 12, 1))),
        {"en": "December 1", "fr": "1er décembre"},
    ),
    "status": (
        lambda r, loc: r.status(StatusView(loc, COUNTS, {"slack": 4.0, "teams": 0.5}, 37, JOBS)),
        {"en": "Gave up after retries", "fr": "Abandonnés après plusieurs essais"},
    ),
    "leaderboard": (
        lambda r, loc: r.leaderboard(
            LeaderboardView(loc, "2026-W47", date(2026, 11, 16), entries(12), None, 3)
        ),
        {"en": "week of November 16", "fr": "semaine du 16 novembre"},
    ),
    "weekly_digest": (
        lambda r, loc: r.weekly_digest(weekly_view(loc, new=0)),
        {"en": "Most shared this week", "fr": "Les plus partagés cette semaine"},
    ),
    "notice": (
        lambda r, loc: r.notice(Notice("welcome", NOTICES["welcome"]), loc),
        {"en": "Welcome aboard", "fr": "Bienvenue à bord"},
    ),
    "help": (
        lambda r, loc: r.help(HelpView(loc, "", True, True, ("ai", "open_source"))),
        {"en": "For curators", "fr": "Pour les curateurs"},
    ),
    "profile": (
        lambda r, loc: r.profile(
            ProfileView(loc, "Marie", True, ("AI",), (Network.X,), 12, 340, 25, 3)
        ),
        {"en": "All time", "fr": "Depuis le début"},
    ),
    "recap": (
        lambda r, loc: r.recap(
            RecapView(loc, "2026-W47", date(2026, 11, 16), 42, 3, False, 2, 17, (), 4, 1)
        ),
        {"en": "Your week of November 16", "fr": "Votre semaine du 16 novembre"},
    ),
    "content_list": (
        lambda r, loc: r.content_list(
            ContentListView(
                loc, (ContentListItem(1, "Launch", "https://example.com/a", "draft", ("ai",)),)
            )
        ),
        {"en": "Draft", "fr": "Brouillon"},
    ),
    "welcome": (
        lambda r, loc: r.welcome(loc),
        {"en": "Welcome to our ambassador programme", "fr": "Bienvenue dans notre programme"},
    ),
    "join_card": (
        lambda r, loc: r.join_card(enrolment(loc, guidelines=GUIDELINES)),
        {"en": "Welcome!", "fr": f"Bienvenue{NBSP}!"},
    ),
    "preferences_card": (
        lambda r, loc: r.preferences_card(enrolment(loc, guidelines=None)),
        {"en": "Choose the topics", "fr": "Choisissez les sujets"},
    ),
    "guidelines": (
        lambda r, loc: r.guidelines(guidelines_view(loc, "ask")),
        {"en": "updated our social media guidelines", "fr": "Nous avons mis à jour"},
    ),
    "settings_card": (
        lambda r, loc: r.settings_card(settings_form(loc)),
        {"en": "Quiet hours start", "fr": "Début des heures calmes"},
    ),
    "post_card": (
        lambda r, loc: r.post_card(PostForm(loc, topic_choices(12), 3, LIMITS)),
        {"en": "Schedule for later", "fr": "Programmer pour plus tard"},
    ),
    "curators": (
        lambda r, loc: r.curators(curators_view(loc, "teams")),
        {"en": "Curators and admins", "fr": "Curateurs et admins"},
    ),
    "audit": (
        lambda r, loc: r.audit(audit_view(loc)),
        {"en": "Audit log", "fr": f"Journal d{APOSTROPHE}audit"},
    ),
    "review": (
        lambda r, loc: r.review(
            ReviewCardView(
                loc, 7, "https://example.com/a", "Launch", "Short", "Why", "employee", "pending"
            )
        ),
        {"en": "New suggestion to review", "fr": "Nouvelle suggestion à valider"},
    ),
    "data_link": (
        lambda r, loc: r.data_link(DataLinkView(loc, "https://bot.example.com/my-data/t.1.m", 15)),
        {"en": "Download my data", "fr": "Télécharger mes données"},
    ),
    "forget_me": (
        lambda r, loc: r.forget_me(ForgetMeView(loc, is_ambassador=True)),
        {"en": "Erase my data", "fr": "Effacer mes données"},
    ),
    "stats": (
        lambda r, loc: r.stats(stats_view(loc, command="")),
        {"en": "Earned media value (estimate)", "fr": "Valeur média estimée"},
    ),
    "prospects": (
        lambda r, loc: r.prospects(prospects_view(loc)),
        {"en": "People to invite", "fr": "Personnes à inviter"},
    ),
    "invitation": (
        lambda r, loc: r.invitation(invitation_view(loc)),
        {"en": "Join the Acme Voices ambassadors?", "fr": "Rejoindre les ambassadeurs Acme"},
    ),
    "stats_link": (
        lambda r, loc: r.stats_link(stats_link_view(loc)),
        {"en": "Download the CSV", "fr": "Télécharger le CSV"},
    ),
}
LINKS_OK = {
    EXPORT_URL,
    "https://bot.example.com/my-data/t.1.m",
    "https://example.com/blog/paris-office",
    "https://example.com/a",
    "https://intranet.example.com/policy",
}


# --- every method, every locale ---------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("method", sorted(CASES))
def test_every_card_renders(renderer: TeamsRenderer, method: str, locale: str) -> None:
    build, expected = CASES[method]
    message = build(renderer, locale)
    tree = check_message(message, allowed_links=LINKS_OK)
    shown = unescaped(all_text(tree) + "\n" + json.dumps(message.card, ensure_ascii=False))
    assert expected[locale] in shown, (method, locale)
    other = "fr" if locale == "en" else "en"
    assert expected[other] not in shown


def test_every_renderer_method_is_covered() -> None:
    public = {name for name in vars(TeamsRenderer) if not name.startswith("_")}
    assert public - {"notice_text"} == set(CASES)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("key", sorted(NOTICES))
def test_every_notice_renders(renderer: TeamsRenderer, locale: str, key: str) -> None:
    message = renderer.notice(Notice(key, NOTICES[key]), locale)
    tree = check_message(message)
    assert tree.types == ["TextBlock"]
    assert message.text == renderer.notice_text(Notice(key, NOTICES[key]), locale, limit=None)
    assert len(renderer.notice_text(Notice(key, NOTICES[key]), locale)) <= 150


def test_notice_copy(renderer: TeamsRenderer) -> None:
    message = renderer.notice(Notice("unknown_command", NOTICES["unknown_command"]), "en")
    assert message.card is not None
    assert message.card["body"][0]["text"] == (
        f"I don{APOSTROPHE}t know **leaderbord**. Did you mean **leaderboard** or **leave**? "
        "Try **help** to see what I can do."
    )
    assert message.text == (
        f"I don{APOSTROPHE}t know leaderbord. Did you mean leaderboard or leave? "
        "Try help to see what I can do."
    )
    french = renderer.notice(Notice("content_saved", NOTICES["content_saved"]), "fr")
    assert french.card is not None
    text = french.card["body"][0]["text"]
    assert f"Brouillon enregistré{NBSP}: **Our launch** (n°{NBSP}12)" in text
    assert "**/advocacy publish 12**" in text


# --- suggestion ---------------------------------------------------------------------------------


def test_suggestion_snapshot(renderer: TeamsRenderer) -> None:
    view = tsuggestion(
        "en",
        networks=(Network.LINKEDIN, Network.X, Network.WHATSAPP),
        clicked=(Network.X,),
        points_earned=5,
        last_award=5,
    )
    message = renderer.suggestion(view)
    tree = check_message(message, allowed_links=LINKS_OK)
    assert message.text == "New to share: We opened a new office in Paris"
    assert message.card is not None
    body = message.card["body"]
    assert [e["type"] for e in body] == [
        "TextBlock",  # title
        "TextBlock",  # summary and link
        "Image",
        "TextBlock",  # "Marie, here's a post ready to go"
        "Container",  # the text to copy
        "TextBlock",  # link-only hint
        "ActionSet",  # share buttons
        "TextBlock",  # +5 points
        "ActionSet",  # I shared it / Skip
    ]
    assert body[0]["text"] == "We opened a new office in Paris"
    assert (body[0]["size"], body[0]["weight"]) == ("Medium", "Bolder")
    assert body[1]["text"] == (
        "Forty people, a rooftop and a lot of coffee: meet the team.\n\n"
        "[Read it first →](https://example.com/blog/paris-office)"
    )
    assert body[2]["url"] == "https://example.com/images/paris.jpg"
    assert body[4]["style"] == "emphasis"
    assert body[4]["items"][0]["text"] == (
        "We just opened our Paris office 🎉 Come and say hi! #hiring"
    )
    assert body[5]["text"].startswith("ℹ️ LinkedIn takes only the link")  # noqa: RUF001
    assert open_urls(tree) == [
        ("LinkedIn", f"{REDIRECT}42-linkedin"),
        ("X ✓", f"{REDIRECT}42-x"),
        ("WhatsApp", f"{REDIRECT}42-whatsapp"),
    ]
    assert body[7]["text"] == (
        "**+5 points!** 5 points for this post so far. Once your post is live, tap **I shared it**."
    )
    confirm, skip, edit = body[8]["actions"]
    # "Copy / edit text": the person's text, editable, and "Use this text".
    assert (edit["type"], edit["title"]) == ("Action.ShowCard", "Copy / edit text")
    (field,) = [e for e in edit["card"]["body"] if e["type"] == "Input.Text"]
    assert field["id"] == ids.edit_text_input_id(42)
    assert field["value"] == view.text
    assert edit["card"]["actions"] == [
        {
            "type": "Action.Submit",
            "title": "Use this text",
            "data": {"advocacy": "edit_text", "delivery_id": 42},
        }
    ]
    assert confirm == {
        "type": "Action.Submit",
        "title": "I shared it",
        "data": {"advocacy": "confirm_share", "delivery_id": 42},
    }
    assert skip == {
        "type": "Action.Submit",
        "title": "Skip",
        "data": {"advocacy": "skip", "delivery_id": 42},
    }


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
        {"expired": True},
        {"expired": True, "confirmed": True, "points_earned": 20, "last_award": 0},
        {"image_url": None, "summary": "", "text": ""},
        {"image_url": "ftp://example.com/x.png"},
        {"networks": (Network.LINKEDIN,)},
        {"networks": ()},
        {"first_name": "", "title": "   "},
    ],
    ids=lambda c: ",".join(c) or "fresh",
)
def test_suggestion_states(renderer: TeamsRenderer, locale: str, changes: dict[str, Any]) -> None:
    view = tsuggestion(locale, **changes)
    tree = check_message(renderer.suggestion(view), allowed_links=LINKS_OK)
    text = all_text(tree)
    answers = submits(tree)
    if is_open(view):
        edit = [{ids.ACTION_KEY: ids.EDIT_TEXT, ids.DELIVERY_ID: 42}] if view.text.strip() else []
        assert answers == [
            {ids.ACTION_KEY: ids.CONFIRM, ids.DELIVERY_ID: 42},
            {ids.ACTION_KEY: ids.SKIP, ids.DELIVERY_ID: 42},
            *edit,
        ]
    else:
        assert answers == []
    if view.expired:
        assert tree.actions == []
        assert tree.texts[-1] == EXPIRED_LINES[locale]
    else:
        assert [title.removesuffix(" ✓") for title, _ in open_urls(tree)] == [
            renderer._templates.plain(f"network.{b.network.value}", locale) for b in view.buttons
        ]
        assert [url for _, url in open_urls(tree)] == [b.intent_url for b in view.buttons]
        assert [t.endswith(" ✓") for t, _ in open_urls(tree)] == [b.clicked for b in view.buttons]
    if view.points_earned:
        assert f"{view.points_earned} point" in text
    if view.last_award and not view.expired:
        assert f"**+{view.last_award} point" in text
    assert ("Image" in tree.types) is (changes.get("image_url", "https://") or "").startswith(
        "https://"
    )


def test_suggestion_state_copy(renderer: TeamsRenderer) -> None:
    confirmed = check_message(
        renderer.suggestion(tsuggestion(confirmed=True, points_earned=25, last_award=10)),
        allowed_links=LINKS_OK,
    )
    assert confirmed.texts[-1] == "✅ Shared — thank you! **+10 points** · 25 points for this post"
    assert len(open_urls(confirmed)) == len(Network)  # the share buttons stay
    skipped = check_message(renderer.suggestion(tsuggestion(skipped=True)), allowed_links=LINKS_OK)
    assert skipped.texts[-1] == "Skipped — no worries."
    expired = check_message(
        renderer.suggestion(tsuggestion("fr", skipped=True, points_earned=1, expired=True)),
        allowed_links=LINKS_OK,
    )
    assert expired.texts[-2:] == [
        "Passé, pas de souci. Vous gardez vos 1 point pour ce contenu.",
        EXPIRED_LINES["fr"],
    ]
    assert not any("que le lien" in t for t in expired.texts)
    french = check_message(
        renderer.suggestion(tsuggestion("fr", confirmed=True, points_earned=1, last_award=1)),
        allowed_links=LINKS_OK,
    )
    assert french.texts[-1] == f"✅ Partagé, merci{NBSP}! **+1 point**"


def test_suggestion_share_buttons_go_three_per_row(renderer: TeamsRenderer) -> None:
    message = renderer.suggestion(tsuggestion())
    assert message.card is not None
    rows = [
        [a["title"] for a in e["actions"]]
        for e in message.card["body"]
        if e["type"] == "ActionSet" and e["actions"][0]["type"] == "Action.OpenUrl"
    ]
    assert rows == [
        ["LinkedIn", "X", "Facebook"],
        ["Bluesky", "Threads", "XING"],
        ["WhatsApp", "Mastodon"],
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_suggestion_escapes_what_people_and_pages_wrote(
    renderer: TeamsRenderer, locale: str
) -> None:
    view = tsuggestion(
        locale, title=HOSTILE, summary=HOSTILE, text=f"{HOSTILE}\n- a list?", first_name=HOSTILE
    )
    message = renderer.suggestion(view)
    tree = check_message(message, allowed_links=LINKS_OK)  # the only link: the content's
    escaped = "\\[Claim your bonus\\](https://evil.example/phish) \\*now\\* \\_today\\_"
    assert tree.texts[0] == f"{escaped} <at>Boss</at> \\\\o/"
    assert tree.texts[1].startswith(f"{escaped} <at>Boss</at> \\\\o/\n\n[")
    quoted = next(e for e in message.card["body"] if e["type"] == "Container")  # type: ignore[index]
    assert [i["text"] for i in quoted["items"]] == [
        f"{escaped} <at>Boss</at> \\\\o/\n\n\\- a list?"
    ]
    assert HOSTILE in message.text  # plain text keeps what was written
    assert "msteams" not in json.dumps(message.card)  # no mention entity: <at> stays text


@pytest.mark.parametrize("locale", LOCALES)
def test_suggestion_at_the_limits(renderer: TeamsRenderer, locale: str) -> None:
    """Fields at their maximum, with the full share-intent URLs (up to 3,000 characters)."""
    text = ("A & B *are* great! [#hiring] " * 56)[:1500]
    view = suggestion(
        locale,
        title="R&D <news> " * 14,
        summary="Tom & Jerry <3 " * 67,
        text=text,
        content_url="https://example.com/" + "a" * 1_970,
        image_url="https://example.com/" + "i" * 2_980,
        first_name="Marie-Françoise-Élisabeth " * 4,
        clicked=tuple(Network),
        points_earned=10_000,
        last_award=1_000,
    )
    message = renderer.suggestion(view)
    check_message(message, allowed_links={view.content_url})
    assert card_bytes(message.card) <= MAX_CARD_BYTES
    # Longer than any URL a button gets: the text gives way, the buttons stay.
    huge = SuggestionView(
        **{
            **view.__dict__,
            "text": "*" * 3000,
            # Eight networks at Slack's longest button URL (Teams buttons normally carry the
            # short /s/ redirect instead; nine such URLs would not fit a card at all).
            "buttons": tuple(
                ShareButton(n, "https://x.example/" + "u" * 2_980)
                for n in Network
                if n is not Network.MASTODON
            ),
        }
    )
    tree = check_message(renderer.suggestion(huge), allowed_links={view.content_url})
    assert len(open_urls(tree)) == len(Network) - 1
    assert "Container" not in tree.types  # the text was left out
    assert len(submits(tree)) == 2


# --- digest ------------------------------------------------------------------------------------


def item_parts(message: TeamsMessage) -> list[dict[str, Any]]:
    assert message.card is not None
    return [e for e in message.card["body"] if e["type"] == "Container" and e.get("separator")]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("count", [1, 3, 8])
@pytest.mark.parametrize("remaining", [0, 3])
def test_digest_renders(renderer: TeamsRenderer, locale: str, count: int, remaining: int) -> None:
    items = digest_items(locale, count)
    message = renderer.digest(DigestView(locale, "Marie", items, remaining))
    tree = check_message(message, allowed_links=LINKS_OK)
    parts = item_parts(message)
    assert len(parts) == count
    assert open_urls(tree) == [u for i in items for u in open_urls(walk_single(renderer, i))]
    for item, part in zip(items, parts, strict=True):
        part_tree = Tree()
        _element(part, part_tree)
        single = walk_single(renderer, item)
        # The same buttons and Submit data as the suggestion card of the item.
        assert part_tree.actions == single.actions
        assert submits(part_tree) == (
            [
                {ids.ACTION_KEY: ids.CONFIRM, ids.DELIVERY_ID: item.delivery_id},
                {ids.ACTION_KEY: ids.SKIP, ids.DELIVERY_ID: item.delivery_id},
            ]
            if is_open(item)
            else []
        )
        assert part_tree.texts[0].startswith("**[Post ")
    remaining_line = {"en": "more in your next digest", "fr": "dans votre prochain"}[locale]
    assert (remaining_line in tree.texts[-1]) is bool(remaining)


def walk_single(renderer: TeamsRenderer, view: SuggestionView) -> Tree:
    """The suggestion card of ``view``, without its "Copy / edit text" (digests leave it out)."""
    message = renderer.suggestion(view)
    assert message.card is not None
    tree = walk_card(message.card)
    tree.actions = [
        a
        for a in tree.actions
        if a["type"] != "Action.ShowCard"
        and not (a["type"] == "Action.Submit" and a["data"][ids.ACTION_KEY] == ids.EDIT_TEXT)
    ]
    return tree


def test_digest_copy(renderer: TeamsRenderer) -> None:
    message = renderer.digest(DigestView("en", "Marie", digest_items("en", 6), 1))
    tree = check_message(message, allowed_links=LINKS_OK)
    assert message.text == "Your digest: 6 posts to share"
    assert tree.texts[0] == "📬 Your digest: 6 posts to share"
    assert tree.texts[1].startswith(f"Hi Marie! Here{APOSTROPHE}s the latest")
    assert tree.texts[2].startswith("ℹ️ LinkedIn, Facebook and XING take only the link")  # noqa: RUF001
    parts = item_parts(message)
    first = parts[0]["items"]
    assert first[0]["text"] == (
        "**[Post 0: news](https://example.com/blog/paris-office)**\n\n"
        "Forty people, a rooftop and a lot of coffee: meet the team."
    )
    assert first[1]["items"][0]["text"] == (
        "We just opened our Paris office 🎉 Come and say hi! #hiring"
    )
    states = [[i["text"] for i in p["items"][1:] if i["type"] == "TextBlock"] for p in parts]
    assert states[1] == [
        "**+5 points!** 10 points for this post so far. Once your post is live, tap "
        "**I shared it**."
    ]
    assert states[2] == ["✅ Shared — thank you! **+10 points** · 20 points for this post"]
    assert states[3] == ["Skipped — no worries. You still earned 5 points for this post."]
    assert states[4] == [EXPIRED_LINES["en"]]
    assert states[5] == [
        f"✅ Shared — thank you! · 15 points for this post\n\n{EXPIRED_LINES['en']}"
    ]
    assert tree.texts[-1] == "1 more in your next digest"


@pytest.mark.parametrize("locale", LOCALES)
def test_digest_of_eight_long_items_stays_well_under_the_limit(
    renderer: TeamsRenderer, locale: str
) -> None:
    """The largest realistic digest: eight open items, every network, texts at their longest,
    with the short redirect URLs Teams buttons get."""
    items = digest_items(
        locale,
        8,
        title="R&D <news> " * 14,
        summary="Tom & Jerry <3 " * 67,
        text=("A & B *are* great! #hiring " * 56)[:1500],
        content_url="https://example.com/blog/2026/11/our-new-office-in-paris?utm_source=teams",
        first_name="Marie-Françoise-Élisabeth " * 4,
        networks=tuple(Network),
        clicked=tuple(Network)[:3],
        points_earned=10_000,
        last_award=1_000,
        confirmed=False,
        skipped=False,
        expired=False,
    )
    message = renderer.digest(DigestView(locale, "Marie-Françoise-Élisabeth", items, 99))
    tree = check_message(message, allowed_links={items[0].content_url})
    assert card_bytes(message.card) < 25_000
    assert len(open_urls(tree)) == 8 * len(Network)
    assert len(submits(tree)) == 16
    for part in item_parts(message):
        quoted = part["items"][1]["items"][0]["text"]
        assert quoted.endswith("…") and len(quoted) <= 600 + 60  # cut, escapes added


def test_digest_shrinks_before_it_overflows(renderer: TeamsRenderer) -> None:
    """Eight busy items with 2,000-character content URLs: the summaries and texts give way,
    then the titles lose their links; every button stays."""
    long_url = "https://example.com/?a=1&b=2&" + "a" * 1_970
    items = digest_items(
        "fr",
        8,
        title="R&D <news> " * 14,
        content_url=long_url,
        text="x " * 800,
        summary="y " * 600,
        networks=tuple(Network),
        clicked=(Network.X,),
        points_earned=10_000,
        last_award=1_000,
        confirmed=False,
        skipped=False,
        expired=False,
    )
    message = renderer.digest(DigestView("fr", "Marie", items))
    tree = check_message(message)  # no link left: the URLs were too long to fit eight times
    assert len(item_parts(message)) == 8
    assert "Container" not in [i["type"] for p in item_parts(message) for i in p["items"]]
    assert len(open_urls(tree)) == 8 * len(Network)
    assert len(submits(tree)) == 16
    lighter = renderer.digest(DigestView("fr", "Marie", items[:3]))
    check_message(lighter, allowed_links={long_url})  # three fit with their links and texts
    assert "Container" in [i["type"] for p in item_parts(lighter) for i in p["items"]]


def test_digest_with_full_share_intents_needs_fewer_items(renderer: TeamsRenderer) -> None:
    """Without the redirect, the share-intent URLs carry the whole text: four items fit,
    eight do not, and the renderer says so rather than send a card Teams may refuse."""
    text = ("We just opened our Paris office! Come and say hi. #hiring " * 20)[:1000]

    def full(count: int) -> DigestView:
        views = digest_items("en", count, networks=tuple(Network), expired=False, text=text)
        return DigestView(
            "en",
            "Marie",
            tuple(
                SuggestionView(
                    **{
                        **v.__dict__,
                        "buttons": tuple(
                            ShareButton(
                                n,
                                share_intent_url(
                                    n, "https://a.example/r/Xy7aQ2", text, instance="m.example"
                                ),
                            )
                            for n in Network
                        ),
                    }
                )
                for v in views
            ),
        )

    check_message(renderer.digest(full(3)), allowed_links=LINKS_OK)
    with pytest.raises(ValueError, match="28000"):
        renderer.digest(full(8))
    with pytest.raises(ValueError, match="at least one"):
        renderer.digest(DigestView("en", "Marie", ()))


# --- join, preferences, welcome ------------------------------------------------------------------


def inputs_by_id(tree: Tree) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in tree.inputs}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("topics", [12, 5])
def test_join_card(renderer: TeamsRenderer, locale: str, topics: int) -> None:
    tree = check_message(
        renderer.join_card(enrolment(locale, guidelines=GUIDELINES, topics=topics)),
        allowed_links=LINKS_OK,
    )
    inputs = inputs_by_id(tree)
    assert list(inputs) == [ids.ACCEPT, ids.TOPICS, ids.NETWORKS]
    accept = inputs[ids.ACCEPT]
    assert accept["type"] == "Input.Toggle"
    assert (accept["valueOn"], accept["valueOff"], accept["value"]) == ("yes", "no", "no")
    topic_input = inputs[ids.TOPICS]
    assert topic_input["type"] == "Input.ChoiceSet"
    assert topic_input["isMultiSelect"] is True
    assert topic_input["style"] == ("compact" if topics > 10 else "expanded")
    assert ("placeholder" in topic_input) is (topics > 10)
    assert [c["value"] for c in topic_input["choices"]] == [t for t, _ in TOPICS_12[:topics]]
    assert topic_input["value"] == "ai,cloud"
    networks = inputs[ids.NETWORKS]
    assert [c["value"] for c in networks["choices"]] == [n.value for n in Network]
    assert networks["value"] == "linkedin,x"
    assert networks["choices"][5]["title"] == "XING"
    assert submits(tree) == [{ids.ACTION_KEY: ids.JOIN, ids.GUIDELINES_VERSION: "2026-03"}]
    text = all_text(tree)
    assert {"en": "Welcome! 👋", "fr": f"Bienvenue{NBSP}! 👋"}[locale] in tree.texts[1]
    assert "**Our social media guidelines**" in text
    assert "A few **simple rules** keep it safe & fun:" in text
    assert "• Share anything confidential." in text
    assert "[full policy](https://intranet.example.com/policy)" in text
    assert "#" not in text.replace("#employee", "")


@pytest.mark.parametrize("locale", LOCALES)
def test_preferences_card(renderer: TeamsRenderer, locale: str) -> None:
    form = enrolment(locale, guidelines=None)
    message = renderer.preferences_card(form)
    assert renderer.join_card(form) == message  # as on Slack: no guidelines, no joining
    tree = check_message(message)
    assert list(inputs_by_id(tree)) == [ids.TOPICS, ids.NETWORKS]
    assert submits(tree) == [{ids.ACTION_KEY: ids.PREFERENCES}]
    # preferences_card ignores guidelines it is given
    with_guidelines = renderer.preferences_card(enrolment(locale, guidelines=GUIDELINES))
    assert with_guidelines == message


def test_join_card_without_choices(renderer: TeamsRenderer) -> None:
    form = EnrolmentForm("en", "Be nice.", "v1", (), ())
    tree = check_message(renderer.join_card(form))
    assert list(inputs_by_id(tree)) == [ids.ACCEPT]
    assert "value" not in tree.inputs[0] or tree.inputs[0]["value"] == "no"


def test_join_card_with_huge_guidelines(renderer: TeamsRenderer) -> None:
    paragraph = "Be kind & honest <always>, see [this](https://intranet.example.com/policy). " * 60
    huge = "# Guidelines\n\n" + (paragraph + "\n\n") * 400
    message = renderer.join_card(enrolment("fr", guidelines=huge))
    tree = check_message(message, allowed_links=LINKS_OK)
    assert tree.texts[2] == "**Guidelines**"
    shown = sum(len(t.encode()) for t in tree.texts[2:] if "Be kind" in t or "Guidelines" in t)
    assert shown <= MAX_GUIDELINES_BYTES + 20
    assert any(t.endswith("…") for t in tree.texts)


def test_guidelines_paragraphs() -> None:
    paragraphs = guidelines_paragraphs(GUIDELINES)
    assert paragraphs[0] == "**Our social media guidelines**"
    assert paragraphs[2] == "**Do**\n• Share what you **genuinely** like.\n" + (
        "• Say you work here (for example with #employee).\n"
        "• Check the [full policy](https://intranet.example.com/policy) when in doubt."
    )
    cut = guidelines_paragraphs(
        "**bold words** and [a link](https://x.example/a) " * 50, max_bytes=250
    )
    assert len(cut) == 1 and cut[0].endswith(" …")
    assert cut[0].count("**") % 2 == 0
    assert cut[0].count("[") == cut[0].count(")")


@pytest.mark.parametrize("locale", LOCALES)
def test_welcome_card(renderer: TeamsRenderer, locale: str) -> None:
    message = renderer.welcome(locale)
    tree = check_message(message)
    assert submits(tree) == [{ids.ACTION_KEY: ids.OPEN_JOIN}]
    assert (
        tree.actions[0]["title"]
        == {"en": "Join the programme", "fr": "Rejoindre le programme"}[locale]
    )
    assert message.text.startswith({"en": "Welcome", "fr": "Bienvenue"}[locale])
    assert "**help**" in tree.texts[-1]


# --- post card -----------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("topics", "max_texts"), [(12, 3), (0, 1), (5, 20)])
def test_post_card(renderer: TeamsRenderer, locale: str, topics: int, max_texts: int) -> None:
    form = PostForm(locale, topic_choices(topics, selected=0), max_texts, LIMITS)
    tree = check_message(renderer.post_card(form))
    inputs = inputs_by_id(tree)
    texts = [ids.text_input_id(i) for i in range(1, min(max_texts, 10) + 1)]
    assert list(inputs) == [
        ids.URL,
        ids.TITLE,
        ids.SUMMARY,
        *([ids.TOPICS] if topics else []),
        *texts,
        ids.HASHTAGS,
        ids.AUDIENCE,
        ids.PUBLISH,
        ids.PUBLISH_AT_DATE,
        ids.PUBLISH_AT_TIME,
        ids.EXPIRES_DATE,
        ids.EXPIRES_TIME,
        ids.IMPORTANT,
    ]
    assert inputs[ids.URL]["style"] == "url"
    assert inputs[ids.URL]["maxLength"] == 2000
    assert inputs[ids.TITLE]["maxLength"] == 150
    assert inputs[ids.SUMMARY]["isMultiline"] is True
    assert all(inputs[t]["maxLength"] == 1500 and inputs[t]["isMultiline"] for t in texts)
    if topics:
        assert inputs[ids.TOPICS]["isMultiSelect"] is True
        assert "value" not in inputs[ids.TOPICS]
    audience = inputs[ids.AUDIENCE]
    assert (audience["style"], audience["isMultiSelect"], audience["value"]) == (
        "expanded",
        False,
        "interested",
    )
    assert [c["value"] for c in audience["choices"]] == ["interested", "everyone"]
    publish = inputs[ids.PUBLISH]
    assert (publish["type"], publish["value"], publish["valueOn"], publish["valueOff"]) == (
        "Input.Toggle",
        "now",
        "now",
        "no",
    )
    assert inputs[ids.PUBLISH_AT_DATE]["type"] == inputs[ids.EXPIRES_DATE]["type"] == "Input.Date"
    assert inputs[ids.PUBLISH_AT_TIME]["type"] == inputs[ids.EXPIRES_TIME]["type"] == "Input.Time"
    important = inputs[ids.IMPORTANT]
    assert (important["value"], important["valueOn"]) == ("no", "yes")  # off unless ticked
    assert submits(tree) == [{ids.ACTION_KEY: ids.POST}]


def test_post_card_copy(renderer: TeamsRenderer) -> None:
    english = all_text(check_message(renderer.post_card(PostForm("en", (), 1, LIMITS))))
    assert "Leave empty to send it now" in english and "time zone" in english
    assert "share buttons disappear" in english
    assert "Quiet hours still apply" in english
    french = all_text(check_message(renderer.post_card(PostForm("fr", (), 1, LIMITS))))
    assert "fuseau horaire" in french and "récapitulatif" in french


# --- help, profile, lists, status ------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("curator", "ambassador"), [(False, False), (False, True), (True, True)])
def test_help(renderer: TeamsRenderer, locale: str, curator: bool, ambassador: bool) -> None:
    view = HelpView(locale, "", curator, ambassador, tuple(t for t, _ in TOPICS_12))
    tree = check_message(renderer.help(view))
    text = all_text(tree)
    for command in ("join", "interests", "me", "leaderboard", "leave", "help"):
        assert f"**{command}**" in text
    assert ("**list**" in text) is curator
    assert ("[--draft]" in text) is curator
    assert "**open\\_source**" in text
    verbs = [d[ids.ACTION_KEY] for d in submits(tree)]
    assert verbs == [ids.OPEN_SETTINGS if ambassador else ids.OPEN_JOIN] + (
        [ids.OPEN_POST] if curator else []
    )
    with_command = all_text(
        check_message(renderer.help(HelpView(locale, "@Advocacy", curator, False, ())))
    )
    assert "**@Advocacy join**" in with_command


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("active", [True, False])
def test_profile(renderer: TeamsRenderer, locale: str, active: bool) -> None:
    view = ProfileView(
        locale, HOSTILE, active, ("AI", "Cloud"), tuple(Network), 12, 340, 25, 3 if active else None
    )
    tree = check_message(renderer.profile(view))
    assert tree.texts[0].startswith("⭐ \\[Claim your bonus\\]")
    assert tree.types.count("ColumnSet") == 3  # + streak and badges (issue 6)
    check_message(renderer.profile(ProfileView(locale, "Marie", active, (), (), 0, 0, 0, None)))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("count", "viewer", "viewer_points"),
    [(0, None, None), (0, None, 0), (3, 2, 180), (10, None, 12), (150, 1, 199)],
)
def test_leaderboard(
    renderer: TeamsRenderer,
    locale: str,
    count: int,
    viewer: int | None,
    viewer_points: int | None,
) -> None:
    ranked = entries(count)
    view = LeaderboardView(
        locale,
        "2026-W47",
        date(2026, 11, 16),
        ranked,
        ranked[viewer - 1] if viewer else None,
        viewer_points,
    )
    check_message(renderer.leaderboard(view))


def test_leaderboard_lines(renderer: TeamsRenderer) -> None:
    board = (*entries(4), LeaderboardEntry(5, AmbassadorId(5), "*Star* [me](https://x.y)", 1, 1))
    view = LeaderboardView("en", "2026-W47", date(2026, 11, 16), board, None, 12)
    tree = check_message(renderer.leaderboard(view))
    assert tree.texts[1].split("\n\n") == [
        "🥇 **Ambassador 1** · 199 points · 19 shares",
        "🥈 **Ambassador 2** · 198 points · 18 shares",
        "🥉 **Ambassador 3** · 197 points · 17 shares",
        "4\\. **Ambassador 4** · 196 points · 16 shares",  # a rank, not a Markdown list
        "5\\. **\\*Star\\* \\[me\\](https://x.y)** · 1 point · 1 share",
    ]
    assert tree.texts[-1] == "You: 12 points, not in the top yet. Keep sharing!"


@pytest.mark.parametrize("locale", LOCALES)
def test_content_list(renderer: TeamsRenderer, locale: str) -> None:
    items = (
        ContentListItem(1, "Launch (day) [1]", "https://example.com/a_(b) c", "draft", ("ai",)),
        ContentListItem(2, "Old", "javascript:alert(1)", "archived", ()),
    )
    tree = check_message(
        renderer.content_list(ContentListView(locale, items)),
        allowed_links={"https://example.com/a_%28b%29%20c"},
    )
    lines = tree.texts[1].split("\n\n")
    number = {"en": "**#1**", "fr": f"**n°{NBSP}1**"}[locale]
    assert lines[0].startswith(
        f"{number} [Launch (day) \\[1\\]](https://example.com/a_%28b%29%20c) · "
    )
    assert "· archived" in lines[1] and "javascript" not in tree.texts[1]  # no link, title only
    empty = check_message(renderer.content_list(ContentListView(locale, ())))
    assert len(empty.texts) == 2


def test_long_content_list_says_how_many_are_left_out(renderer: TeamsRenderer) -> None:
    url = "https://example.com/blog/post?utm_source=teams&ref=" + "x" * 1_900
    items = tuple(ContentListItem(i, "T" * 150, url, "draft", ("ai",)) for i in range(1, 40))
    tree = check_message(renderer.content_list(ContentListView("en", items)), allowed_links={url})
    shown = sum(t.count(url) for t in tree.texts)
    assert 0 < shown < 39
    assert tree.texts[-1] == f"… and {39 - shown} more"
    french = check_message(renderer.content_list(ContentListView("fr", items)), allowed_links={url})
    assert french.texts[-1] == f"… et {39 - shown} de plus"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"counts": {}, "rates": {}, "jobs": (), "sent_last_hour": 0},
        {"counts": {"pending": 1, "mystery": 2, HOSTILE: 3}},
        {"counts": {f"state_{i}": i for i in range(40)}},
        {"jobs": tuple(ScheduledJob(f"job_{i}_" + "x" * 100, None) for i in range(300))},
        {"rates": {"slack": 1, "teams": 1.5, HOSTILE: 0.25}},
    ],
    ids=["full", "empty", "unknown_states", "many_states", "many_jobs", "odd_rates"],
)
def test_status(renderer: TeamsRenderer, locale: str, changes: dict[str, Any]) -> None:
    fields: dict[str, Any] = {
        "locale": locale,
        "counts": COUNTS,
        "rates": {"slack": 4.0, "teams": 0.5},
        "sent_last_hour": 37,
        "jobs": JOBS,
        **changes,
    }
    check_message(renderer.status(StatusView(**fields)))


def test_status_copy(renderer: TeamsRenderer) -> None:
    view = StatusView(
        "fr",
        {"pending": 0, "sent": 2},
        {"slack": 1.0, "teams": 1.5},
        37,
        (ScheduledJob("weekly_leaderboard", datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),),
    )
    message = renderer.status(view)
    tree = check_message(message)
    assert message.text == f"État des envois{NBSP}: 37 envois dans la dernière heure"
    assert "**En attente**\n\n0" in tree.texts
    assert (
        f"**Débit configuré**\n\nSlack{NBSP}: 1 message/s\n\nMicrosoft Teams{NBSP}: 1,5 message/s"
        in (tree.texts)
    )
    assert (
        tree.texts[-1] == f"• Récapitulatif et classement de la semaine{NBSP}: 2026-11-23 09:00 UTC"
    )


# --- the Teams markup, the ids --------------------------------------------------------------------


def test_to_teams_converts_the_catalog_markup(templates: Templates) -> None:
    assert templates.markdown("help.cmd.publish", "en", command="/advocacy") == (
        "**/advocacy publish <id>**: send a draft to ambassadors"
    )
    assert templates.markdown("digest.item", "en", url="https://e.x/a", title="T", summary="") == (
        "**[T](https://e.x/a)**"
    )
    # a URL that is not http(s), or empty, leaves the label alone
    assert templates.markdown("digest.item", "en", url="", title="T", summary="s") == "**T**\ns"
    assert to_teams("`  `x") == "x"
    # Slack rendering of the same sentence is unchanged
    assert templates.text("help.cmd.publish", "en", command="/advocacy") == (
        "`/advocacy publish &lt;id&gt;`: send a draft to ambassadors"
    )


def test_teams_mode_is_chosen_per_render(templates: Templates) -> None:
    """The same template source renders mrkdwn for Slack and Markdown for Teams."""
    assert templates.env.loader is not None
    source = '{"s": {{ t("suggestion.progress", award=5, points=10) | tojson }}}'
    template = templates.env.from_string(source)
    slack = json.loads(template.render(locale="en", _markup=Markup.SLACK.value))
    teams = json.loads(template.render(locale="en", _markup=Markup.TEAMS.value))
    assert slack["s"].startswith("*+5 points!* 10 points")
    assert teams["s"].startswith("**+5 points!** 10 points")


def test_teams_helpers() -> None:
    assert teams_escape("a*b_c[d]e\\f") == "a\\*b\\_c\\[d\\]e\\\\f"
    assert teams_escape("plain & <ok>") == "plain & <ok>"
    assert teams_breaks(" a\nb  \n\n\n c ") == "a\n\nb\n\nc"
    assert teams_breaks("1. one\n2) two\n- three\n-4 degrees") == (
        "1\\. one\n\n2\\) two\n\n\\- three\n\n-4 degrees"
    )


def test_split_choices_and_submit_data() -> None:
    assert ids.split_choices("ai,cloud") == ["ai", "cloud"]
    assert ids.split_choices(" ai , ,cloud ") == ["ai", "cloud"]
    assert ids.split_choices("") == []
    assert ids.split_choices(None) == []
    assert ids.submit_data(ids.SKIP, {ids.DELIVERY_ID: 7}) == {"advocacy": "skip", "delivery_id": 7}
    assert ids.submit_data(ids.OPEN_JOIN) == {"advocacy": "open_join"}
    assert ids.text_input_id(2) == "text_2"
    verbs = [ids.CONFIRM, ids.SKIP, ids.JOIN, ids.OPEN_JOIN, ids.PREFERENCES, ids.POST]
    assert len(set(verbs)) == len(verbs)


def test_new_catalog_keys_in_every_locale(templates: Templates) -> None:
    keys = {"list.more", "welcome.title", "welcome.text", "welcome.help", "welcome.join"}
    for locale in LOCALES:
        assert keys <= templates.catalog.keys(locale)
    assert templates.catalog.keys("en") == templates.catalog.keys("fr")


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def test_no_private_use_guard_leaks(renderer: TeamsRenderer) -> None:
    view = tsuggestion(title=HOSTILE, summary="`x` & <y> | z", text="a|b `c` &amp;")
    for locale in LOCALES:
        message = renderer.suggestion(view)
        digest = renderer.digest(DigestView(locale, HOSTILE, (view,)))
        for value in (message.card, digest.card, message.text, digest.text):
            assert not any(re.search("[\ue000-\uf8ff]", s) for s in _texts(value))


# --- guidelines ----------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("state", sorted(GUIDELINES_STATES))
@pytest.mark.parametrize("long", [False, True])
def test_guidelines_card(renderer: TeamsRenderer, locale: str, state: str, long: bool) -> None:
    markdown = long_guidelines() if long else GUIDELINES
    view = guidelines_view(locale, state, markdown)
    message = renderer.guidelines(view)
    tree = check_message(message, allowed_links=LINKS_OK)
    assert card_bytes(message.card) <= MAX_CARD_BYTES
    assert not tree.inputs
    assert (
        tree.texts[0]
        == {"en": "📜 Our social media guidelines", "fr": "📜 Notre charte des réseaux sociaux"}[
            locale
        ]
    )
    text = unescaped(all_text(tree))
    copy = GUIDELINES_COPY[locale]
    assert (copy["changed"] in text) is view.changed
    assert (copy["intro"] in text) is not view.changed
    assert (copy["accepted"] in text) is view.accepted
    assert (copy["truncated"] in text) is long
    assert "Version 2026-03" in text
    other = GUIDELINES_COPY["fr" if locale == "en" else "en"]
    assert not any(sentence in text for sentence in other.values())
    assert "**" not in message.text and message.text.startswith(
        {"en": "Our social media guidelines", "fr": "Notre charte"}[locale]
    )
    assert ("changed" in message.text or "changé" in message.text) is view.changed
    guidelines = all_text(tree)
    if long:
        assert "**Our guidelines**" in guidelines
        assert "**Part 0**" in guidelines and "**Part 40**" not in guidelines
        assert "[the policy](https://intranet.example.com/policy)" in guidelines
        assert guidelines.count("…") >= 1
    else:
        assert "**Our social media guidelines**" in guidelines
        assert "[full policy](https://intranet.example.com/policy)" in guidelines
    if view.can_accept:
        assert submits(tree) == [{"advocacy": "accept_guidelines", "guidelines_version": "2026-03"}]
        assert tree.actions[-1]["title"] == copy["accept"]
        assert tree.types[-1] == "ActionSet"
    else:
        assert tree.actions == []
        assert "ActionSet" not in tree.types


@pytest.mark.parametrize("locale", LOCALES)
def test_guidelines_card_for_a_newcomer(renderer: TeamsRenderer, locale: str) -> None:
    view = GuidelinesView(locale, GUIDELINES, "v1", accepted=False, can_accept=False)
    tree = check_message(renderer.guidelines(view), allowed_links=LINKS_OK)
    text = unescaped(all_text(tree))
    assert GUIDELINES_COPY[locale]["intro"] in text
    assert GUIDELINES_COPY[locale]["accepted"] not in text
    assert tree.actions == []


def test_guidelines_card_shrinks_guidelines_that_grow_in_json(renderer: TeamsRenderer) -> None:
    # Emoji and accents take 2-4 bytes in UTF-8 but 6-12 in the card's JSON.
    heavy = ("Soyez prévenants 😀🎉🙂🌍 « é » " * 40 + "\n\n") * 200
    message = renderer.guidelines(GuidelinesView("fr", heavy, "v3", False, True, True))
    tree = check_message(message)
    first = guidelines_paragraphs(heavy, max_bytes=GUIDELINES_BUDGETS[0])
    shown = [text for text in tree.texts if "Soyez" in text]
    assert 0 < len(shown) < len(first)  # a smaller budget than the first was needed
    assert GUIDELINES_COPY["fr"]["truncated"] in unescaped(all_text(tree))
    assert submits(tree, ids.ACCEPT_GUIDELINES) == [
        {ids.ACTION_KEY: ids.ACCEPT_GUIDELINES, ids.GUIDELINES_VERSION: "v3"}
    ]
    assert GUIDELINES_BUDGETS[0] == MAX_GUIDELINES_BYTES


def test_guidelines_card_escapes_the_version_and_survives_empty_guidelines(
    renderer: TeamsRenderer,
) -> None:
    view = GuidelinesView("en", "", "v_2*", False, True)
    tree = check_message(renderer.guidelines(view))
    assert "Version **v\\_2\\***" in tree.texts
    assert submits(tree) == [
        {ids.ACTION_KEY: ids.ACCEPT_GUIDELINES, ids.GUIDELINES_VERSION: "v_2*"}
    ]
    assert "Container" not in tree.types


def test_accept_guidelines_id() -> None:
    assert ids.ACCEPT_GUIDELINES == "accept_guidelines"
    assert ids.submit_data(ids.ACCEPT_GUIDELINES, {ids.GUIDELINES_VERSION: "v1"}) == {
        "advocacy": "accept_guidelines",
        "guidelines_version": "v1",
    }
    verbs = [ids.CONFIRM, ids.SKIP, ids.JOIN, ids.OPEN_JOIN, ids.PREFERENCES, ids.OPEN_PREFERENCES]
    verbs += [ids.POST, ids.OPEN_POST, ids.ACCEPT_GUIDELINES]
    assert len(set(verbs)) == len(verbs)
    assert "ACCEPT_GUIDELINES" in (ids.__doc__ or "")
