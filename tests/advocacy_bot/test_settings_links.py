"""Settings of tracked links: ``web`` in config.yaml, ``ADVOCACY_VISITOR_SALT`` in env."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from pydantic import ValidationError

from advocacy_bot.main import visitor_keys
from advocacy_bot.settings import ConfigError, Environment, load_config
from tests.advocacy_bot.test_settings import write


def test_web_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "topics: [{id: a, label: A}]"))
    assert config.web.trusted_proxies == []
    assert config.web.link_cache_seconds == 60


def test_trusted_proxies_are_addresses_or_networks(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            "topics: [{id: a, label: A}]\n"
            "web: {trusted_proxies: [10.0.0.0/8, 192.0.2.7, fd00::/8]}",
        )
    )
    assert config.web.trusted_proxies == [
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.0.2.7/32"),
        ipaddress.ip_network("fd00::/8"),
    ]
    for bad in ("[proxy.example]", "[10.0.0.1/8]", "{link_cache_seconds: -1}"):
        field = "link_cache_seconds" if "cache" in bad else "trusted_proxies"
        value = bad if "cache" in bad else f"{{trusted_proxies: {bad}}}"
        with pytest.raises(ConfigError, match=field):
            load_config(write(tmp_path, f"topics: [{{id: a, label: A}}]\nweb: {value}"))


def test_the_visitor_salt_is_long_and_never_echoed(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ValidationError) as refused:
        Environment(ADVOCACY_VISITOR_SALT="short-salt")
    assert "short-salt" not in str(refused.value)
    salted = Environment(ADVOCACY_VISITOR_SALT="s" * 32)
    assert not visitor_keys(salted).ephemeral
    assert "s" * 32 not in caplog.text
    assert visitor_keys(Environment()).ephemeral
    assert "ADVOCACY_VISITOR_SALT is not set" in caplog.text
