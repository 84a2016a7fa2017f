-- The language each admin's Telegram is set to, for what the bot writes to them outside an
-- update (the digest, a broadcast's progress): 'ru' or 'en'.
ALTER TABLE admin_preferences ADD COLUMN IF NOT EXISTS locale text NOT NULL DEFAULT 'ru';
