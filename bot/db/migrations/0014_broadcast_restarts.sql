-- How often the delivering instance stopped (restart, crash, takeover) while a broadcast was
-- under way, and how many of its recipients that left 'unknown': the progress message says so.
ALTER TABLE message_history
    ADD COLUMN IF NOT EXISTS restarts integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS restart_unknown integer NOT NULL DEFAULT 0;
