-- The admin team: who may use the bot beyond ADMIN_IDS (always owners), with what role, and
-- the owners' settings for the team (viewers' exports, approval of big broadcasts).
CREATE TABLE IF NOT EXISTS team (
    user_id bigint PRIMARY KEY,
    role text NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
    added_by bigint NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now(),
    name text
);

-- one row per setting an owner changed from the bot; a missing row: the default (or the
-- environment's setting)
CREATE TABLE IF NOT EXISTS team_settings (
    key text PRIMARY KEY,
    value jsonb NOT NULL,
    updated_by bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
