"""Telegram's flood limits, kept on our side: one `Budget` per bot token that every request of
that token draws from (admin screens, answers to strangers, broadcasts, recalls, progress).

- Global: a sliding window of the sends of the last second, by the moment each was handed to
  the network (plus a small margin for network jitter: requests sent 1 s apart may reach
  Telegram closer together), at most `rate` free sends in it (`paid_rate` for sends with
  allow_paid_broadcast); slots granted and not yet handed over count as well.
- Per chat: a token bucket (~1 message/s with a small burst).
- A 429 holds its scope (one chat, or the whole bot) until its retry_after has passed, for
  every request of the token, and lowers the global pace; the pace then climbs back a step
  every fraction of a second (additive increase) instead of staying low for long.
- Priorities: waiting for a global slot, the admin's answers go first, then broadcasts, then
  replies to strangers.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import IntEnum
from functools import partial

from bot.metrics import Metrics


class Priority(IntEnum):
    ADMIN = 0
    BROADCAST = 1
    STRANGER = 2


# who a request is for: set per update (admin or stranger) and per engine task (broadcast)
request_priority: ContextVar[Priority] = ContextVar("request_priority", default=Priority.ADMIN)


@dataclass
class Ticket:
    """A send slot the delivery engine took from the budget for the request its task makes."""

    used: bool = False


# set by the delivery engine in a task whose send slot it already took from the budget
slot_taken: ContextVar[Ticket | None] = ContextVar("slot_taken", default=None)

GLOBAL = None  # the scope of a bot-wide 429 (a chat's scope is its id)


@dataclass(order=True)
class _Waiter:
    priority: int
    order: int
    wake: asyncio.Future[None] | None = field(default=None, compare=False)


class Budget:
    """Send slots of one bot token. `acquire` returns when a send may start."""

    SPAN_MARGIN = 0.02      # seconds added to the one-second window (latency jitter)
    PAID_SPAN_MARGIN = 0.05  # at 1000/s requests queue in the HTTP pool: more jitter
    BURST_SECONDS = 0.05    # grants may bunch up this much of a second's pace, no more
    SLOWDOWN = 0.8          # pace factor at a bot-wide 429
    MIN_FACTOR = 0.5
    RECOVERY_PER_SECOND = 0.05  # the factor climbs back this much per second after a 429
    # a short 429 at our own pace means requests met at Telegram closer than the margin
    # allowed (jitter on a busy machine or network): the margin widens, then narrows again
    MARGIN_STEP, MARGIN_MAX, MARGIN_DECAY = 0.03, 0.12, 0.002  # seconds; per second
    QUICKEST_OVER = 10.0  # seconds of answers whose quickest is the unhindered time
    WARM_UP = 1.0  # seconds over which the paid pace climbs from half to full after a pause

    def __init__(self, bot_id: str, metrics: Metrics | None = None, *, rate: float = 30.0,
                 paid_rate: float = 1000.0, chat_rate: float = 1.0, chat_burst: int = 2,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.bot_id, self.metrics, self.clock = bot_id, metrics, clock
        self.rate, self.paid_rate = rate, paid_rate
        self.chat_rate, self.chat_burst = chat_rate, chat_burst
        self.window: deque[float] = deque()
        self.blocks: dict[int | None, float] = {}
        self._chats: dict[int, tuple[float, float]] = {}  # chat -> (tokens, when)
        self._factor, self._last_429 = 1.0, -1e9
        self._jitter, self._jitter_at = 0.0, clock()  # margin learnt from 429s
        self._waiting: list[_Waiter] = []
        self._granted = 0  # slots given out whose request is not on the wire yet
        self._answers: deque[tuple[float, float]] = deque()  # (when, took): rising `took`
        self.late = 0  # answers held up on the way, counted in the window again
        self._busy_since = -1e9  # when sending resumed after a pause (see _warming)
        self._spacing = (0.0, clock())  # grant tokens: evenly spaced under the window
        self._order = itertools.count()

    # ---- pace -------------------------------------------------------------------------
    @property
    def factor(self) -> float:
        """Share of the full pace allowed now: lowered by a 429, climbing back after it."""
        since = self.clock() - self._last_429
        return min(1.0, self._factor + max(0.0, since) * self.RECOVERY_PER_SECOND)

    def current_rate(self, paid: bool = False, cap: float | None = None) -> float:
        full = self.paid_rate if paid else self.rate
        return min(full, cap or full) * self.factor * (self._warming() if paid else 1.0)

    def _warming(self) -> float:
        """The paid pace starts at half and reaches full over WARM_UP seconds after a pause:
        hundreds of connections opened at once reach Telegram bunched, before any answer
        could tell how quick an unhindered one is."""
        since = self.clock() - self._busy_since
        return min(1.0, 0.5 + 0.5 * since / self.WARM_UP)

    @property
    def blocked(self) -> bool:
        return self.block_left(GLOBAL) > 0

    def block_left(self, scope: int | None) -> float:
        return self.blocks.get(scope, 0.0) - self.clock()

    # ---- taking slots -----------------------------------------------------------------
    async def acquire(self, chat_id: int | None, priority: Priority, *, paid: bool = False,
                      cap: float | None = None) -> None:
        """Wait for the chat (its 429, its bucket), then for a global slot in priority order."""
        if chat_id is not None:
            await self.wait_chat(chat_id)
        await self._take_global(priority, paid, cap)

    async def wait_chat(self, chat_id: int) -> None:
        while True:
            blocked = self.block_left(chat_id)
            if blocked > 0:
                self._avoided(chat_id)
                await asyncio.sleep(blocked)
                continue
            now = self.clock()
            tokens, when = self._chats.get(chat_id, (float(self.chat_burst), now))
            tokens = min(float(self.chat_burst), tokens + (now - when) * self.chat_rate)
            if tokens >= 1.0:
                self._chats[chat_id] = (tokens - 1.0, now)
                self._forget_idle_chats(now)
                return
            await asyncio.sleep((1.0 - tokens) / self.chat_rate)

    async def wait_unblocked(self, chat_id: int | None = None) -> None:
        """Return once no known 429 holds the bot (or this chat)."""
        for scope in (GLOBAL, chat_id) if chat_id is not None else (GLOBAL,):
            while (left := self.block_left(scope)) > 0:
                self._avoided(scope)
                await asyncio.sleep(left)

    async def _take_global(self, priority: Priority, paid: bool, cap: float | None) -> None:
        waiter = _Waiter(int(priority), next(self._order))
        heapq.heappush(self._waiting, waiter)
        self._queue_gauge()
        try:
            while True:
                if self._waiting[0] is not waiter:
                    waiter.wake = asyncio.get_running_loop().create_future()
                    await waiter.wake
                    continue
                wait = max(self._global_wait(paid, cap), self._spacing_wait(paid, cap))
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
        finally:
            self._waiting.remove(waiter)
            heapq.heapify(self._waiting)
            self._queue_gauge()
            if self._waiting and (head := self._waiting[0].wake) is not None and not head.done():
                head.set_result(None)
        self._granted += 1
        tokens, when = self._spacing
        self._spacing = (tokens - 1.0, when)

    def _spacing_wait(self, paid: bool, cap: float | None) -> float:
        """Even spacing first: a full window let out at once would meet the tail of the
        previous second at Telegram as soon as latency jitters."""
        rate = self.current_rate(paid, cap)
        burst = max(1.0, rate * self.BURST_SECONDS)
        tokens, when = self._spacing
        now = self.clock()
        tokens = min(burst, tokens + (now - when) * rate)
        self._spacing = (tokens, now)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / rate

    def handed_off(self, granted: bool = True) -> float:
        """A send goes on the wire now (`granted`: on a slot from `acquire`); returns when."""
        if granted:
            self._granted = max(0, self._granted - 1)
        now = self.clock()
        if not self.window or self.window[-1] < now - self.WARM_UP:
            self._busy_since = now  # the first send after a pause
        self.window.append(now)
        return now

    def answered(self, sent_at: float, paid: bool = False) -> None:
        """Telegram answered a send handed off at `sent_at`. An answer slower than the
        quickest of the last seconds by more than the window's margin was held up on the way
        (a stalled machine, network or server): its request reached Telegram that much later
        than its place in the window says, bunched with the ones after it, and Telegram
        counts it in a later second. It is counted again as of now, so that the next second
        leaves room for it instead of meeting a 429."""
        now = self.clock()
        took = now - sent_at
        quickest = self._quickest(now, took)
        margin = (self.PAID_SPAN_MARGIN if paid else self.SPAN_MARGIN) + self.jitter
        if took - quickest > margin:
            self.window.append(now)
            self.late += 1

    def _quickest(self, now: float, took: float) -> float:
        """The least answer time of the last QUICKEST_OVER seconds (a monotonic queue)."""
        while self._answers and self._answers[-1][1] >= took:
            self._answers.pop()
        self._answers.append((now, took))
        while self._answers[0][0] < now - self.QUICKEST_OVER:
            self._answers.popleft()
        return self._answers[0][1]

    def give_back(self) -> None:
        """A slot from `acquire` that no request used."""
        self._granted = max(0, self._granted - 1)

    def _global_wait(self, paid: bool, cap: float | None) -> float:
        now = self.clock()
        blocked = self.block_left(GLOBAL)
        if blocked > 0:
            self._avoided(GLOBAL)
            return blocked
        span = 1.0 + (self.PAID_SPAN_MARGIN if paid else self.SPAN_MARGIN) + self.jitter
        while self.window and self.window[0] <= now - span:
            self.window.popleft()
        # `rate` sends in the longer window, not rate * span: at 1000/s that would let 1050
        # through in 1.05 s, 1050 in Telegram's second once latency jitters
        free = max(1, int(self.current_rate(paid, cap))) - self._granted
        if free <= 0:
            return 0.005  # the slots given out go on the wire in a moment
        if len(self.window) < free:
            return 0.0
        return self.window[len(self.window) - free] + span - now

    @property
    def jitter(self) -> float:
        """Margin added to the window after 429s at our own pace, narrowing with time."""
        return max(0.0, self._jitter - (self.clock() - self._jitter_at) * self.MARGIN_DECAY)

    def hold(self, seconds: float) -> None:
        """No request for a while: another process may have used this second's slots (a
        restart in the middle of a broadcast)."""
        self.blocks[GLOBAL] = max(self.blocks.get(GLOBAL, 0.0), self.clock() + seconds)

    # ---- what Telegram said -----------------------------------------------------------
    def retry_after(self, seconds: float, chat_id: int | None = None, method: str = "") -> None:
        """A 429: hold its scope. Telegram does not say which scope; it is the chat's when
        that chat was just written to while the bot as a whole was well under its pace."""
        now = self.clock()
        scope = chat_id if chat_id is not None and self._chat_busy(chat_id, now) else GLOBAL
        held = self.block_left(scope) > 0  # one of the requests that met the same 429
        self.blocks[scope] = max(self.blocks.get(scope, 0.0), now + seconds)
        if scope is GLOBAL:
            if seconds <= 2 and not held:  # a 429 at our own pace, not a storm
                self._jitter = min(self.MARGIN_MAX, self.jitter + self.MARGIN_STEP)
                self._jitter_at = now
            if now - self._last_429 > 1.0:  # one storm lowers the pace once
                self._factor = max(self.MIN_FACTOR, self.factor * self.SLOWDOWN)
                self._last_429 = now
        else:  # the chat gets one message when the hold ends, then its bucket refills
            assert chat_id is not None  # a chat's scope is its id
            self._chats[chat_id] = (1.0, now + seconds)
        if self.metrics is not None:
            self.metrics.retry_after.labels(bot=self.bot_id, method=method or "?",
                                            scope="global" if scope is GLOBAL else "chat").inc()

    def _chat_busy(self, chat_id: int, now: float) -> bool:
        tokens, when = self._chats.get(chat_id, (float(self.chat_burst), now))
        recent = sum(1 for t in self.window if t > now - 1.0)
        return tokens + (now - when) * self.chat_rate < 1.0 and recent < 0.8 * self.rate

    # ---- bookkeeping ------------------------------------------------------------------
    def _avoided(self, scope: int | None) -> None:
        if self.metrics is not None:
            self.metrics.breaches_avoided.labels(
                bot=self.bot_id, scope="global" if scope is GLOBAL else "chat").inc()

    def _queue_gauge(self) -> None:
        if self.metrics is None:
            return
        counts = {p: 0 for p in Priority}
        for waiter in self._waiting:
            counts[Priority(waiter.priority)] += 1
        for priority, count in counts.items():
            self.metrics.queue.labels(bot=self.bot_id, priority=priority.name.lower()).set(count)

    def _forget_idle_chats(self, now: float) -> None:
        if len(self._chats) > 20_000:  # a full bucket is the same as no entry
            full = self.chat_burst / self.chat_rate
            self._chats = {c: v for c, v in self._chats.items() if v[1] > now - full}
        if len(self.blocks) > 1_000:
            self.blocks = {s: t for s, t in self.blocks.items() if t > now}


class Budgets:
    """One budget per token within an app: with one bot for both roles the admin's screens
    and the delivery engine draw from the same one."""

    def __init__(self, metrics: Metrics | None = None, *, rate: float = 30.0,
                 paid_rate: float = 1000.0, chat_rate: float = 1.0, chat_burst: int = 2) -> None:
        self.metrics = metrics
        self._new = partial(Budget, metrics=metrics, rate=rate, paid_rate=paid_rate,
                            chat_rate=chat_rate, chat_burst=chat_burst)
        self._by_token: dict[str, Budget] = {}

    def for_token(self, token: str) -> Budget:
        if token not in self._by_token:
            bot_id = token.split(":", 1)[0]  # the bot's id: the public half of the token
            self._by_token[token] = self._new(bot_id)
        return self._by_token[token]
