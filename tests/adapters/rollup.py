"""The leaderboards' rollup, run by an end-to-end test as the job runs it."""

from __future__ import annotations

from datetime import timedelta

from bot.leaderboard import LeaderboardService


async def rolled_up(leaderboard: LeaderboardService) -> int:
    """Awards the rollup applied, run as the job does. The runtime's own job may have run
    first (it fires every minute): then its state only knew the awards before, and one more
    run applies the rest."""
    return sum([await leaderboard.roll_up(settle=timedelta(0)) for _ in range(2)])
