-- Per-admin preferences: the daily digest (off until the admin turns it on).
CREATE TABLE IF NOT EXISTS admin_preferences (
    admin_id        bigint PRIMARY KEY,
    digest_enabled  boolean NOT NULL DEFAULT false,
    digest_time     time NOT NULL DEFAULT '09:00',   -- in TIMEZONE
    digest_sent_on  date                              -- the local day it was last sent
);
