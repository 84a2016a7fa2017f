-- A question about a running broadcast (cancel? recall?) shown on its progress message: until
-- it is answered or this moment passes, the progress display leaves the message alone.
ALTER TABLE message_history ADD COLUMN IF NOT EXISTS question_until timestamptz;
