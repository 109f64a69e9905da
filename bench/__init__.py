"""Benchmarks of the issue "Delivery at scale": ``python -m bench [--only NAME] [--quick]``.

* ``fanout``: 10,000 DMs through one ``advocacy-bot serve`` against the fake Slack's
  workspace-wide limit on ``chat.postMessage``;
* ``crash``: the same with the sender killed (SIGKILL) twice and restarted;
* ``replicas``: three ``serve`` processes on one PostgreSQL database;
* ``expansion``: the publish transaction (INSERT … SELECT) for 100,000 ambassadors on
  PostgreSQL and SQLite.

Everything runs on 127.0.0.1; every process started is stopped at the end, even on failure.
Results and the machine are written up in ``docs/benchmarks.md``.
"""
