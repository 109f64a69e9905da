"""config.yaml ``points:`` of issue 6: link clicks, the daily cap, the streak bonus, badges."""

from __future__ import annotations

from pathlib import Path

import pytest

from advocacy_bot.settings import ConfigError, build_programme, load_config, load_guidelines
from bot.model import Badge

REPO = Path(__file__).resolve().parents[2]
TOPICS = "topics: [{id: a, label: A}]\n"


def programme_of(tmp_path: Path, text: str) -> object:
    path = tmp_path / "config.yaml"
    path.write_text(TOPICS + text)
    (tmp_path / "guidelines.md").write_text("# Be kind\n")
    config = load_config(path)
    return build_programme(config, load_guidelines(config, path))


def test_the_shipped_rules() -> None:
    config = load_config(REPO / "config.yaml")
    rules = build_programme(config, load_guidelines(config, REPO / "config.yaml")).points
    assert (rules.link_click, rules.link_click_daily_cap, rules.paid_clicks_per_day) == (2, 20, 10)
    assert (rules.streak_bonus_weeks, rules.streak_bonus) == (4, 25)


def test_defaults_award_nothing_new_and_every_badge_is_on(tmp_path: Path) -> None:
    programme = programme_of(tmp_path, "")
    rules = programme.points  # type: ignore[attr-defined]
    assert (rules.link_click, rules.paid_clicks_per_day, rules.streak_bonus) == (0, None, 0)
    assert programme.badges == {b.value for b in Badge}  # type: ignore[attr-defined]


def test_badges_can_be_turned_off_and_the_cap_rounds_down(tmp_path: Path) -> None:
    programme = programme_of(
        tmp_path,
        "points: {link_click: 3, link_click_daily_cap: 10, badges: {top_3_week: false},"
        " streak_bonus: {weeks: 6, points: 40}}",
    )
    assert "top_3_week" not in programme.badges  # type: ignore[attr-defined]
    rules = programme.points  # type: ignore[attr-defined]
    assert rules.paid_clicks_per_day == 3  # 10 points a day at 3 a click: three clicks
    assert (rules.streak_bonus_weeks, rules.streak_bonus) == (6, 40)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("points: {link_click: -1}", "points.link_click"),
        ("points: {link_click: 5, link_click_daily_cap: 3}", "at least link_click"),
        ("points: {streak_bonus: {weeks: 1, points: 10}}", "streak_bonus.weeks"),
        ("points: {badges: {gold_star: true}}", "points.badges"),
    ],
)
def test_invalid_points_rules_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(TOPICS + text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert message in str(error.value)
