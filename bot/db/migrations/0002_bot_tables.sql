-- The admin bot's own tables.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Course streams: the pickers everywhere read this table; archived streams keep their data.
CREATE TABLE IF NOT EXISTS course_streams (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{1,32}$'),
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 64),
    course_id   integer NOT NULL DEFAULT 1,
    position    integer NOT NULL DEFAULT 0,
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO course_streams (code, title, position) VALUES
    ('3rd_stream', '3-й поток', 3),
    ('4th_stream', '4-й поток', 4),
    ('5th_stream', '5-й поток', 5)
ON CONFLICT (code) DO NOTHING;

-- Every admin action that changes something: who, what, on what, with which details.
CREATE TABLE IF NOT EXISTS admin_audit_log (
    id         bigserial PRIMARY KEY,
    admin_id   bigint NOT NULL,
    action     text NOT NULL,
    target     text,
    details    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS idx_audit_created ON admin_audit_log (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS idx_audit_admin_created ON admin_audit_log (admin_id, created_at DESC);
