"""The Teams app package: ``manifest.json``, ``color.png`` and ``outline.png`` in one zip,
ready to upload to Teams (Apps > Manage your apps > Upload an app) or to the Teams admin
center.

The manifest is built here as a dict and written with ``json.dumps`` rather than rendered
from a template: every value (the programme's name included) is escaped by construction,
the command list comes from the parser the bot really uses, and the checks below read the
same dict that is written. Schema: app manifest v1.19
(https://developer.microsoft.com/json-schemas/teams/v1.19/MicrosoftTeams.schema.json); the
limits checked are that schema's.
"""

from __future__ import annotations

import contextlib
import json
import re
import struct
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.commands import ALL_COMMANDS

MANIFEST_VERSION = "1.19"
SCHEMA_URL = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}"
    "/MicrosoftTeams.schema.json"
)
ACCENT_COLOR = "#2563EB"  # the background of color.png (teams/make_icons.py)
ICONS_DIR = Path(__file__).resolve().parent.parent / "teams"  # in a checkout of the repository
ICON_SIZES = {"color.png": 192, "outline.png": 32}

# What Teams suggests when someone types in the bot's chat: commands the bot understands
# (bot/commands.py, answered by adapters/teams/handler.py), in the order of the help card.
# Schema limits: title <= 32 characters, description <= 128, at most 10 per list. The bot
# understands more than ten: those left out of the menu (TYPED_ONLY) take an argument, or are
# rare (my-data, forget-me), and are shown in the help card (and, for publish, in the reply to
# a draft).
COMMANDS: dict[str, str] = {
    "help": "What I can do for you",
    "join": "Read the guidelines and join the programme",
    "interests": "Change your topics and networks",
    "me": "Your points, rank and choices",
    "leaderboard": "This week's top ambassadors",
    "guidelines": "The programme's guidelines (accept a new version here)",
    "leave": "Leave the programme (your points stay)",
    "post": "Curators: open the form to send content, or post <url> #topic text",
    "list": "Curators: recent content and its status",
    "status": "Curators: the delivery queue, rates and next jobs",
}
# settings..resume: on the help card; curators, audit: admins' commands.
TYPED_ONLY = (
    "publish",
    "settings",
    "pause",
    "resume",
    "curators",
    "audit",
    "suggest",
    "my-data",
    "forget-me",
    "stats",  # curators: on the help card
    "prospects",
    "hide",  # leaderboards: hide / unhide, team [<id>]
    "unhide",
    "team",
    "recap",  # recap on | off: the personal weekly recap DM
)
# The French of the package (``fr.json``, a localization file): Teams shows it to people whose
# client is in French. Command titles stay as typed (the bot understands those words); their
# descriptions, the app's name and its descriptions are translated. A command without a
# French description keeps the English one.
LOCALIZATION_FILE = "fr.json"
DESCRIPTION_FR = (
    "Partagez l\u2019actualité de l\u2019entreprise et gagnez des points",
    "{name}\u00a0: notre programme d\u2019ambassadeurs. Les curateurs publient l\u2019actualité de "
    "l\u2019entreprise\u00a0; les ambassadeurs la reçoivent dans une discussion avec le bot, avec "
    "des textes suggérés et des boutons de partage en un clic pour les réseaux qu\u2019ils ont "
    "choisis, gagnent des points en partageant et voient le classement de la semaine. Tapez "
    "help pour voir ce que le bot sait faire.",
)
COMMANDS_FR: dict[str, str] = {
    "help": "Ce que je peux faire pour vous",
    "join": "Lire la charte et rejoindre le programme",
    "interests": "Changer vos sujets et vos réseaux",
    "me": "Vos points, votre rang et vos choix",
    "leaderboard": "Les meilleurs ambassadeurs de la semaine",
    "guidelines": "La charte du programme (acceptez une nouvelle version ici)",
    "leave": "Quitter le programme (vos points restent)",
    "post": "Curateurs\u00a0: le formulaire de publication, ou post <url> #sujet texte",
    "list": "Curateurs\u00a0: les contenus récents et leur statut",
    "status": "Curateurs\u00a0: la file d\u2019envoi, les débits et les prochaines tâches",
}
# In a team the bot is added for the weekly leaderboard post; these make sense in a channel.
TEAM_COMMANDS = ("help", "leaderboard")

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed: the same inputs give the same zip, byte for byte


