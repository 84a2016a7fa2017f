"""What broadcasts caused: clicks on their tracked links, and what recipients and the holdout
did afterwards in the platform's own tables."""

from __future__ import annotations

import asyncpg


async def follow(pool: asyncpg.Pool, recipient_id: int, button: int) -> str | None:
    """Record a click on a recipient's link button and return where it leads (None: no such
    recipient or button). One statement: the recipient by its key, the click written."""
    row = await pool.fetchrow(
        """WITH r AS (
               SELECT r.id, r.message_id, r.user_id,
                      (SELECT b ->> 'url' FROM jsonb_array_elements(h.buttons) WITH ORDINALITY
                                                AS rows(rw, i),
                              jsonb_array_elements(rw) WITH ORDINALITY AS cells(b, j)
                       ORDER BY i, j OFFSET $2 LIMIT 1) AS url
               FROM message_recipients r JOIN message_history h ON h.id = r.message_id
               WHERE r.id = $1),
           clicked AS (
               INSERT INTO broadcast_clicks (broadcast_id, recipient_id, user_id, button)
               SELECT message_id, id, user_id, $2 FROM r WHERE url IS NOT NULL RETURNING 1)
           SELECT url, (SELECT count(*) FROM clicked) AS written FROM r""",
        recipient_id, button)
    return row["url"] if row is not None else None
