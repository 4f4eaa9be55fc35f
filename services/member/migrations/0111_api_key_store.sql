-- An API key of a store (a till) may carry its store's location code: its postings are made at that
-- store, and its voids reach only that store's postings (issue 14, the Front-Line Manager's scope).
ALTER TABLE api_keys ADD COLUMN store text NOT NULL DEFAULT '' CHECK (length(store) <= 64);
