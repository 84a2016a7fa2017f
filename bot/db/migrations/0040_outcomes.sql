-- What a broadcast caused: clicks on its link buttons (sent through the bot's own redirect,
-- one signed token per recipient and button), and a holdout group drawn when sending starts
-- (recipients with delivery_status 'holdout': never sent, never resent).
ALTER TABLE message_history
    ADD COLUMN IF NOT EXISTS holdout_percent smallint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS holdout_count integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS links_base text;  -- the public address links went through, if any

CREATE TABLE IF NOT EXISTS broadcast_clicks (
    id           bigserial PRIMARY KEY,
    broadcast_id integer NOT NULL REFERENCES message_history (id) ON DELETE CASCADE,
    recipient_id integer NOT NULL,
    user_id      bigint NOT NULL,
    button       smallint NOT NULL,
    clicked_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_broadcast_clicks_broadcast
    ON broadcast_clicks (broadcast_id, button, user_id);

-- keys the bot generates once and keeps (the link signing key), shared by every instance
CREATE TABLE IF NOT EXISTS bot_secrets (
    name       text PRIMARY KEY,
    value      bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
