"""Names of the platform's event types (the bot's own table `event_labels`), in Russian and
English; a code without a name is shown as it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import asyncpg

from bot.db.pool import Executor

Language = Literal["ru", "en"]


@dataclass(frozen=True)
class EventLabel:
    code: str
    ru: str | None
    en: str | None


async def all_labels(db: Executor) -> dict[str, EventLabel]:
    """Every named code: a small table, read whole for each screen that shows events."""
    rows = await db.fetch("SELECT code, label_ru, label_en FROM event_labels ORDER BY code")
    return {r["code"]: EventLabel(r["code"], r["label_ru"], r["label_en"]) for r in rows}


async def unnamed_codes(db: Executor, limit: int = 30) -> list[str]:
    """Codes the platform has written (as the statistics' summaries have read them) that have
    no name yet, the most frequent first."""
    rows = await db.fetch(
        """SELECT d.event_type FROM daily_events d
           WHERE d.event_type <> ''
             AND NOT EXISTS (SELECT 1 FROM event_labels l WHERE l.code = d.event_type)
           GROUP BY d.event_type ORDER BY sum(d.events) DESC, d.event_type LIMIT $1""", limit)
    return [r["event_type"] for r in rows]


async def set_label(conn: asyncpg.Connection, code: str, language: Language, label: str
                    ) -> str | None:
    """Name a code in one language (the other one's name stays); returns the name it had in
    that language before, None if it had none."""
    column = {"ru": "label_ru", "en": "label_en"}[language]  # one of two fixed names
    before = await conn.fetchrow(
        f"SELECT {column} AS label FROM event_labels WHERE code = $1 FOR UPDATE", code)
    await conn.execute(
        f"""INSERT INTO event_labels (code, {column}) VALUES ($1, $2)
            ON CONFLICT (code) DO UPDATE SET {column} = EXCLUDED.{column}""", code, label)
    return before["label"] if before else None
