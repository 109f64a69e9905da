"""The domain's fixtures (a world of fakes), shared with the scheduler's tests."""

from tests.bot.conftest import clock, fetcher, gateway, ports, programme, services, sleep, world  # noqa: F401
