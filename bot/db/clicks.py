"""Clicks on tracked link buttons: looked up and recorded in batches, each reader sent on once
their click is written."""

from __future__ import annotations

import asyncio

import asyncpg


# the URL of the button at a place counted row by row (0 = the first button of the first row)
_BUTTON_URL = """(SELECT u.url FROM (
                      SELECT b ->> 'url' AS url, row_number() OVER (ORDER BY i, j) - 1 AS place
                      FROM jsonb_array_elements(h.buttons) WITH ORDINALITY AS rows(rw, i),
                           jsonb_array_elements(rw) WITH ORDINALITY AS cells(b, j)) u
                  WHERE u.place = {button})"""


_FOLLOW_MANY = f"""
    WITH c AS (SELECT * FROM unnest($1::int[], $2::int[]) WITH ORDINALITY
                             AS c(recipient_id, button, n)),
    r AS (
        SELECT c.n, r.id, r.message_id, r.user_id, c.button,
               {_BUTTON_URL.format(button="c.button")} AS url
        FROM c JOIN message_recipients r ON r.id = c.recipient_id
        JOIN message_history h ON h.id = r.message_id),
    clicked AS (
        INSERT INTO broadcast_clicks (broadcast_id, recipient_id, user_id, button)
        SELECT message_id, id, user_id, button FROM r WHERE url IS NOT NULL)
    SELECT n, url FROM r"""


class ClickLog:
    """Clicks arriving together written in one statement (a group commit, as the delivery
    engine writes its in-flight marks): one round trip and one commit per batch, not per
    click, and the batches grow by themselves when the database is slower than the clicks.
    Each click is written before its reader is sent on."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._batch: list[tuple[int, int, asyncio.Future[str | None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def follow(self, recipient_id: int, button: int) -> str | None:
        """Record a click on a recipient's link button and return where it leads, once the
        click is written (None: no such recipient or button); raises if the write failed."""
        done: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._batch.append((recipient_id, button, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="click-log")
        return await done

    async def _write(self) -> None:
        while self._batch:
            batch, self._batch = self._batch, []
            try:
                rows = await self.pool.fetch(_FOLLOW_MANY, [r for r, _, _ in batch],
                                             [b for _, b, _ in batch])
            except Exception as exc:  # noqa: BLE001 - each waiting click gets the failure
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            urls = {r["n"]: r["url"] for r in rows}
            for n, (_, _, done) in enumerate(batch, start=1):
                if not done.done():
                    done.set_result(urls.get(n))
