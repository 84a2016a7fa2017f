"""One pace for all sending: evenly spaced requests, a full stop while a 429's retry_after
runs, a slower pace for a while after it, and ~1 s between two messages to one chat."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class Pacer:
    """Hands out send slots. `wait_turn` returns when a request may start."""

    SLOWDOWN = 0.8          # pace factor applied at each 429
    MIN_FACTOR = 0.5
    RECOVERY_SECONDS = 30.0  # after the last 429, the pace creeps back up

    def __init__(self, rate: float, paid_rate: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.paid_rate = paid_rate
        self.clock = clock
        self.factor = 1.0
        self.blocked_until = 0.0
        self._next_slot = 0.0
        self._last_429 = -1e9

    def current_rate(self, paid: bool = False) -> float:
        self._recover()
        return (self.paid_rate if paid else self.rate) * self.factor

    def _recover(self) -> None:
        if self.factor < 1.0 and self.clock() - self._last_429 > self.RECOVERY_SECONDS:
            self.factor = min(1.0, self.factor / self.SLOWDOWN)
            self._last_429 = self.clock() - self.RECOVERY_SECONDS / 2  # one step per 15 s

    async def wait_turn(self, paid: bool = False) -> None:
        interval = 1.0 / self.current_rate(paid)
        now = self.clock()
        slot = max(self._next_slot, now, self.blocked_until)
        self._next_slot = slot + interval
        if slot > now:
            await asyncio.sleep(slot - now)
        await self.wait_unblocked()

    async def wait_unblocked(self) -> None:
        """Return once no 429's retry_after is running (at once if none is)."""
        while self.clock() < self.blocked_until:
            await asyncio.sleep(self.blocked_until - self.clock())

    def retry_after(self, seconds: float) -> None:
        """Telegram said 429: stop everything for `seconds`, then go on more slowly."""
        now = self.clock()
        self.blocked_until = max(self.blocked_until, now + seconds)
        self._next_slot = max(self._next_slot, self.blocked_until)
        if now - self._last_429 > 1.0:  # one storm lowers the pace once
            self.factor = max(self.MIN_FACTOR, self.factor * self.SLOWDOWN)
        self._last_429 = now

    @property
    def blocked(self) -> bool:
        return self.clock() < self.blocked_until


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