class PackageError(ValueError):
    """The package cannot be built; ``problems`` lists each thing to fix, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def is_guid(value: str) -> bool:
    """Whether ``value`` is a GUID as the manifest schema writes it (8-4-4-4-12 hex)."""
    return bool(_GUID.match(value))


def build_manifest(
    *,
    app_id: str,
    bot_id: str,
    public_url: str,
    programme_name: str,
    version: str,
    short_name: str | None = None,
    privacy_url: str | None = None,
    terms_url: str | None = None,
) -> dict[str, Any]:
    """The app manifest (not yet checked: see ``validate_manifest``)."""
    base = public_url.rstrip("/")
    short = short_name or programme_name
    host = urlsplit(base).hostname or ""
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {
            "name": short[:32],
            "websiteUrl": base,
            "privacyUrl": privacy_url or base,
            "termsOfUseUrl": terms_url or base,
        },
        "name": {"short": short, "full": programme_name},
        "description": {
            "short": "Share company news with your network and earn points",
            "full": (
                f"{programme_name}: our employee-advocacy programme. Curators post the "
                "company's news; ambassadors get it in a personal chat with the bot, with "
                "suggested texts and one-click share buttons for the networks they chose, "
                "earn points for sharing and see the weekly leaderboard. "
                "Type help to see what the bot can do."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT_COLOR,
        "bots": [
            {
                "botId": bot_id,
                "scopes": ["personal", "team"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": ["personal"],
                        "commands": [
                            {"title": title, "description": text}
                            for title, text in COMMANDS.items()
                        ],
                    },
                    {
                        "scopes": ["team"],
                        "commands": [
                            {"title": title, "description": COMMANDS[title]}
                            for title in TEAM_COMMANDS
                        ],
                    },
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [host] if host else [],
        "defaultInstallScope": "personal",
        "localizationInfo": {
            "defaultLanguageTag": "en",
            "additionalLanguages": [{"languageTag": "fr", "file": LOCALIZATION_FILE}],
        },
    }


def build_localization(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """``fr.json``: the French of ``manifest`` (names as given, descriptions translated)."""
    schema = SCHEMA_URL.replace(
        "MicrosoftTeams.schema.json", "MicrosoftTeams.Localization.schema.json"
    )
    short, full = DESCRIPTION_FR
    strings: dict[str, Any] = {
        "$schema": schema,
        "name.short": manifest["name"]["short"],
        "name.full": manifest["name"]["full"],
        "description.short": short,
        "description.full": full.format(name=manifest["name"]["full"]),
    }
    for n, command_list in enumerate(manifest["bots"][0]["commandLists"]):
        for i, command in enumerate(command_list["commands"]):
            key = f"bots[0].commandLists[{n}].commands[{i}]"
            strings[f"{key}.title"] = command["title"]
            strings[f"{key}.description"] = COMMANDS_FR.get(
                command["title"], command["description"]
            )
    return strings


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, or None when ``data`` is not a PNG."""
    if len(data) < 24 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _png_has_alpha(data: bytes) -> bool:
    # IHDR colour type (byte 25): 4 grey + alpha, 6 RGBA; 3 (palette) may carry a tRNS chunk.
    return len(data) > 25 and (data[25] in (4, 6) or (data[25] == 3 and b"tRNS" in data))


def _length(problems: list[str], where: str, value: object, limit: int) -> None:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: missing")
    elif len(value) > limit:
        problems.append(f"{where}: {len(value)} characters, Teams allows {limit}")


def _https(problems: list[str], where: str, value: object) -> None:
    if not isinstance(value, str) or not value.lower().startswith("https://"):
        problems.append(f"{where}: must be an https:// URL (got {value!r})")


def validate_manifest(
    manifest: Mapping[str, Any], icons: Mapping[str, bytes], *, public_url: str
) -> list[str]:
    """Every problem that would make Teams refuse the package (empty when it is fine)."""
    problems: list[str] = []
    for key in (
        "$schema",
        "manifestVersion",
        "version",
        "id",
        "developer",
        "name",
        "description",
        "icons",
        "accentColor",
        "bots",
        "validDomains",
    ):
        if key not in manifest:
            problems.append(f"{key}: missing")
    if problems:
        return problems
    if not _SEMVER.match(str(manifest["version"])):
        problems.append(
            f"version: {manifest['version']!r} is not MAJOR.MINOR.PATCH (e.g. 1.0.0); "
            "Teams needs a higher one for each update of the app"
        )
    if not is_guid(str(manifest["id"])):
        problems.append(f"id: {manifest['id']!r} is not a GUID")
    developer = manifest["developer"]
    _length(problems, "developer.name", developer.get("name"), 32)
    for field in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        _https(problems, f"developer.{field}", developer.get(field))
    _length(problems, "name.short (a shorter name is needed)", manifest["name"].get("short"), 30)
    _length(problems, "name.full", manifest["name"].get("full"), 100)
    _length(problems, "description.short", manifest["description"].get("short"), 80)
    _length(problems, "description.full", manifest["description"].get("full"), 4000)
    if not _HEX_COLOR.match(str(manifest["accentColor"])):
        problems.append(f"accentColor: {manifest['accentColor']!r} is not #RRGGBB")
    problems += _bot_problems(manifest["bots"])
    host = urlsplit(public_url).hostname
    if not host:
        problems.append(f"ADVOCACY_PUBLIC_URL: {public_url!r} has no host name")
    elif host not in manifest["validDomains"]:
        problems.append(f"validDomains: {host} (the public URL's host) is missing")
    problems += _icon_problems(manifest["icons"], icons)
    return problems


