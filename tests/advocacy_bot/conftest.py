"""The domain's world of fakes, for tests that look at what the process around it does."""

from tests.bot.conftest import (  # noqa: F401
    clock,
    fetcher,
    gateway,
    ports,
    programme,
    services,
    sleep,
    world,
)
