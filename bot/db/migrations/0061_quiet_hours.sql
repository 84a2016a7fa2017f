-- Quiet hours: no broadcast goes out in them (QUIET_HOURS, in TIMEZONE). The delivery engine
-- decides from the clock; quiet_until says a broadcast is waiting and till when (shown in its
-- progress, and so that each pause and resume is written to the audit log once). The author
-- may send one broadcast through them (quiet_hours_off).
ALTER TABLE message_history
    ADD COLUMN IF NOT EXISTS quiet_hours_off boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS quiet_until timestamptz;
