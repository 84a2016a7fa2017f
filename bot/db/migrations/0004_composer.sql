-- FSM state (flows such as composing a broadcast) kept in the database.
CREATE TABLE IF NOT EXISTS fsm_states (
    key        text PRIMARY KEY,
    state      text,
    data       jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The draft a broadcast was made from: pressing Send twice (or two admins pressing it)
-- finds the broadcast already made instead of making a second one.
ALTER TABLE message_history ADD COLUMN IF NOT EXISTS draft_key text;
CREATE UNIQUE INDEX IF NOT EXISTS uq_message_history_draft_key
    ON message_history (draft_key) WHERE draft_key IS NOT NULL;

-- Scheduled broadcasts that fall due are found by time.
CREATE INDEX IF NOT EXISTS idx_message_history_due
    ON message_history (scheduled_at) WHERE status = 'scheduled';
