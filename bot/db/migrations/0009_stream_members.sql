-- Paid and pending people per stream, counted with daily_bookings (for the statistics; the
-- pickers count exactly).
CREATE TABLE IF NOT EXISTS stream_members (
    course_stream text PRIMARY KEY,
    members       bigint NOT NULL,
    pending       bigint NOT NULL
);
UPDATE rollup_marks SET fingerprint = '' WHERE name = 'bookings';  -- count them at next run
