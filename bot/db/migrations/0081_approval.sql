-- Four eyes: a big broadcast waits in 'awaiting_approval' until another editor or owner
-- approves it (then it is sent, or scheduled for its time) or rejects it with a reason.
ALTER TABLE message_history DROP CONSTRAINT IF EXISTS message_history_status_check;
ALTER TABLE message_history ADD CONSTRAINT message_history_status_check
    CHECK (status IN ('draft', 'scheduled', 'sending', 'paused', 'cancelled', 'done',
                      'awaiting_approval'));
ALTER TABLE message_history
    ADD COLUMN IF NOT EXISTS approved_by bigint,         -- who approved or rejected it
    ADD COLUMN IF NOT EXISTS rejection_reason text,
    ADD COLUMN IF NOT EXISTS approval_late_noted boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS idx_message_history_awaiting ON message_history (scheduled_at)
    WHERE status = 'awaiting_approval';
