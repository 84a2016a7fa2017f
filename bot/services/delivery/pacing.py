"""~1 s between two broadcast messages to one chat (the pace itself is the bot's budget,
bot/services/limits.py, shared with every other request of the token)."""

from __future__ import annotations

import time
from collections.abc import Callable


class ChatSpacing:
    """Remembers when each chat last got a message, to keep ~1 s between two."""

    def __init__(self, gap: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.gap = gap
        self.clock = clock
        self._last: dict[int, float] = {}

    def wait_for(self, chat_id: int) -> float:
        """Seconds until this chat may get another message (0 if now)."""
        last = self._last.get(chat_id)
        return 0.0 if last is None else max(0.0, last + self.gap - self.clock())

    def sent(self, chat_id: int) -> None:
        now = self.clock()
        self._last[chat_id] = now
        if len(self._last) > 10_000:  # forget chats whose gap has long passed
            self._last = {c: t for c, t in self._last.items() if t > now - self.gap}
