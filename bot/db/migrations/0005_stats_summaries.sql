-- Summaries the bot keeps so that statistics never rescan the platform's big tables:
-- a user directory and daily counts, both fed incrementally from rows with a higher id.

CREATE TABLE IF NOT EXISTS user_directory (
    user_id    bigint PRIMARY KEY,
    username   text,
    first_name text,
    first_seen timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_user_directory_first_seen ON user_directory (first_seen);

-- how far each source table has been read, and in which time zone days were counted
CREATE TABLE IF NOT EXISTS summary_marks (
    source     text PRIMARY KEY,
    last_id    bigint NOT NULL DEFAULT 0,
    timezone   text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS daily_events (
    day         date NOT NULL,
    event_type  text NOT NULL,
    lesson_type text NOT NULL DEFAULT '',   -- details.lesson_type of lesson_link_clicked
    events      bigint NOT NULL,
    PRIMARY KEY (day, event_type, lesson_type)
);

CREATE TABLE IF NOT EXISTS daily_registrations (
    day           date NOT NULL,
    lesson_type   text NOT NULL DEFAULT '',
    registrations bigint NOT NULL,
    PRIMARY KEY (day, lesson_type)
);
