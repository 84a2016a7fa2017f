-- Four eyes on recurring broadcasts: a big series waits in 'awaiting_approval' (its scheduler
-- job makes no occurrences) until another editor or owner approves it (it becomes 'active')
-- or rejects it with a reason (it is 'stopped').
ALTER TABLE broadcast_series DROP CONSTRAINT IF EXISTS broadcast_series_status_check;
ALTER TABLE broadcast_series ADD CONSTRAINT broadcast_series_status_check
    CHECK (status IN ('active', 'stopped', 'ended', 'awaiting_approval'));
ALTER TABLE broadcast_series
    ADD COLUMN IF NOT EXISTS approved_by bigint,         -- who approved or rejected it
    ADD COLUMN IF NOT EXISTS rejection_reason text;
