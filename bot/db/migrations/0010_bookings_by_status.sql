-- Paid and pending people per stream, leads (everyone minus the paid) and free-lesson
-- registrants, counted from an index alone instead of reading every row.
CREATE INDEX IF NOT EXISTS idx_bookings_confirmed_stream_user
    ON bookings (confirmed, course_stream, user_id);
-- the same for free-lesson registrants, overall and by lesson
CREATE INDEX IF NOT EXISTS idx_flr_lesson_user ON free_lesson_registrations (lesson_type, user_id);
