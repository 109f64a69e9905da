"""Views of the roles feature for the rendering tests (Slack and Teams)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from bot.views import AuditLine, AuditView, CuratorsView, RoleHolderLine

HOSTILE_NAME = "<@U123> & <!channel>"  # Slack markup in a name or title: shown as written
MARKDOWN_NAME = "Bob *bold* [x](y) _it_"  # TextBlock Markdown in a name: shown as written


def curators_view(locale: str, platform: str = "slack", *, grants: int = 2) -> CuratorsView:
    """Admins from config, a group each, and ``grants`` people added by command."""
    group = "S0CURATORS" if platform == "slack" else "6f1c2a4e-0000-4000-8000-00000000c0de"
    person = "U05BOB0002" if platform == "slack" else "29:1bob"
    lines = [
        RoleHolderLine("admin", "config", user_id="U04ALICE01" if platform == "slack" else "29:1a"),
        RoleHolderLine("admin", "group", group_id=group, members=None),
        RoleHolderLine("curator", "group", group_id=group, members=12),
    ]
    lines += [
        RoleHolderLine(
            "curator",
            "grant",
            user_id=f"{person}{n}",
            name=(HOSTILE_NAME if platform == "slack" else MARKDOWN_NAME) if n == 0 else f"P{n}",
            granted_by="U04ALICE01" if platform == "slack" else "Alice",
            since=date(2026, 11, 18),
        )
        for n in range(grants)
    ]
    return CuratorsView(locale, platform, tuple(lines), "/advocacy" if platform == "slack" else "")


def audit_view(
    locale: str, count: int = 3, *, older: int | None = 17, hostile: str = MARKDOWN_NAME
) -> AuditView:
    """``count`` entries of every kind (and one a newer feature recorded), newest first."""
    kinds: list[tuple[str, str, Mapping[str, object]]] = [
        ("content.published", "content:7", {"title": hostile, "deliveries": 42}),
        ("content.draft_saved", "content:8", {"title": "Draft"}),
        ("content.scheduled", "content:9", {"title": "Later"}),
        ("content.draft_published", "content:8", {"title": "Draft", "deliveries": 3}),
        ("role.curator_granted", "slack:T1:U05BOB0002", {"name": "Bob"}),
        ("role.curator_revoked", "teams:tenant:29:1bob", {"name": "Bob Durand"}),
        ("stats.exported", "stats:programme", {}),
    ]
    entries = tuple(
        AuditLine(
            id=100 - n,
            at="2026-11-18 11:00",
            actor_name="Alice Martin" if n else hostile,
            action=kinds[n % len(kinds)][0],
            target=kinds[n % len(kinds)][1],
            details=kinds[n % len(kinds)][2],
        )
        for n in range(count)
    )
    return AuditView(locale, entries, 20, older, "/advocacy")
