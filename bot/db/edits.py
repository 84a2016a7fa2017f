"""Edits of sent broadcasts: each change of the text or buttons is a numbered version; a copy
keeps the last version applied to it (message_recipients.edit_version), so a run resumes after
a restart without editing a copy twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from bot.db.pool import Executor, transaction

# where a copy can be edited or deleted: sent, or 'unknown' with its message id turned up
HELD = "delivery_status IN ('sent', 'unknown') AND telegram_message_id IS NOT NULL"
DONE, TOO_OLD = "done", "too_old"  # a copy's outcome; anything else is Telegram's refusal


@dataclass(frozen=True)
class Edit:
    id: int
    broadcast_id: int
    version: int
    change: str  # 'text', 'buttons' or 'both'
    reason: str  # 'admin' or 'expired'
    requested_by: int | None
    status: str
    total: int
    edited: int
    too_old: int
    failures: dict[str, int]
    progress_chat_id: int | None
    progress_message_id: int | None

    @property
    def text_changed(self) -> bool:
        return self.change in ("text", "both")


_COLUMNS = """id, broadcast_id, version, change, reason, requested_by, status, total, edited,
    too_old, failures, progress_chat_id, progress_message_id"""


def _edit(row: asyncpg.Record) -> Edit:
    return Edit(**{**dict(row), "failures": dict(row["failures"] or {})})


async def request(conn: asyncpg.Connection, broadcast_id: int, *, html: str | None,
                  buttons: list[list[dict[str, Any]]] | None, links_base: str | None,
                  admin_id: int | None, reason: str = "admin") -> Edit:
    """The next version of a broadcast: its stored content becomes the new one (resends and
    previews use it) and the edit waits for the engine. The caller holds a transaction and has
    locked the broadcast's row (`lock`)."""
    change = "both" if html is not None and buttons is not None else \
        "text" if html is not None else "buttons"
    row = await conn.fetchrow(
        f"""WITH old AS (SELECT content_html, buttons FROM message_history WHERE id = $1)
            INSERT INTO broadcast_edits (broadcast_id, version, change, reason, requested_by,
                                         total, previous_html, previous_buttons)
            SELECT $1, coalesce((SELECT max(version) FROM broadcast_edits
                                 WHERE broadcast_id = $1), 0) + 1, $2, $3, $4,
                   (SELECT count(*) FROM message_recipients WHERE message_id = $1 AND {HELD}),
                   old.content_html, old.buttons
            FROM old RETURNING {_COLUMNS}""", broadcast_id, change, reason, admin_id)
    await conn.execute(
        """UPDATE message_history SET content_html = coalesce($2, content_html),
               message_text = coalesce($2, message_text), buttons = coalesce($3, buttons),
               links_base = CASE WHEN $3::jsonb IS NULL THEN links_base
                                 ELSE coalesce(links_base, $4) END,
               updated_at = now()
           WHERE id = $1""", broadcast_id, html, buttons, links_base)
    return _edit(row)


async def lock(conn: asyncpg.Connection, broadcast_id: int) -> None:
    """Hold the broadcast's row till the end of the transaction: one edit asked for at a time."""
    await conn.execute("SELECT 1 FROM message_history WHERE id = $1 FOR UPDATE", broadcast_id)


async def open_edits(pool: asyncpg.Pool) -> list[Edit]:
    """Edits asked for or under way (an instance that stopped left it 'running'), oldest first."""
    rows = await pool.fetch(f"SELECT {_COLUMNS} FROM broadcast_edits WHERE status <> 'done'"
                            " ORDER BY id")
    return [_edit(r) for r in rows]


async def get(pool: Executor, edit_id: int) -> Edit | None:
    row = await pool.fetchrow(f"SELECT {_COLUMNS} FROM broadcast_edits WHERE id = $1", edit_id)
    return _edit(row) if row else None


async def under_way(pool: Executor, broadcast_id: int) -> bool:
    return bool(await pool.fetchval("SELECT EXISTS (SELECT 1 FROM broadcast_edits"
                                    " WHERE broadcast_id = $1 AND status <> 'done')",
                                    broadcast_id))


async def made_by_admins(pool: Executor, broadcast_id: int) -> int:
    """How many times admins fixed the broadcast (offers running out are not counted)."""
    return await pool.fetchval("SELECT count(*) FROM broadcast_edits WHERE broadcast_id = $1"
                               " AND reason = 'admin'", broadcast_id)


async def set_progress_message(pool: Executor, edit_id: int, chat_id: int,
                               message_id: int) -> None:
    await pool.execute("UPDATE broadcast_edits SET progress_chat_id = $2, progress_message_id = $3"
                       " WHERE id = $1", edit_id, chat_id, message_id)


async def set_status(pool: Executor, edit_id: int, status: str) -> None:
    await pool.execute("UPDATE broadcast_edits SET status = $2,"
                       " finished_at = CASE WHEN $2 = 'done' THEN now() END WHERE id = $1",
                       edit_id, status)


async def record(pool: asyncpg.Pool, edit: Edit, recipient_ids: list[int], outcome: str) -> None:
    """These copies have had this version (edited, too old, or refused by Telegram): they are
    not tried again, and the run's figures count each of them once."""
    if not recipient_ids:
        return
    column = {DONE: "edited", TOO_OLD: "too_old"}.get(outcome)
    async with transaction(pool) as conn:
        count = len(await conn.fetch(
            "UPDATE message_recipients SET edit_version = $3 WHERE message_id = $1"
            " AND id = ANY($2::int[]) AND edit_version < $3 RETURNING id",
            edit.broadcast_id, recipient_ids, edit.version))
        if not count:
            return
        if column is not None:
            await conn.execute(f"UPDATE broadcast_edits SET {column} = {column} + $2"
                               " WHERE id = $1", edit.id, count)
        else:
            await conn.execute(
                "UPDATE broadcast_edits SET failures = failures || jsonb_build_object($2::text,"
                " coalesce((failures ->> $2)::int, 0) + $3) WHERE id = $1",
                edit.id, outcome, count)


async def details(pool: Executor, edit_id: int) -> dict[str, Any]:
    """The run's figures for the audit log."""
    edit = await get(pool, edit_id)
    assert edit is not None
    return {"version": edit.version, "change": edit.change, "edited": edit.edited,
            "too_old": edit.too_old, "failed": sum(edit.failures.values())}


async def copies(pool: Executor, broadcast_id: int, older_than: datetime) -> tuple[int, int]:
    """How many copies an edit would go to, and how many of them are too old to edit."""
    row = await pool.fetchrow(
        f"""SELECT count(*) AS held, count(*) FILTER (WHERE sent_at < $2) AS old
            FROM message_recipients WHERE message_id = $1 AND {HELD}""", broadcast_id, older_than)
    return row["held"], row["old"]
