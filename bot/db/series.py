"""Recurring broadcasts (broadcast_series): the rule, the content and the audience's definition;
each occurrence becomes an ordinary broadcast (message_history.series_id). The rule's
occurrences are counted by dateutil's rrule in wall time of the zone (so 10:00 stays 10:00
across a change of the clocks)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

import asyncpg
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule

from bot.db.audiences import Audience
from bot.db.broadcasts import Content
from bot.db.pool import Executor


Frequency = Literal["daily", "weekly", "monthly"]
FREQUENCIES: tuple[Frequency, ...] = ("daily", "weekly", "monthly")
AWAITING = "awaiting_approval"  # kept for a second pair of eyes: no occurrences yet
LAST_SHARED_DAY = 28  # every month has it; from the 29th on, a shorter month takes its last day


@dataclass(frozen=True)
class Rule:
    frequency: Frequency
    at: time = time(10, 0)
    weekdays: tuple[int, ...] = ()  # 0 Monday .. 6 Sunday
    month_day: int | None = None
    until: date | None = None  # the last day it may go; None: forever

    def _rrule(self, start: datetime) -> rrule:
        """The occurrences from the day of `start` (local to its zone) on."""
        frequency: Literal[0, 1, 2, 3, 4, 5, 6] = DAILY
        weekdays: list[int] | None = None
        month_days: tuple[int, ...] | None = None
        position: int | None = None
        if self.frequency == "weekly":
            frequency, weekdays = WEEKLY, sorted(self.weekdays)
        elif self.frequency == "monthly":
            frequency, day = MONTHLY, self.month_day or 1
            # past the 28th: that day, or a shorter month's last one (the first of the two)
            month_days, position = ((day,), None) if day <= LAST_SHARED_DAY else ((day, -1), 1)
        until = datetime.combine(self.until, time(23, 59, 59), start.tzinfo) \
            if self.until else None
        return rrule(frequency, dtstart=start.replace(hour=0, minute=0, second=0, microsecond=0),
                     until=until, byweekday=weekdays, bymonthday=month_days, bysetpos=position,
                     byhour=self.at.hour, byminute=self.at.minute, bysecond=0, cache=False)

    def upcoming(self, after: datetime, tz: ZoneInfo, count: int = 3) -> list[datetime]:
        """The next `count` occurrences strictly after the moment `after`, in UTC."""
        local = after.astimezone(tz)
        found: list[datetime] = []
        for moment in self._rrule(local):
            if moment > local:
                found.append(moment.astimezone(UTC))
                if len(found) == count:
                    break
        return found

    def next_after(self, after: datetime, tz: ZoneInfo) -> datetime | None:
        """The first occurrence after `after` (UTC); None once the rule has ended."""
        found = self.upcoming(after, tz, 1)
        return found[0] if found else None

    @property
    def complete(self) -> bool:
        """Whether the admin has said everything the frequency needs."""
        if self.frequency == "weekly":
            return bool(self.weekdays)
        if self.frequency == "monthly":
            return self.month_day is not None
        return True

    @property
    def shorter_months(self) -> bool:
        """A day of the month some months lack: those take their last day."""
        return self.frequency == "monthly" and (self.month_day or 0) > LAST_SHARED_DAY

    def at_time(self, at: time) -> Rule:
        return replace(self, at=at)

    def toggled(self, weekday: int) -> Rule:
        days = set(self.weekdays) ^ {weekday}
        return replace(self, weekdays=tuple(sorted(days)))

    def to_json(self) -> dict[str, Any]:
        return {"frequency": self.frequency, "at": self.at.strftime("%H:%M"),
                "weekdays": list(self.weekdays), "month_day": self.month_day,
                "until": self.until.isoformat() if self.until else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rule:
        frequency = data.get("frequency")
        if frequency not in FREQUENCIES:
            raise ValueError(f"unknown frequency {frequency!r}")
        hour, minute = (int(part) for part in str(data.get("at") or "10:00").split(":"))
        until = data.get("until")
        return cls(frequency, time(hour, minute), tuple(int(d) for d in data.get("weekdays") or ()),
                   data.get("month_day"), date.fromisoformat(until) if until else None)


@dataclass(frozen=True)
class Series:
    id: int
    status: str  # active, stopped, ended, awaiting_approval
    content: Content
    audience: Audience
    rule: Rule
    next_at: datetime | None
    paused: bool
    skip_next: bool
    created_by: int
    holdout_percent: int = 0
    frequency_cap_off: bool = False
    quiet_hours_off: bool = False


COLUMNS = """id, status, content_type, content_html, source_file_id, buttons, unsubscribe_button,
    audience, frequency, at_time, weekdays, month_day, until_date, next_at, paused, skip_next,
    created_by, holdout_percent, frequency_cap_off, quiet_hours_off"""


def _from_row(row: asyncpg.Record) -> Series:
    buttons = tuple(tuple((b["text"], b["url"]) for b in r) for r in row["buttons"] or [])
    content = Content(row["content_type"], row["content_html"], row["source_file_id"], buttons,
                      row["unsubscribe_button"])
    rule = Rule(row["frequency"], row["at_time"], tuple(row["weekdays"] or ()), row["month_day"],
                row["until_date"])
    return Series(row["id"], row["status"], content, Audience.from_json(row["audience"]), rule,
                  row["next_at"], row["paused"], row["skip_next"], row["created_by"],
                  row["holdout_percent"], row["frequency_cap_off"], row["quiet_hours_off"])


async def create(db: Executor, content: Content, audience: Audience, rule: Rule,
                 next_at: datetime, created_by: int, *, draft_key: str | None = None,
                 holdout_percent: int = 0, frequency_cap_off: bool = False,
                 quiet_hours_off: bool = False, awaiting_approval: bool = False
                 ) -> tuple[int, bool]:
    """A new active series (or one awaiting approval); (id, created): a draft_key already
    used gives its series, False."""
    new_id = await db.fetchval(
        """INSERT INTO broadcast_series (content_type, content_html, source_file_id, buttons,
               unsubscribe_button, audience, frequency, at_time, weekdays, month_day, until_date,
               next_at, created_by, draft_key, holdout_percent, frequency_cap_off,
               quiet_hours_off, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                   $18)
           ON CONFLICT (draft_key) DO NOTHING RETURNING id""",
        content.kind, content.html, content.source_file_id, content.buttons_json(),
        content.unsubscribe, audience.to_json(), rule.frequency, rule.at, list(rule.weekdays),
        rule.month_day, rule.until, next_at, created_by, draft_key, holdout_percent,
        frequency_cap_off, quiet_hours_off, AWAITING if awaiting_approval else "active")
    if new_id is not None:
        return new_id, True
    return await db.fetchval("SELECT id FROM broadcast_series WHERE draft_key = $1",
                             draft_key), False


async def get(db: Executor, series_id: int) -> Series | None:
    row = await db.fetchrow(f"SELECT {COLUMNS} FROM broadcast_series WHERE id = $1", series_id)
    return _from_row(row) if row else None


async def active(db: Executor) -> list[Series]:
    """Series still going (paused ones too) or waiting for approval, the soonest first."""
    rows = await db.fetch(f"SELECT {COLUMNS} FROM broadcast_series"
                          " WHERE status IN ('active', 'awaiting_approval')"
                          " ORDER BY paused, next_at, id")
    return [_from_row(r) for r in rows]


async def take_due(conn: asyncpg.Connection, now: datetime) -> Series | None:
    """One series whose occurrence is due, locked for this transaction; another instance's
    look skips it (and finds it moved on once this one commits)."""
    row = await conn.fetchrow(
        f"""SELECT {COLUMNS} FROM broadcast_series
            WHERE status = 'active' AND NOT paused AND next_at <= $1
            ORDER BY next_at, id LIMIT 1 FOR UPDATE SKIP LOCKED""", now)
    return _from_row(row) if row else None


async def advance(conn: asyncpg.Connection, series: Series, next_at: datetime | None) -> bool:
    """Move the series on from the occurrence it was due at (clearing «skip the next one»);
    no next occurrence ends it. False if it had moved already."""
    result = await conn.execute(
        """UPDATE broadcast_series SET next_at = $3, skip_next = false, updated_at = now(),
               status = CASE WHEN $3::timestamptz IS NULL THEN 'ended' ELSE status END
           WHERE id = $1 AND next_at = $2 AND status = 'active'""",
        series.id, series.next_at, next_at)
    return result.endswith(" 1")


async def link(conn: asyncpg.Connection, broadcast_id: int, series_id: int) -> None:
    await conn.execute("UPDATE message_history SET series_id = $2 WHERE id = $1",
                       broadcast_id, series_id)


async def of_broadcast(db: Executor, broadcast_id: int) -> Series | None:
    """The series a broadcast is an occurrence of."""
    row = await db.fetchrow(
        f"""SELECT {COLUMNS} FROM broadcast_series
            WHERE id = (SELECT series_id FROM message_history WHERE id = $1)""", broadcast_id)
    return _from_row(row) if row else None


async def set_paused(db: Executor, series_id: int, paused: bool,
                     next_at: datetime | None = None) -> bool:
    """Pause, or resume from `next_at` (the rule's next occurrence from now)."""
    result = await db.execute(
        """UPDATE broadcast_series SET paused = $2, next_at = coalesce($3, next_at),
               updated_at = now()
           WHERE id = $1 AND status = 'active' AND paused <> $2""", series_id, paused, next_at)
    return result.endswith(" 1")


async def set_skip_next(db: Executor, series_id: int, skip: bool) -> bool:
    result = await db.execute(
        """UPDATE broadcast_series SET skip_next = $2, updated_at = now()
           WHERE id = $1 AND status = 'active' AND skip_next <> $2""", series_id, skip)
    return result.endswith(" 1")


async def set_rule(db: Executor, series_id: int, rule: Rule, next_at: datetime | None) -> bool:
    """A new rule (a new time, say) and the next occurrence it gives."""
    result = await db.execute(
        """UPDATE broadcast_series SET frequency = $2, at_time = $3, weekdays = $4,
               month_day = $5, until_date = $6, next_at = $7, skip_next = false,
               updated_at = now()
           WHERE id = $1 AND status = 'active'""",
        series_id, rule.frequency, rule.at, list(rule.weekdays), rule.month_day, rule.until,
        next_at)
    return result.endswith(" 1")


async def set_content(db: Executor, series_id: int, content: Content) -> bool:
    """New content for the occurrences to come (its buttons stay as they were)."""
    result = await db.execute(
        """UPDATE broadcast_series SET content_type = $2, content_html = $3, source_file_id = $4,
               updated_at = now()
           WHERE id = $1 AND status = 'active'""",
        series_id, content.kind, content.html, content.source_file_id)
    return result.endswith(" 1")


async def stop(db: Executor, series_id: int) -> bool:
    result = await db.execute(
        """UPDATE broadcast_series SET status = 'stopped', next_at = NULL, updated_at = now()
           WHERE id = $1 AND status = 'active'""", series_id)
    return result.endswith(" 1")


async def occurrences(db: Executor, series_id: int) -> int:
    """How many broadcasts the series has made so far."""
    count: int = await db.fetchval("SELECT count(*) FROM message_history WHERE series_id = $1",
                                   series_id)
    return count


# ---- four eyes ------------------------------------------------------------------------------

async def approve(db: Executor, series_id: int, by: int, next_at: datetime | None
                  ) -> int | None:
    """Activate it from `next_at` (the rule's next occurrence from now: none missed while it
    waited is sent late), unless it is not waiting any more or `by` is its author; its
    author's id. Atomic: of two approvers at once, one activates it."""
    author: int | None = await db.fetchval(
        """UPDATE broadcast_series SET status = 'active', approved_by = $2, next_at = $3,
               updated_at = now()
           WHERE id = $1 AND status = 'awaiting_approval' AND created_by IS DISTINCT FROM $2
           RETURNING created_by""", series_id, by, next_at)
    return author


async def reject(db: Executor, series_id: int, by: int, reason: str) -> int | None:
    """Stop it with the reason (the same conditions as approve); its author's id."""
    author: int | None = await db.fetchval(
        """UPDATE broadcast_series SET status = 'stopped', approved_by = $2,
               rejection_reason = $3, next_at = NULL, updated_at = now()
           WHERE id = $1 AND status = 'awaiting_approval' AND created_by IS DISTINCT FROM $2
           RETURNING created_by""", series_id, by, reason)
    return author


async def decided_by(db: Executor, series_id: int) -> tuple[str, int | None]:
    """(status, who approved or rejected it) of a series."""
    row = await db.fetchrow("SELECT status, approved_by FROM broadcast_series WHERE id = $1",
                            series_id)
    return (row["status"], row["approved_by"]) if row else ("", None)
