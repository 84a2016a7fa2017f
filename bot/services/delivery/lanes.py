"""A lane: one broadcast being delivered, with the recipients claimed for it."""

from __future__ import annotations

import heapq
import itertools
import time
from collections import deque
from dataclasses import dataclass, field

from bot.db.broadcasts import Recipient
from bot.services.delivery.sender import PreparedContent

_order = itertools.count()


@dataclass
class Lane:
    content: PreparedContent
    queue: deque[Recipient] = field(default_factory=deque)  # claimed, not requested yet
    # (ready_at, order, recipient, attempt): retries after a delay, or waiting for chat spacing
    deferred: list[tuple[float, int, Recipient, int]] = field(default_factory=list)
    outstanding: int = 0   # claimed (in flight in the database) and not written back yet
    exhausted: bool = False  # the last claim found no more pending recipients
    tries: dict[int, int] = field(default_factory=dict)  # recipient id -> requests made now
    canary_only: bool = False  # the broadcast's canary goes first: claim only its recipients

    @property
    def id(self) -> int:
        assert self.content.broadcast_id is not None
        return self.content.broadcast_id

    @property
    def paid(self) -> bool:
        return self.content.paid

    def defer(self, recipient: Recipient, attempt: int, delay: float) -> None:
        heapq.heappush(self.deferred, (time.monotonic() + delay, next(_order), recipient, attempt))

    def next_ready(self) -> tuple[Recipient, int] | None:
        """A recipient whose turn has come: a due retry first, then the queue."""
        if self.deferred and self.deferred[0][0] <= time.monotonic():
            _, _, recipient, attempt = heapq.heappop(self.deferred)
            return recipient, attempt
        if self.queue:
            return self.queue.popleft(), 1
        return None

    def next_deferred_in(self) -> float | None:
        return max(0.0, self.deferred[0][0] - time.monotonic()) if self.deferred else None

    def drain_unstarted(self) -> list[int]:
        """Everything claimed but not requested (to put back when the lane stops)."""
        ids = [r.id for r in self.queue] + [item[2].id for item in self.deferred]
        self.queue.clear()
        self.deferred.clear()
        self.outstanding -= len(ids)
        return ids

    @property
    def idle(self) -> bool:
        return not self.queue and not self.deferred and self.outstanding == 0 and self.exhausted
