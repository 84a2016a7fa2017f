-- Offers that expire: a URL button of a broadcast may carry an end time ("until", an ISO time,
-- in message_history.buttons); when it has passed, the scheduler takes the button off (marks
-- it "gone", keeping every other button's place for the tracked links) and the delivery
-- engine's editor removes it from every delivered copy. This index keeps the scheduler's look
-- for ended offers to the broadcasts that still show one.
CREATE INDEX IF NOT EXISTS idx_message_history_offers ON message_history (id)
    WHERE jsonb_path_exists(buttons, '$[*][*] ? (exists(@.until) && !exists(@.gone))');
