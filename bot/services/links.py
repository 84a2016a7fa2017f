"""Tracked links: a broadcast's URL buttons go out as {base}/r/<token>, one token per recipient
and button. The token carries the recipient row and the button's place, signed with a key of
the bot's own (HMAC-SHA256, 80 bits kept): it can't be guessed or turned into another
recipient's, and a forged one is refused before any database work."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct

_PAYLOAD = struct.Struct(">IB")  # recipient row id (int4), button index
_MAC = 10


class LinkSigner:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC]

    def token(self, recipient_id: int, button: int) -> str:
        payload = _PAYLOAD.pack(recipient_id, button)
        return base64.urlsafe_b64encode(payload + self._mac(payload)).decode().rstrip("=")

    def read(self, token: str) -> tuple[int, int] | None:
        """(recipient row id, button index), or None for a token this bot did not make."""
        if len(token) > 40:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            return None
        if len(raw) != _PAYLOAD.size + _MAC:
            return None
        payload, mac = raw[:_PAYLOAD.size], raw[_PAYLOAD.size:]
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        recipient_id, button = _PAYLOAD.unpack(payload)
        return recipient_id, button

    def url(self, base: str, recipient_id: int, button: int, path: str = "r") -> str:
        """`path`: r for a tracked link, u for an unsubscribe link (signed with a key of its
        own, so that one can't be turned into the other)."""
        return f"{base.rstrip('/')}/{path}/{self.token(recipient_id, button)}"


UNSUBSCRIBE_PREVIEW = "preview"  # /u/preview: the page as it looks, changing nothing


def unsubscribe_preview_url(base: str) -> str:
    """Where the preview's and the test message's unsubscribe button leads."""
    return f"{base.rstrip('/')}/u/{UNSUBSCRIBE_PREVIEW}"
