-- Finding people, ranked over every match: exact names through an index of each user's name
-- words; queries too short for trigrams (one or two letters, or no three letters or digits
-- in a row: "ан", "_", "a.b") through an index of the one- and two-character pieces of the
-- search text; and matches too many to rank by similarity read along last_seen from an index
-- that holds what their filters read. No query reads the whole directory.

-- Every character and every pair of neighbouring characters (repeats are left to GIN).
CREATE OR REPLACE FUNCTION search_grams(value text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $$
DECLARE
    grams text[] := '{}';
    n int := length(value);
BEGIN
    FOR i IN 1..n LOOP
        grams := grams || substr(value, i, 1);
        IF i < n THEN
            grams := grams || substr(value, i, 2);
        END IF;
    END LOOP;
    RETURN grams;
END $$;

-- Rows the summaries write wait in a GIN index's pending list, which every search reads whole:
-- kept short (512 kB instead of 4 MB), a search never reads more than a few milliseconds of it.
CREATE INDEX IF NOT EXISTS idx_user_directory_grams
    ON user_directory USING gin (search_grams(search_text)) WITH (gin_pending_list_limit = 512);
CREATE INDEX IF NOT EXISTS idx_user_directory_name_words
    ON user_directory USING gin (string_to_array(names, ' ')) WITH (gin_pending_list_limit = 512);
-- no INCLUDE columns: a btree row must stay under ~2.7 kB, and names and search text of any
-- length may come from the platform
CREATE INDEX IF NOT EXISTS idx_user_directory_walk ON user_directory (last_seen DESC NULLS LAST, user_id);
