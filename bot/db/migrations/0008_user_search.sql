-- Finding people: every name a user was seen with, their latest e-mail, and one search text in
-- Latin letters (Cyrillic transliterated), indexed by trigrams: substrings, typos and both
-- alphabets match whatever the database's locale is ("ия" as "ia": Мария meets Maria).

CREATE OR REPLACE FUNCTION search_key(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT AS $$
    SELECT lower(translate(
        replace(replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(value, 'ия', 'ia'),
            'Ж', 'zh'), 'ж', 'zh'), 'Ц', 'ts'), 'ц', 'ts'), 'Ч', 'ch'), 'ч', 'ch'),
            'Ш', 'sh'), 'ш', 'sh'), 'Щ', 'sch'), 'щ', 'sch'), 'Ю', 'yu'), 'ю', 'yu'),
            'Я', 'ya'), 'я', 'ya'), 'Х', 'h'), 'х', 'h'),
        'АБВГДЕЁЗИЙКЛМНОПРСТУФЫЭабвгдеёзийклмнопрстуфыэЪЬъь',
        'abvgdeeziiklmnoprstufyeabvgdeeziiklmnoprstufye'))
$$;

ALTER TABLE user_directory ADD COLUMN IF NOT EXISTS email text;
ALTER TABLE user_directory ADD COLUMN IF NOT EXISTS names text NOT NULL DEFAULT '';

UPDATE user_directory SET names = coalesce(search_key(first_name), '') WHERE names = '';
UPDATE user_directory d SET email = r.email FROM (
    SELECT DISTINCT ON (user_id) user_id, email FROM free_lesson_registrations
    WHERE email IS NOT NULL AND user_id IS NOT NULL
    ORDER BY user_id, registered_at DESC NULLS LAST, id DESC) r
WHERE r.user_id = d.user_id AND d.email IS NULL;

ALTER TABLE user_directory ADD COLUMN IF NOT EXISTS search_text text GENERATED ALWAYS AS (
    names || ' ' || coalesce(search_key(username), '') || ' ' || coalesce(lower(email), '')
) STORED;

CREATE INDEX IF NOT EXISTS idx_user_directory_search
    ON user_directory USING gin (search_text gin_trgm_ops);
CREATE INDEX IF NOT EXISTS idx_user_directory_username ON user_directory (lower(username));
CREATE INDEX IF NOT EXISTS idx_user_directory_email ON user_directory (lower(email));
CREATE INDEX IF NOT EXISTS idx_user_directory_last_seen ON user_directory (last_seen DESC);
