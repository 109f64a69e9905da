"""The renderers the message tests read: one set per test module, as in production one set
serves every message (they hold no per-message state)."""

from __future__ import annotations

import pytest

from messages.render import Templates
from messages.slack import SlackRenderer
from messages.teams import TeamsRenderer


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates()


@pytest.fixture(scope="module")
def slack(templates: Templates) -> SlackRenderer:
    return SlackRenderer(templates)


@pytest.fixture(scope="module")
def teams(templates: Templates) -> TeamsRenderer:
    return TeamsRenderer(templates)
