-- Recurring broadcasts: a series keeps the content, the audience's definition and the rule
-- (every day, chosen weekdays, or a day of the month, at a time in TIMEZONE, until a date or
-- forever). The scheduler takes each occurrence when next_at comes: in one transaction it
-- makes an ordinary broadcast of it (its audience taken afresh when it starts) and moves
-- next_at on. Every occurrence is a row of message_history with series_id set.
CREATE TABLE IF NOT EXISTS broadcast_series (
    id                serial PRIMARY KEY,
    status            text NOT NULL DEFAULT 'active'
                      CHECK (status IN ('active', 'stopped', 'ended')),
    content_type      text NOT NULL DEFAULT 'text',
    content_html      text NOT NULL DEFAULT '',
    source_file_id    text,
    buttons           jsonb NOT NULL DEFAULT '[]'::jsonb,
    unsubscribe_button boolean NOT NULL DEFAULT false,
    audience          jsonb NOT NULL,
    holdout_percent   integer NOT NULL DEFAULT 0,
    frequency_cap_off boolean NOT NULL DEFAULT false,
    quiet_hours_off   boolean NOT NULL DEFAULT false,
    frequency         text NOT NULL CHECK (frequency IN ('daily', 'weekly', 'monthly')),
    weekdays          smallint[] NOT NULL DEFAULT '{}',  -- 0 Monday .. 6 Sunday (weekly)
    month_day         smallint CHECK (month_day BETWEEN 1 AND 31),  -- (monthly)
    at_time           time NOT NULL,                     -- wall time in TIMEZONE
    until_date        date,                              -- last day it may go; NULL: forever
    next_at           timestamptz,                       -- NULL once stopped or ended
    paused            boolean NOT NULL DEFAULT false,
    skip_next         boolean NOT NULL DEFAULT false,
    draft_key         text UNIQUE,                       -- one draft makes one series
    created_by        bigint NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS idx_broadcast_series_due ON broadcast_series (next_at)
    WHERE status = 'active' AND NOT paused;

ALTER TABLE message_history
    ADD COLUMN IF NOT EXISTS series_id integer;  -- no foreign key: the platform's role owns the table
CREATE INDEX IF NOT EXISTS idx_message_history_series ON message_history (series_id)
    WHERE series_id IS NOT NULL;
