-- Durable broadcasts: the platform's message_history / message_recipients rows, plus the
-- columns the delivery engine needs. Existing rows are history: they become 'done'.

ALTER TABLE message_history
    ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'done',
    ADD COLUMN IF NOT EXISTS content_type text NOT NULL DEFAULT 'text',
    ADD COLUMN IF NOT EXISTS content_html text,
    ADD COLUMN IF NOT EXISTS source_file_id text,   -- file_id in the admin bot
    ADD COLUMN IF NOT EXISTS file_id text,          -- file_id in the broadcast bot, once carried over
    ADD COLUMN IF NOT EXISTS buttons jsonb NOT NULL DEFAULT '[]'::jsonb,
    ADD COLUMN IF NOT EXISTS audience jsonb,
    ADD COLUMN IF NOT EXISTS created_by bigint,
    ADD COLUMN IF NOT EXISTS allow_paid_broadcast boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS started_at timestamptz,
    ADD COLUMN IF NOT EXISTS finished_at timestamptz,
    ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS sent_count integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS failed_count integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS blocked_count integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS unknown_count integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS deleted_count integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS progress_chat_id bigint,
    ADD COLUMN IF NOT EXISTS progress_message_id integer,
    ADD COLUMN IF NOT EXISTS recall_status text;    -- NULL, requested, running, done

ALTER TABLE message_history DROP CONSTRAINT IF EXISTS message_history_status_check;
ALTER TABLE message_history ADD CONSTRAINT message_history_status_check
    CHECK (status IN ('draft', 'scheduled', 'sending', 'paused', 'cancelled', 'done'));

CREATE INDEX IF NOT EXISTS idx_message_history_active ON message_history (status)
    WHERE status IN ('scheduled', 'sending', 'paused') OR recall_status IN ('requested', 'running');

ALTER TABLE message_recipients
    ADD COLUMN IF NOT EXISTS first_name text,
    ADD COLUMN IF NOT EXISTS error text,
    ADD COLUMN IF NOT EXISTS attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS sent_at timestamptz;

-- not UNIQUE: the platform's older rows may repeat a user; the bot's own snapshot is one
-- INSERT ... SELECT DISTINCT ON (user_id), made once by the status transition to 'sending'
CREATE INDEX IF NOT EXISTS idx_message_recipients_message_user
    ON message_recipients (message_id, user_id);
-- the engine pages through a broadcast's recipients in id order, by status
CREATE INDEX IF NOT EXISTS idx_message_recipients_queue
    ON message_recipients (message_id, delivery_status, id);

-- Users the broadcast bot cannot reach (blocked it, deactivated, never started it).
CREATE TABLE IF NOT EXISTS unreachable_users (
    user_id    bigint PRIMARY KEY,
    reason     text NOT NULL,
    since      timestamptz NOT NULL DEFAULT now()
);
