"""config.yaml and the environment: validated once, with errors a person can act on."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from advocacy_bot.settings import (
    ConfigError,
    Environment,
    build_programme,
    build_recap_settings,
    load_config,
    load_guidelines,
)
from bot.model import Network, Platform, PlatformUser

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_the_shipped_config_is_valid() -> None:
    config = load_config(REPO / "config.yaml")
    programme = build_programme(config, load_guidelines(config, REPO / "config.yaml"))
    assert programme.hashtag == "#AcmeAmbassadors"
    assert programme.points.for_share_click(Network.LINKEDIN) == 8
    assert programme.points.for_share_click(Network.X) == 5
    assert len(programme.guidelines.version) == 12  # derived from the file's content


def test_the_recap_settings(tmp_path: Path) -> None:
    shipped = build_recap_settings(load_config(REPO / "config.yaml"))
    assert (shipped.send_at, shipped.batch) == (time(9, 0), 100)
    config = load_config(write(tmp_path, "topics: [{id: a, label: A}]\nrecap: {send_at: '07:30'}"))
    assert build_recap_settings(config).send_at == time(7, 30)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("topics: []", "at least one topic"),
        ("topics: [{id: a, label: A}, {id: a, label: B}]", "duplicate"),
        ("topics: [{id: 'Has Space', label: A}]", "topics.0.id"),
        ("topics: [{id: a, label: A}]\nprogramme: {timezone: Mars/Olympus}", "unknown time zone"),
        ("topics: [{id: a, label: A}]\nnetworks: [myspace]", "networks.0"),
        ("topics: [{id: a, label: A}]\npoints: {share_click: {orkut: 3}}", "unknown networks"),
        ("topics: [{id: a, label: A}]\nleaderboard: {hour: 25}", "leaderboard.hour"),
        ("topics: [{id: a, label: A}]\ncolour: blue", "colour"),
        ("topics: [{id: a, label: A}]\nrecap: {send_at: '9am'}", "recap.send_at"),
        ("topics: [{id: a, label: A}]\nrecap: {batch: 0}", "recap.batch"),
        ("- just a list", "mapping"),
        ("topics: [unclosed", "not valid YAML"),
    ],
)
def test_invalid_config_names_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text))
    assert message in str(error.value)
    assert str(tmp_path / "config.yaml") in str(error.value)


def test_missing_files_are_explained(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.yaml")
    config = load_config(write(tmp_path, "topics: [{id: a, label: A}]\nguidelines: {file: g.md}"))
    with pytest.raises(ConfigError, match=r"guidelines.file: .*g\.md not found"):
        load_guidelines(config, tmp_path / "config.yaml")
    (tmp_path / "g.md").write_text("   \n")
    with pytest.raises(ConfigError, match="empty"):
        load_guidelines(config, tmp_path / "config.yaml")


def test_curators_and_explicit_guidelines_version(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            (
                "topics: [{id: a, label: A, label_fr: Ah}]\n"
                "guidelines: {file: g.md, version: '2026-11'}\n"
                "curators: {slack: [U1]}\nprogramme: {hashtag: Acme, default_language: fr}\n"
            ),
        )
    )
    (tmp_path / "g.md").write_text("Be kind.")
    programme = build_programme(config, load_guidelines(config, tmp_path / "config.yaml"))
    assert programme.guidelines.version == "2026-11"
    assert programme.hashtag == "#Acme"
    assert programme.is_curator(PlatformUser(Platform.SLACK, "T", "U1"))
    assert not programme.is_curator(PlatformUser(Platform.SLACK, "T", "U2"))
    assert not programme.is_curator(PlatformUser(Platform.TEAMS, "T", "U1"))
    assert programme.topics[0].label("fr") == "Ah"
    assert programme.locale_for("de-DE") == "fr"


def test_environment_defaults_and_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "PORT", "ADVOCACY_PUBLIC_URL", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    env = Environment()
    assert env.DATABASE_URL.startswith("sqlite")
    assert env.PORT == 3000
    assert not env.slack_http_ready()
    assert Environment(SLACK_API_URL="http://127.0.0.1:9/api").SLACK_API_URL.endswith("/")
    with pytest.raises(ValueError, match="http"):
        Environment(ADVOCACY_PUBLIC_URL="go.example.com")
    secret = Environment(SLACK_SIGNING_SECRET="very-secret")
    assert "very-secret" not in repr(secret)


def test_privacy_retention_defaults_and_limits(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "topics: [{id: a, label: A}]"))
    assert config.privacy.retention_days.link_visits == 395
    assert config.privacy.retention_days.job_runs == 30
    kept = load_config(
        write(
            tmp_path, "topics: [{id: a, label: A}]\nprivacy: {retention_days: {link_visits: null}}"
        )
    )
    assert kept.privacy.retention_days.link_visits is None  # kept for ever
    for bad, where in (("{reaction_events: 0}", "reaction_events"), ("{visits: 3}", "visits")):
        with pytest.raises(ConfigError, match=where):
            load_config(
                write(
                    tmp_path, f"topics: [{{id: a, label: A}}]\nprivacy: {{retention_days: {bad}}}"
                )
            )


def test_the_link_secret_must_be_long() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        Environment(ADVOCACY_LINK_SECRET="short")
    assert Environment(ADVOCACY_LINK_SECRET="x" * 32).ADVOCACY_LINK_SECRET is not None