def _bot_problems(bots: object) -> list[str]:
    if not isinstance(bots, list) or len(bots) != 1:
        return ["bots: exactly one bot expected"]
    bot = bots[0]
    problems: list[str] = []
    if not is_guid(str(bot.get("botId", ""))):
        problems.append(f"bots[0].botId: {bot.get('botId')!r} is not a GUID")
    scopes = set(bot.get("scopes", []))
    if not scopes or not scopes <= {"personal", "team", "groupChat"}:
        problems.append(f"bots[0].scopes: {sorted(scopes)} (personal, team, groupChat)")
    lists = bot.get("commandLists", [])
    if len(lists) > 3:
        problems.append("bots[0].commandLists: at most 3 lists")
    for n, command_list in enumerate(lists):
        where = f"bots[0].commandLists[{n}]"
        if not set(command_list.get("scopes", [])) <= scopes:
            problems.append(f"{where}.scopes: not among the bot's scopes")
        commands = command_list.get("commands", [])
        if len(commands) > 10:
            problems.append(f"{where}: {len(commands)} commands, Teams shows at most 10")
        for i, command in enumerate(commands):
            _length(problems, f"{where}.commands[{i}].title", command.get("title"), 32)
            _length(problems, f"{where}.commands[{i}].description", command.get("description"), 128)
        titles = {command.get("title") for command in commands}
        unknown = titles - set(ALL_COMMANDS)
        if unknown:
            problems.append(f"{where}: the bot does not understand {sorted(unknown)}")
    personal = [c for c in lists if "personal" in c.get("scopes", [])]
    if personal:
        listed = tuple(command.get("title") for command in personal[0].get("commands", []))
        missing = [name for name in ALL_COMMANDS if name not in listed + TYPED_ONLY]
        if missing:
            problems.append(f"bots[0].commandLists (personal): {missing} are not listed")
    return problems


def _icon_problems(declared: Mapping[str, str], icons: Mapping[str, bytes]) -> list[str]:
    problems: list[str] = []
    for kind in ("color", "outline"):
        name = declared.get(kind, "")
        size = ICON_SIZES[f"{kind}.png"]
        data = icons.get(name)
        if data is None:
            problems.append(f"icons.{kind}: {name!r} is not in the package")
            continue
        found = png_size(data)
        if found is None:
            problems.append(f"{name}: not a PNG file")
        elif found != (size, size):
            problems.append(f"{name}: {found[0]}x{found[1]} pixels, Teams needs {size}x{size}")
        elif kind == "outline" and not _png_has_alpha(data):
            problems.append(f"{name}: needs a transparent background (a PNG with alpha)")
    return problems


def build_package(
    *,
    app_id: str,
    bot_id: str,
    public_url: str,
    programme_name: str,
    version: str,
    out: Path,
    short_name: str | None = None,
    privacy_url: str | None = None,
    terms_url: str | None = None,
    icons_dir: Path = ICONS_DIR,
) -> Path:
    """Check and write the Teams app package.

    Returns:
        ``out``: a zip with manifest.json, color.png and outline.png at its root.

    Raises:
        PackageError: listing every problem (nothing is written then).
    """
    if not public_url.lower().startswith("https://"):
        raise PackageError(
            [f"the public URL must start with https:// for Teams (got {public_url!r})"]
        )
    manifest = build_manifest(
        app_id=app_id,
        bot_id=bot_id,
        public_url=public_url,
        programme_name=programme_name,
        version=version,
        short_name=short_name,
        privacy_url=privacy_url,
        terms_url=terms_url,
    )
    icons: dict[str, bytes] = {}
    for name in ICON_SIZES:
        with contextlib.suppress(OSError):  # a missing icon is reported below
            icons[name] = (icons_dir / name).read_bytes()
    problems = validate_manifest(manifest, icons, public_url=public_url)
    localization = build_localization(manifest)
    _length(problems, "fr.json description.short", localization["description.short"], 80)
    _length(problems, "fr.json description.full", localization["description.full"], 4000)
    for key, value in localization.items():
        if key.endswith(".description"):
            _length(problems, f"fr.json {key}", value, 128)
    if len(icons) < len(ICON_SIZES):
        problems.append(
            f"icons: {icons_dir} must hold color.png and outline.png (run the command "
            "from a checkout of the repository, or pass the folder of your own icons)"
        )
    if problems:
        raise PackageError(problems)
    out.parent.mkdir(parents=True, exist_ok=True)
    members = {
        "manifest.json": (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode(),
        LOCALIZATION_FILE: (json.dumps(localization, indent=2, ensure_ascii=False) + "\n").encode(),
        **icons,
    }
    partial = out.with_name(out.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w") as archive:
            for name, data in members.items():
                info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return out
