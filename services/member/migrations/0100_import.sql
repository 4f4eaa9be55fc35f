-- Luhn check digit in SQL, for loyalty numbers assigned set-based during an import.
CREATE FUNCTION luhn_check_digit(body text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT ((10 - sum(
        CASE WHEN (length(body) - i) % 2 = 0
             THEN CASE WHEN d * 2 > 9 THEN d * 2 - 9 ELSE d * 2 END
             ELSE d END) % 10) % 10)::text
    FROM (SELECT i, substr(body, i, 1)::int AS d FROM generate_series(1, length(body)) AS i) digits
$$;

-- Imported members remember where they came from.
ALTER TABLE members ADD COLUMN legacy_id text;
CREATE UNIQUE INDEX members_legacy_id ON members (program_id, legacy_id) WHERE legacy_id IS NOT NULL;
