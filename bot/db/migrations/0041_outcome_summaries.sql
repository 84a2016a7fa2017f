-- What each broadcast caused, kept instead of counted over all its recipients on every card:
-- for each recipient who booked, paid, registered for a free lesson or clicked through to a
-- lesson within 15 days of their delivery (the longest window offered is 14; a day more keeps
-- "since + N days" in any session time zone inside), the first time they did it. A broadcast
-- is read whole once it is no longer sending (again when its counters move: a resend, a
-- recall); registrations and events after that are read once by id, as they come; bookings
-- change status in place, so a broadcast's booking rows are counted again when the bookings
-- table has changed.
CREATE TABLE IF NOT EXISTS outcome_summaries (
    broadcast_id integer PRIMARY KEY REFERENCES message_history (id) ON DELETE CASCADE,
    fingerprint  text NOT NULL,         -- the broadcast's status and counters when read
    recipients   integer NOT NULL,      -- those who got it (sent or since recalled)
    held         integer NOT NULL,      -- those kept back
    first_since  timestamptz,           -- the earliest and latest start of a window
    last_since   timestamptz,
    bookings     text NOT NULL,         -- the bookings table's fingerprint when counted
    bookings_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS outcome_firsts (
    broadcast_id integer NOT NULL REFERENCES outcome_summaries ON DELETE CASCADE,
    metric       text NOT NULL,         -- booked, paid, registered, lesson
    recipient_id integer NOT NULL,
    held         boolean NOT NULL,
    since        timestamptz NOT NULL,  -- delivery, or the start of sending for the holdout
    first_at     timestamptz NOT NULL,
    PRIMARY KEY (broadcast_id, metric, recipient_id)
);

-- the last registration and event id read into outcome_firsts
CREATE TABLE IF NOT EXISTS outcome_marks (
    source  text PRIMARY KEY,
    last_id bigint NOT NULL
);
