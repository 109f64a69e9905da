"""config.yaml's ``roles:`` section, and the old top-level ``curators:`` kept as an alias."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from advocacy_bot.settings import (
    Config,
    ConfigError,
    Environment,
    build_roles_config,
    configured_curators,
    graph_credentials,
    load_config,
)
from bot.model import Platform, Role

GROUP = "6f1c2a4e-0000-4000-8000-00000000c0de"
TOPICS = "topics: [{id: a, label: A}]\n"


def load_config_text(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "config.yaml"
    path.write_text(TOPICS + text)
    return load_config(path)


def test_roles_from_config(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = load_config_text(
        tmp_path,
        "roles:\n"
        "  admins: {slack: [UADMIN], teams: [" + GROUP + "]}\n"
        "  curators: {slack: [UNEW]}\n"
        "  slack_usergroups: {curators: S0COMMS}\n"
        "  group_cache_seconds: 60\n",
    )
    with caplog.at_level(logging.WARNING):
        roles = build_roles_config(config, Environment())
    assert "deprecated" not in caplog.text
    assert roles.listed(Role.ADMIN, Platform.SLACK) == {"UADMIN"}
    assert roles.listed(Role.ADMIN, Platform.TEAMS) == {GROUP}  # an Entra object id is fine
    assert roles.listed(Role.CURATOR, Platform.SLACK) == {"UNEW"}
    assert roles.groups[Platform.SLACK] == {Role.CURATOR: "S0COMMS"}
    assert roles.groups[Platform.TEAMS] == {}
    assert roles.group_ttl == timedelta(seconds=60)


def test_the_old_curators_list_is_an_alias(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = load_config_text(
        tmp_path, "curators: {slack: [UOLD]}\nroles: {curators: {slack: [UNEW]}}\n"
    )
    assert configured_curators(config)[Platform.SLACK] == {"UOLD", "UNEW"}
    with caplog.at_level(logging.WARNING):
        roles = build_roles_config(config, Environment())
    assert roles.listed(Role.CURATOR, Platform.SLACK) == {"UOLD", "UNEW"}
    assert "top-level 'curators:' is deprecated" in caplog.text


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("roles: {slack_usergroups: {admins: not-a-group}}", "roles.slack_usergroups.admins"),
        ("roles: {teams_aad_groups: {curators: 'my group'}}", "roles.teams_aad_groups.curators"),
        ("roles: {group_cache_seconds: 1}", "roles.group_cache_seconds"),
        ("roles: {owners: {slack: [U1]}}", "roles.owners"),
    ],
)
def test_bad_roles_are_named(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_config_text(tmp_path, text)


def test_entra_groups_need_a_tenant_and_credentials(tmp_path: Path) -> None:
    config = load_config_text(tmp_path, f"roles: {{teams_aad_groups: {{admins: {GROUP}}}}}\n")
    with pytest.raises(ConfigError, match="tenant"):
        build_roles_config(config, Environment())
    with pytest.raises(ConfigError, match=r"GroupMember\.Read\.All"):
        build_roles_config(config, Environment(MICROSOFT_APP_TENANT_ID="tenant-1"))
    env = Environment(
        MICROSOFT_APP_TENANT_ID="tenant-1", MICROSOFT_APP_ID="app", MICROSOFT_APP_PASSWORD="pw"
    )
    roles = build_roles_config(config, env)
    assert roles.groups[Platform.TEAMS] == {Role.ADMIN: GROUP}
    assert roles.group_workspace == {Platform.TEAMS: "tenant-1"}
    assert graph_credentials(env) == ("app", "pw")
    own = Environment(MICROSOFT_GRAPH_CLIENT_ID="reader", MICROSOFT_GRAPH_CLIENT_SECRET="s")
    assert graph_credentials(own) == ("reader", "s")
