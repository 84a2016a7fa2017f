-- The platform's tables, written by the course's own bot. Created only where missing;
-- their names and columns are the platform's and are never renamed or dropped here.

CREATE TABLE IF NOT EXISTS bookings (
    id               serial PRIMARY KEY,
    user_id          bigint,
    username         text,
    first_name       text,
    course_id        integer,
    course_stream    text,
    confirmed        integer,              -- -1 cancelled, 1 pending, 2 confirmed
    created_at       timestamptz DEFAULT now(),
    referral_code    text,
    discount_percent integer
);

CREATE TABLE IF NOT EXISTS free_lesson_registrations (
    id                serial PRIMARY KEY,
    user_id           bigint,
    username          text,
    first_name        text,
    email             text,
    registered_at     timestamptz DEFAULT now(),
    notification_sent boolean DEFAULT false,
    lesson_type       text,
    lesson_date       date
);

CREATE TABLE IF NOT EXISTS events (
    id         serial PRIMARY KEY,
    user_id    bigint,
    username   text,
    first_name text,
    event_type text,
    created_at timestamptz DEFAULT now(),
    details    jsonb
);

CREATE TABLE IF NOT EXISTS message_history (
    id                    serial PRIMARY KEY,
    message_text          text NOT NULL,
    total_recipients      integer NOT NULL DEFAULT 0,
    successful_deliveries integer DEFAULT 0,
    sent_at               timestamptz DEFAULT now(),
    created_at            timestamptz DEFAULT now(),
    recipient_type        text,
    recipient_group       text,
    scheduled_at          timestamptz
);

CREATE TABLE IF NOT EXISTS message_recipients (
    id                  serial PRIMARY KEY,
    message_id          integer NOT NULL REFERENCES message_history (id) ON DELETE CASCADE,
    user_id             bigint NOT NULL,
    username            text,
    delivery_status     text DEFAULT 'pending',
    created_at          timestamptz DEFAULT now(),
    telegram_message_id integer
);

-- Indexes for what the bot asks of these tables (IF NOT EXISTS: the platform may have its own).
CREATE INDEX IF NOT EXISTS idx_bookings_user_id ON bookings (user_id);
CREATE INDEX IF NOT EXISTS idx_bookings_stream_confirmed ON bookings (course_stream, confirmed);
CREATE INDEX IF NOT EXISTS idx_bookings_created_at ON bookings (created_at);
CREATE INDEX IF NOT EXISTS idx_flr_user_id ON free_lesson_registrations (user_id);
CREATE INDEX IF NOT EXISTS idx_flr_registered_at ON free_lesson_registrations (registered_at);
CREATE INDEX IF NOT EXISTS idx_events_user_id_created ON events (user_id, created_at);
CREATE INDEX IF NOT EXISTS idx_events_created_at ON events (created_at);
CREATE INDEX IF NOT EXISTS idx_events_type_created ON events (event_type, created_at);
CREATE INDEX IF NOT EXISTS idx_message_recipients_message_id ON message_recipients (message_id);
CREATE INDEX IF NOT EXISTS idx_message_recipients_status ON message_recipients (message_id, delivery_status);
CREATE INDEX IF NOT EXISTS idx_message_recipients_user_id ON message_recipients (user_id);
CREATE INDEX IF NOT EXISTS idx_message_history_scheduled ON message_history (scheduled_at);
