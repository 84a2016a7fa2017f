"""The moment a request goes out, written down first: a recipient becomes 'inflight' in the
database before its request is handed to the network, so that after a crash only those whose
request may have reached Telegram are 'unknown'. The marks of requests starting together are
written in one statement (a group commit): one round trip per batch, not per message, and the
batches grow by themselves when the database is slower than the pace."""

from __future__ import annotations

import asyncio

import asyncpg

from bot.db import broadcasts as db


class WireLog:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._batch: list[tuple[int, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def mark(self, recipient_id: int) -> bool:
        """Returns once the recipient is written down as in flight: False if it was no longer
        claimed (put back meanwhile: don't send); raises if the write failed."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._batch.append((recipient_id, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="wire-log")
        return await done

    async def _write(self) -> None:
        while self._batch:
            batch, self._batch = self._batch, []
            try:
                marked = await db.on_wire(self.pool, [recipient_id for recipient_id, _ in batch])
            except Exception as exc:  # noqa: BLE001 - each waiting request gets the failure
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for recipient_id, done in batch:
                if not done.done():
                    done.set_result(recipient_id in marked)
