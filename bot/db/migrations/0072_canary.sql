-- Canary and circuit breaker. A large broadcast first goes to a random few of its recipients
-- (message_recipients.canary), then waits (canary_until) before the rest; canary_phase says
-- where it stands: 'sending' (only the canary is sent), 'waiting', 'stopped' (paused: too
-- many of the canary blocked the bot or failed) or 'passed' (the rest goes). stop_note keeps
-- why a broadcast was paused by the canary or the breaker, with the numbers, until it resumes.
ALTER TABLE message_history
    ADD COLUMN IF NOT EXISTS canary_phase text,
    ADD COLUMN IF NOT EXISTS canary_until timestamptz,
    ADD COLUMN IF NOT EXISTS canary_size integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS stop_note jsonb;

ALTER TABLE message_recipients
    ADD COLUMN IF NOT EXISTS canary boolean NOT NULL DEFAULT false;

CREATE INDEX IF NOT EXISTS idx_message_recipients_canary
    ON message_recipients (message_id, id) WHERE canary;
