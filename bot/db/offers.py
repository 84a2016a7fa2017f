"""Offers that expire: broadcasts with a URL button whose end time has passed and that still
show it (the buttons' JSON in message_history is the single source of truth)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.db.pool import Executor

# a button still shown whose offer has an end (the partial index of migration 0071)
_OPEN_OFFER = "jsonb_path_exists(buttons, '$[*][*] ? (exists(@.until) && !exists(@.gone))')"


async def ended(pool: Executor, now: datetime) -> list[int]:
    """Broadcasts showing a button whose offer ended by `now`, oldest first."""
    rows = await pool.fetch(
        f"""SELECT h.id FROM message_history h
            WHERE {_OPEN_OFFER} AND EXISTS (
                SELECT 1 FROM jsonb_array_elements(h.buttons) r, jsonb_array_elements(r) b
                WHERE b ? 'until' AND NOT b ? 'gone' AND (b ->> 'until')::timestamptz <= $1)
            ORDER BY h.id""", now)
    return [r["id"] for r in rows]


async def set_buttons(pool: Executor, broadcast_id: int,
                      buttons: list[list[dict[str, Any]]]) -> None:
    """The buttons of a broadcast no copy of which can be edited (not sent, or recalled)."""
    await pool.execute("UPDATE message_history SET buttons = $2, updated_at = now()"
                       " WHERE id = $1", broadcast_id, buttons)
