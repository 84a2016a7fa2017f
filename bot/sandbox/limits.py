"""Telegram's flood limits as the emulator enforces them, and the faults it can inject."""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class LimitConfig:
    per_second: int = 30          # sends per second across chats, one bot
    paid_per_second: int = 1000   # the same for requests with allow_paid_broadcast
    chat_per_second: float = 1.0  # refill of one chat's bucket
    chat_burst: int = 3           # a private chat tolerates a short burst
    count_edits: bool = False     # edits of messages count against the same limits


@dataclass
class _Block:
    until: float
    known_at: float | None = None  # when the client received the 429


@dataclass
class SendLimiter:
    """Sliding one-second window per bot and a token bucket per chat. A refusal blocks the
    bot (global flood) or that chat (chat flood) until its retry_after has passed; a send
    that arrives while the client already knows of a pending retry_after is a breach."""

    config: LimitConfig = field(default_factory=LimitConfig)
    clock: Callable[[], float] = time.monotonic
    window: deque[float] = field(default_factory=deque)
    chat_tokens: dict[int, tuple[float, float]] = field(default_factory=dict)
    blocks: dict[int | None, _Block] = field(default_factory=dict)  # None: the whole bot
    breaches: int = 0
    too_many: int = 0
    # how late after the 429 reached the client a request may arrive and still have been
    # in flight (the emulator sets it to its injected latency plus 0.1 s: client and
    # emulator may share one busy event loop)
    grace: float = 0.02

    def check(self, chat_id: int, paid: bool = False, arrived: float | None = None) -> int | None:
        """Record one send; return retry_after (seconds) if it must be refused. The window
        counts sends by `arrived`, when the request reached the emulator (Telegram counts
        them as they reach it): the emulator's own delays before it gets to the check (its
        injected latency, its event loop under load) must not bunch them up."""
        now = self.clock()
        at = now if arrived is None else min(arrived, now)
        for key in (None, chat_id):
            block = self.blocks.get(key)
            if block is not None and now < block.until:
                if block.known_at is not None and now > block.known_at + self.grace:
                    self.breaches += 1
                self.too_many += 1
                self._last_refused = key
                return max(1, math.ceil(block.until - now))
        while self.window and self.window[0] <= at - 1.0:
            self.window.popleft()
        limit = self.config.paid_per_second if paid else self.config.per_second
        if len(self.window) >= limit:
            return self._refuse(None, now, self.window[0] + 1.0 - at)
        tokens, last = self.chat_tokens.get(chat_id, (float(self.config.chat_burst), now))
        tokens = min(self.config.chat_burst, tokens + (now - last) * self.config.chat_per_second)
        if tokens < 1.0:
            return self._refuse(chat_id, now, (1.0 - tokens) / self.config.chat_per_second)
        self.chat_tokens[chat_id] = (tokens - 1.0, now)
        self.window.append(at)
        return None

    def _refuse(self, key: int | None, now: float, wait: float) -> int:
        retry_after = max(1, math.ceil(wait))
        self.blocks[key] = _Block(now + retry_after)
        self._last_refused = key
        self.too_many += 1
        return retry_after

    def response_delivered(self) -> None:
        """The last 429 reached the client: sending into its block is a breach from now on."""
        block = self.blocks.get(getattr(self, "_last_refused", None))
        if block is not None and block.known_at is None:
            block.known_at = self.clock()


@dataclass
class FaultPlan:
    """Faults injected into one bot's API calls (methods=None means every method)."""

    latency: float = 0.0           # seconds added before each answer
    server_error_rate: float = 0.0  # probability of a 5xx answer
    server_errors_next: int = 0     # the next N calls answer 5xx
    drop_rate: float = 0.0          # probability of closing the connection without an answer
    drop_next: int = 0
    drop_after_processing: bool = True  # a dropped send still reaches the chat
    methods: set[str] | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    # a flood-wait storm: until storm_until (monotonic) every send is refused with this
    # retry_after, whatever the pace; a send into a retry_after already answered is a breach
    storm_until: float = 0.0
    storm_retry_after: int = 5
    storm_told_until: float = 0.0
    storm_known_from: float = 0.0
    storm_refused: int = 0

    def applies(self, method: str) -> bool:
        return self.methods is None or method.lower() in self.methods

    def storm(self, now: float, grace: float) -> tuple[int | None, bool]:
        """(retry_after to answer, or None; whether this send breaks a retry_after told: it
        came after the client had the answer, `grace` after it left, and before its end)."""
        breach = self.storm_known_from <= now < self.storm_told_until
        if now >= self.storm_until:
            return None, breach
        if now >= self.storm_told_until:  # a new retry_after, known to the client soon
            self.storm_known_from = now + grace
        self.storm_told_until = max(self.storm_told_until, now + self.storm_retry_after)
        self.storm_refused += 1
        return self.storm_retry_after, breach

    def take_server_error(self, method: str) -> bool:
        return self._take(method, "server_errors_next", self.server_error_rate)

    def take_drop(self, method: str) -> bool:
        return self._take(method, "drop_next", self.drop_rate)

    def _take(self, method: str, countdown: str, rate: float) -> bool:
        """Whether this call gets the fault: first the next-N countdown, then the rate."""
        if not self.applies(method):
            return False
        if getattr(self, countdown) > 0:
            setattr(self, countdown, getattr(self, countdown) - 1)
            return True
        return rate > 0 and self.rng.random() < rate
