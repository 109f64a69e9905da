"""config.yaml's ``review`` and ``feeds``: validated, and turned into the domain's settings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from advocacy_bot.settings import (
    ConfigError,
    build_feed_settings,
    build_programme,
    build_review_settings,
    load_config,
    load_guidelines,
)
from bot.model import Platform
from bot.suggestions import FeedSource

BASE = "topics: [{id: ai, label: AI}, {id: jobs, label: Jobs}]\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(BASE + text)
    return path


def test_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""))
    review = build_review_settings(config)
    assert review.channels == {}
    assert review.auto_approve_after == 3
    assert review.expire_after == timedelta(days=14)
    assert build_feed_settings(config).feeds == ()
    assert config.feeds_poll_minutes == 30
    (tmp_path / "guidelines.md").write_text("# Be kind\n")
    programme = build_programme(config, load_guidelines(config, tmp_path / "config.yaml"))
    assert programme.points.approved_suggestion == 20


def test_review_and_feeds(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            "review: {channels: {slack: C07REVIEW1, teams: '19:r@thread.tacv2'}, "
            "auto_approve_after: 0, expire_after_days: 7}\n"
            "feeds: [{url: 'https://blog.example.com/feed.xml', name: Blog, topics: [ai]}]\n"
            "feeds_poll_minutes: 15\npoints: {approved_suggestion: 50}\n",
        )
    )
    review = build_review_settings(config)
    assert review.channels == {Platform.SLACK: "C07REVIEW1", Platform.TEAMS: "19:r@thread.tacv2"}
    assert review.auto_approve_after == 0 and review.expire_after == timedelta(days=7)
    assert build_feed_settings(config).feeds == (
        FeedSource("https://blog.example.com/feed.xml", "Blog", ("ai",)),
    )
    assert config.points.approved_suggestion == 50


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("feeds: [{url: 'ftp://x.example/feed', name: X}]", "http"),
        ("feeds: [{url: 'https://x.example/feed', name: X, topics: [crypto]}]", "unknown topics"),
        (
            "feeds: [{url: 'https://x.example/f', name: A}, {url: 'https://x.example/f', name: B}]",
            "twice",
        ),
        ("feeds_poll_minutes: 1", "feeds_poll_minutes"),
        ("review: {auto_approve_after: -1}", "auto_approve_after"),
        ("review: {channels: {discord: C1}}", "channels"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text))
