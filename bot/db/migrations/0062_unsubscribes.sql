-- Unsubscribe that holds: a student who pressed a broadcast's «Отписаться от рассылок» button
-- (a signed link to the bot's own /u/<token>) is skipped by every broadcast from then on,
-- until they undo it themselves or an admin does, with a reason in the audit log.
CREATE TABLE IF NOT EXISTS unsubscribed_users (
    user_id      bigint PRIMARY KEY,
    since        timestamptz NOT NULL DEFAULT now(),
    broadcast_id integer  -- the broadcast whose button they pressed
);

ALTER TABLE message_history
    ADD COLUMN IF NOT EXISTS unsubscribe_button boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS unsubscribed_count integer NOT NULL DEFAULT 0;
