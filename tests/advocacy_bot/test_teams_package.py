"""The Teams app package: what Teams checks on upload, checked before it gets there."""

from __future__ import annotations

import importlib.util
import json
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from advocacy_bot.teams_package import (
    ICONS_DIR,
    MANIFEST_VERSION,
    TYPED_ONLY,
    PackageError,
    build_package,
    png_size,
)
from bot.commands import ALL_COMMANDS, Publish, Simple, parse_command

SCRIPT = Path(sys.executable).with_name("advocacy-bot")
APP_ID = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
URL = "https://Bots.Example.com:8443/advocacy/"
CONFIG = """
programme: {name: Acme Ambassadors, timezone: Europe/Paris}
guidelines: {file: guidelines.md, version: "v1"}
topics:
  - {id: product, label: Product}
"""


def build(tmp_path: Path, **overrides: Any) -> Path:
    arguments: dict[str, Any] = {
        "app_id": APP_ID,
        "bot_id": APP_ID,
        "public_url": URL,
        "programme_name": "Acme Ambassadors",
        "version": "1.0.0",
        "out": tmp_path / "dist" / "advocacy-teams.zip",
    }
    arguments.update(overrides)
    return build_package(**arguments)


def manifest_of(package: Path) -> dict[str, Any]:
    with zipfile.ZipFile(package) as archive:
        loaded: dict[str, Any] = json.loads(archive.read("manifest.json"))
    return loaded


