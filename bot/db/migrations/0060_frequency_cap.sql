-- Frequency cap: a student who got K broadcasts within H hours is skipped. The skipped are
-- recorded with delivery_status 'capped' when sending starts (never sent, never resent); the
-- author may turn the cap off for one broadcast.
ALTER TABLE message_history
    ADD COLUMN IF NOT EXISTS frequency_cap_off boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS capped_count integer NOT NULL DEFAULT 0;

-- who got what recently: delivered rows by the time they were delivered (the platform's own
-- rows have only created_at)
CREATE INDEX IF NOT EXISTS idx_message_recipients_delivered_at
    ON message_recipients ((coalesce(sent_at, created_at)), user_id)
    WHERE delivery_status = 'sent';
