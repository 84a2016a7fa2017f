-- Fixing a sent broadcast: every change of its text (caption) or buttons in the chats that got
-- it is a numbered version of the broadcast, carried out by the delivery engine. A copy keeps
-- the last version applied to it, so a run stopped half-way resumes where it was and never
-- edits a copy twice; the run's figures are kept as it goes, for the report at its end.
CREATE TABLE IF NOT EXISTS broadcast_edits (
    id                  serial PRIMARY KEY,
    broadcast_id        integer NOT NULL REFERENCES message_history (id) ON DELETE CASCADE,
    version             integer NOT NULL,
    change              text NOT NULL,                   -- 'text', 'buttons' or 'both'
    reason              text NOT NULL DEFAULT 'admin',   -- 'admin'; 'expired': an offer ran out
    requested_by        bigint,
    requested_at        timestamptz NOT NULL DEFAULT now(),
    status              text NOT NULL DEFAULT 'requested',  -- requested, running, done
    total               integer NOT NULL DEFAULT 0,      -- copies held when it was asked for
    edited              integer NOT NULL DEFAULT 0,
    too_old             integer NOT NULL DEFAULT 0,
    failures            jsonb NOT NULL DEFAULT '{}',     -- Telegram's refusal -> copies
    previous_html       text,
    previous_buttons    jsonb,
    progress_chat_id    bigint,
    progress_message_id bigint,
    finished_at         timestamptz,
    UNIQUE (broadcast_id, version)
);
CREATE INDEX IF NOT EXISTS idx_broadcast_edits_open ON broadcast_edits (id)
    WHERE status <> 'done';

ALTER TABLE message_recipients ADD COLUMN IF NOT EXISTS edit_version integer NOT NULL DEFAULT 0;
