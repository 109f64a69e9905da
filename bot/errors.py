"""The domain's error tree.

::

    AdvocacyError                 a person did something we refuse; says which notice to show
    ├── NotACurator
    ├── NotAnAmbassador
    ├── UnknownCommand
    ├── InvalidInput              bad URL, unknown topic, text over a limit, ...
    ├── ContentNotFound
    └── NotYourSuggestion
    GatewayError                  the chat platform refused or failed a send
    ├── RateLimited               wait ``retry_after`` seconds, then try again
    └── DeliveryFailed            ``permanent`` tells whether trying again can help

Each ``AdvocacyError`` carries a notice key and parameters; the adapters render the matching
template from ``messages/`` so the person reads a polite explanation, never a stack trace.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.views import Notice


class AdvocacyError(Exception):
    """A refusal the person should be told about."""

    notice_key = "error"

    def __init__(self, detail: str = "", **params: object) -> None:
        super().__init__(detail or self.notice_key)
        self.params: Mapping[str, object] = params

    @property
    def notice(self) -> Notice:
        """The notice explaining this refusal to the person."""
        return Notice(self.notice_key, self.params)


class NotACurator(AdvocacyError):
    """Only curators may do this."""

    notice_key = "not_curator"


class NotAnAmbassador(AdvocacyError):
    """The person has not joined (or has left) the programme."""

    notice_key = "not_ambassador"


class UnknownCommand(AdvocacyError):
    """The subcommand does not exist."""

    notice_key = "unknown_command"


class InvalidInput(AdvocacyError):
    """A field is missing, malformed or over its limit; ``notice_key`` names which."""

    def __init__(self, notice_key: str, field: str | None = None, **params: object) -> None:
        self.notice_key = notice_key
        self.field = field
        super().__init__(notice_key, **params)


class ContentNotFound(AdvocacyError):
    """No content with that id."""

    notice_key = "content_not_found"


class NotYourSuggestion(AdvocacyError):
    """Someone used a button of a suggestion that was sent to somebody else."""

    notice_key = "not_your_suggestion"


class GatewayError(Exception):
    """The chat platform did not take a message."""


class RateLimited(GatewayError):
    """The platform asked us to slow down."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after}s")
        self.retry_after = retry_after


class DeliveryFailed(GatewayError):
    """The platform refused a message; ``code`` is its error (``account_inactive``...)."""

    def __init__(self, code: str, *, permanent: bool) -> None:
        super().__init__(code)
        self.code = code
        self.permanent = permanent


class NotAnAdmin(AdvocacyError):
    """Only admins may do this (manage curators, read the audit log)."""

    notice_key = "not_admin"
