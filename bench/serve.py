"""``advocacy-bot serve`` with the sender's claim lock set from ``BENCH_LOCK_FOR_SECONDS``.

``SenderSettings.lock_for`` (how long a claimed row stays invisible to other senders; 2
minutes by default) is not configurable from config.yaml yet, so the crash benchmark can only
show what a shorter lock would change through this wrapper. Everything else is the real
command: the same CLI, composition root and config.yaml. Used only with ``--lock-for``.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from datetime import timedelta

import advocacy_bot.main as wiring
from advocacy_bot.cli import main as cli_main
from advocacy_bot.settings import Config, build_sender_settings
from bot.sender import SenderSettings


def main() -> int:
    lock_for = timedelta(seconds=float(os.environ["BENCH_LOCK_FOR_SECONDS"]))

    def with_lock(config: Config) -> SenderSettings:
        return dataclasses.replace(build_sender_settings(config), lock_for=lock_for)

    # The composition root imported the function by name: replace it there.
    vars(wiring)["build_sender_settings"] = with_lock
    return cli_main(sys.argv[1:] or ["serve"])


if __name__ == "__main__":
    sys.exit(main())
