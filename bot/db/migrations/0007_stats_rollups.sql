-- New users per day (kept with the user directory) and bookings per day, stream, status and
-- referral code (recounted whenever bookings change: their status is updated in place).

CREATE TABLE IF NOT EXISTS daily_users (
    day       date PRIMARY KEY,
    new_users bigint NOT NULL
);
INSERT INTO daily_users (day, new_users)
SELECT (first_seen AT TIME ZONE coalesce(
            (SELECT timezone FROM summary_marks ORDER BY source LIMIT 1), 'UTC'))::date, count(*)
FROM user_directory GROUP BY 1
ON CONFLICT (day) DO NOTHING;

CREATE TABLE IF NOT EXISTS daily_bookings (
    day           date NOT NULL,     -- '-infinity' for bookings without created_at
    course_stream text NOT NULL DEFAULT '',
    confirmed     integer NOT NULL,  -- 0 where the platform left it NULL
    referral_code text NOT NULL DEFAULT '',
    bookings      bigint NOT NULL,
    rated         bigint NOT NULL,   -- of them with discount_percent set
    rated_sum     bigint NOT NULL,   -- and its sum
    discounted    bigint NOT NULL,   -- of them with discount_percent > 0
    discounted_sum bigint NOT NULL,
    PRIMARY KEY (day, course_stream, confirmed, referral_code)
);

-- what bookings looked like when daily_bookings was last counted
CREATE TABLE IF NOT EXISTS rollup_marks (
    name        text PRIMARY KEY,
    fingerprint text NOT NULL,
    timezone    text NOT NULL,
    counted_at  timestamptz NOT NULL DEFAULT now()
);
