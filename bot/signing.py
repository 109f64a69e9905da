"""Signed, expiring links: an HMAC-SHA256 over (purpose, subject, expiry).

Reusable for any download the bot serves to one person without a login (the personal data
export today; curators' CSV exports later). The purpose is part of what is signed, so a
token made for one kind of link is refused by every other kind.

Token format (URL-safe, no padding):
``<base64url(subject)>.<expiry, unix seconds>.<base64url(mac)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import UTC, datetime

MIN_SECRET_BYTES = 32


class LinkInvalid(Exception):
    """The token is malformed or its signature does not match (tampered, or another secret)."""


class LinkExpired(Exception):
    """The token is genuine but its time is up."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise LinkInvalid("not base64") from error


def random_secret() -> bytes:
    """A fresh secret for one process (links then die with it)."""
    return secrets.token_bytes(MIN_SECRET_BYTES)


class LinkSigner:
    """Signs and verifies expiring tokens with one secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("a link secret needs at least 16 bytes")
        self._secret = secret

    def _mac(self, purpose: str, subject: str, expires: int) -> bytes:
        message = f"{purpose}\n{subject}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def sign(self, purpose: str, subject: str, expires_at: datetime) -> str:
        """A token for ``subject`` valid for ``purpose`` until ``expires_at``.

        Args:
            purpose: what the link is for (``"my-data"``); a token never verifies for another.
            subject: who or what the link is about (opaque to this class).
            expires_at: an aware moment after which the token is refused.
        """
        expires = int(expires_at.astimezone(UTC).timestamp())
        encoded = _b64(subject.encode())
        return f"{encoded}.{expires}.{_b64(self._mac(purpose, encoded, expires))}"

    def verify(self, purpose: str, token: str, now: datetime) -> str:
        """The subject of a genuine, unexpired token.

        Raises:
            LinkInvalid: malformed, tampered with, or signed for another purpose or secret.
            LinkExpired: genuine, but past its expiry.
        """
        parts = token.split(".")
        if len(parts) != 3 or len(token) > 2_000 or not parts[1].isdigit():
            raise LinkInvalid("malformed")
        encoded, expires_text, mac = parts
        expected = self._mac(purpose, encoded, int(expires_text))
        if not hmac.compare_digest(_unb64(mac), expected):
            raise LinkInvalid("bad signature")
        if int(expires_text) <= int(now.timestamp()):
            raise LinkExpired("expired")
        try:
            return _unb64(encoded).decode()
        except UnicodeDecodeError as error:
            raise LinkInvalid("bad subject") from error