def ihdr(data: bytes) -> tuple[int, int, int, int]:
    """(width, height, bit depth, colour type), read straight from the PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    return width, height, depth, colour


def make_icons() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_icons", ICONS_DIR / "make_icons.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_zip_holds_the_manifest_and_both_icons_at_its_root(tmp_path: Path) -> None:
    package = build(tmp_path)
    assert package == tmp_path / "dist" / "advocacy-teams.zip"
    with zipfile.ZipFile(package) as archive:
        assert sorted(archive.namelist()) == [
            "color.png",
            "fr.json",
            "manifest.json",
            "outline.png",
        ]
        assert archive.testzip() is None
    assert not list(package.parent.glob("*.partial"))


def test_the_same_inputs_give_the_same_bytes(tmp_path: Path) -> None:
    first = build(tmp_path, out=tmp_path / "a.zip").read_bytes()
    assert build(tmp_path, out=tmp_path / "b.zip").read_bytes() == first


def test_the_manifest_has_every_required_field_within_the_limits(tmp_path: Path) -> None:
    manifest = manifest_of(build(tmp_path))
    required = {"manifestVersion", "version", "id", "developer", "name", "description"}
    assert required | {"icons", "accentColor", "$schema"} <= manifest.keys()
    assert manifest["manifestVersion"] == MANIFEST_VERSION
    assert f"/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json" in manifest["$schema"]
    assert manifest["id"] == APP_ID
    developer = manifest["developer"]
    assert 0 < len(developer["name"]) <= 32
    for field in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert developer[field].startswith("https://")
    assert 0 < len(manifest["name"]["short"]) <= 30
    assert 0 < len(manifest["name"]["full"]) <= 100
    assert 0 < len(manifest["description"]["short"]) <= 80
    assert 0 < len(manifest["description"]["full"]) <= 4000
    assert manifest["description"]["full"] != manifest["description"]["short"]
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    (bot,) = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert bot["scopes"] == ["personal", "team"]
    assert (bot["supportsFiles"], bot["isNotificationOnly"]) == (False, False)
    assert len(bot["commandLists"]) <= 3
    for command_list in bot["commandLists"]:
        assert set(command_list["scopes"]) <= set(bot["scopes"])
        assert len(command_list["commands"]) <= 10
        for command in command_list["commands"]:
            assert 0 < len(command["title"]) <= 32
            assert 0 < len(command["description"]) <= 128


def test_the_command_list_is_what_the_bot_understands(tmp_path: Path) -> None:
    (bot,) = manifest_of(build(tmp_path))["bots"]
    personal, team = bot["commandLists"]
    assert personal["scopes"] == ["personal"]
    titles = [command["title"] for command in personal["commands"]]
    assert sorted([*titles, *TYPED_ONLY]) == sorted(ALL_COMMANDS)
    assert {command["title"] for command in team["commands"]} <= set(ALL_COMMANDS)
    for title in titles:  # what Teams inserts when the command is picked parses as itself
        if title == "publish":
            assert parse_command(f"{title} 12") == Publish(12)
        else:
            assert parse_command(title) == Simple(title)


def test_valid_domains_hold_the_public_host(tmp_path: Path) -> None:
    manifest = manifest_of(build(tmp_path))
    assert manifest["validDomains"] == ["bots.example.com"]
    assert manifest["developer"]["websiteUrl"] == "https://Bots.Example.com:8443/advocacy"


def test_the_icons_have_the_sizes_teams_requires(tmp_path: Path) -> None:
    with zipfile.ZipFile(build(tmp_path)) as archive:
        color = ihdr(archive.read("color.png"))
        outline = ihdr(archive.read("outline.png"))
    assert color[:2] == (192, 192)
    assert outline == (32, 32, 8, 6)  # 8-bit RGBA: the outline needs its transparency


def test_the_committed_icons_are_what_the_script_draws() -> None:
    icons = make_icons()
    assert (ICONS_DIR / "color.png").read_bytes() == icons.encode_png(icons.color_pixels())
    outline = icons.outline_pixels()
    assert (ICONS_DIR / "outline.png").read_bytes() == icons.encode_png(outline)
    pixels = [pixel for row in outline for pixel in row]
    assert all(pixel[:3] == (255, 255, 255) for pixel in pixels)  # white only
    assert any(pixel[3] == 0 for pixel in pixels)  # and transparent around the glyph
    assert any(pixel[3] == 255 for pixel in pixels)


def test_wrong_icons_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    icons = tmp_path / "icons"
    icons.mkdir()
    (icons / "color.png").write_bytes((ICONS_DIR / "outline.png").read_bytes())  # 32x32
    (icons / "outline.png").write_bytes(b"GIF89a not a png")
    out = tmp_path / "app.zip"
    with pytest.raises(PackageError) as refused:
        build(tmp_path, icons_dir=icons, out=out)
    assert refused.value.problems == [
        "color.png: 32x32 pixels, Teams needs 192x192",
        "outline.png: not a PNG file",
    ]
    assert not out.exists()
    assert png_size(b"GIF89a") is None


def test_missing_icons_say_where_they_were_looked_for(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match=r"must hold color\.png and outline\.png"):
        build(tmp_path, icons_dir=tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"bot_id": "my-bot"}, "bots[0].botId: 'my-bot' is not a GUID"),
        ({"app_id": "42"}, "id: '42' is not a GUID"),
        ({"version": "1.0"}, "version: '1.0' is not MAJOR.MINOR.PATCH"),
        ({"programme_name": "A" * 31}, "name.short (a shorter name is needed): 31 characters"),
        ({"public_url": "http://bots.example.com"}, "the public URL must start with https://"),
        ({"privacy_url": "http://example.com/privacy"}, "developer.privacyUrl: must be"),
    ],
)
def test_what_teams_would_refuse_is_refused_here(
    tmp_path: Path, overrides: dict[str, str], problem: str
) -> None:
    with pytest.raises(PackageError) as refused:
        build(tmp_path, **overrides)
    assert any(line.startswith(problem) for line in refused.value.problems), refused.value


def test_a_long_programme_name_fits_with_a_short_name(tmp_path: Path) -> None:
    long_name = "Acme Worldwide Employee Ambassadors Programme"
    manifest = manifest_of(build(tmp_path, programme_name=long_name, short_name="Acme Amb"))
    assert manifest["name"] == {"short": "Acme Amb", "full": long_name}


# ---- the command line ------------------------------------------------------------------


def cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "config.yaml").write_text(CONFIG)
    (tmp_path / "guidelines.md").write_text("# Guidelines\nBe kind.\n")
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "ADVOCACY_", "MICROSOFT_"))
    }
    environment.update(ADVOCACY_CONFIG=str(tmp_path / "config.yaml"), **env)
    return subprocess.run(
        [str(SCRIPT), "teams-package", *args],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ADVOCACY_PUBLIC_URL": URL}, "MICROSOFT_APP_ID is not set"),
        ({"ADVOCACY_PUBLIC_URL": URL, "MICROSOFT_APP_ID": "my-bot"}, "MICROSOFT_APP_ID is not a"),
        ({"MICROSOFT_APP_ID": APP_ID}, "ADVOCACY_PUBLIC_URL must be"),  # http://localhost:3000
    ],
)
def test_the_command_refuses_a_bad_environment(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    result = cli(tmp_path, **env)
    assert result.returncode == 2
    assert named in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "dist").exists()


def test_the_command_lists_every_problem_without_a_traceback(tmp_path: Path) -> None:
    result = cli(
        tmp_path,
        "--version",
        "2",
        "--icons",
        str(tmp_path),
        MICROSOFT_APP_ID=APP_ID,
        ADVOCACY_PUBLIC_URL=URL,
    )
    assert result.returncode == 2
    assert "cannot build the Teams package" in result.stderr
    assert "version: '2'" in result.stderr
    assert "color.png" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_command_writes_the_package(tmp_path: Path) -> None:
    result = cli(
        tmp_path,
        "--out",
        "dist/app.zip",
        "--version",
        "1.2.3",
        MICROSOFT_APP_ID=APP_ID,
        ADVOCACY_PUBLIC_URL=URL,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "dist/app.zip\n"
    manifest = manifest_of(tmp_path / "dist" / "app.zip")
    assert (manifest["version"], manifest["id"]) == ("1.2.3", APP_ID)
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["name"]["full"] == "Acme Ambassadors"  # from config.yaml
    assert manifest["validDomains"] == ["bots.example.com"]


def test_the_package_speaks_french_to_french_clients(tmp_path: Path) -> None:
    package = build(tmp_path)
    manifest = manifest_of(package)
    assert manifest["localizationInfo"] == {
        "defaultLanguageTag": "en",
        "additionalLanguages": [{"languageTag": "fr", "file": "fr.json"}],
    }
    with zipfile.ZipFile(package) as archive:
        french: dict[str, Any] = json.loads(archive.read("fr.json"))
    assert french["$schema"].endswith("/v1.19/MicrosoftTeams.Localization.schema.json")
    assert french["name.full"] == "Acme Ambassadors"
    assert french["description.full"].startswith("Acme Ambassadors\u00a0: notre programme")
    assert len(french["description.short"]) <= 80
    for n, command_list in enumerate(manifest["bots"][0]["commandLists"]):
        for i, command in enumerate(command_list["commands"]):
            key = f"bots[0].commandLists[{n}].commands[{i}]"
            assert french[f"{key}.title"] == command["title"]  # what people type stays
            description = french[f"{key}.description"]
            assert description != command["description"]  # every one translated
            assert len(description) <= 128
            assert "'" not in description
