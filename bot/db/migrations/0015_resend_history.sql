-- A broadcast's own figures before its first resend (first_run), and each resend (which
-- statuses, how many, when): the history card keeps the first run and lists resends apart.
ALTER TABLE message_history
    ADD COLUMN IF NOT EXISTS first_run jsonb,
    ADD COLUMN IF NOT EXISTS resends jsonb NOT NULL DEFAULT '[]'::jsonb;
