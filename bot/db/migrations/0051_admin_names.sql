-- Each admin's name and @username as their last update showed them: the audit log names the
-- admins instead of showing their ids.
ALTER TABLE admin_preferences ADD COLUMN IF NOT EXISTS name text;
ALTER TABLE admin_preferences ADD COLUMN IF NOT EXISTS username text;
