-- Name search keys as stored columns. With row-level security, a condition on an expression such
-- as lower(a || b) cannot be an index condition (lower and || are not leakproof, so they run after
-- the tenancy check), which turned a name search into a scan of the whole program. A plain column
-- compared with leakproof text operators can.
ALTER TABLE members
    ADD COLUMN name_key text GENERATED ALWAYS AS (lower(last_name || ' ' || first_name)) STORED,
    ADD COLUMN first_name_key text GENERATED ALWAYS AS (lower(first_name || ' ' || last_name)) STORED;
DROP INDEX members_search_name;
DROP INDEX members_search_first_name;
CREATE INDEX members_search_name ON members (program_id, (name_key COLLATE "C"), id);
CREATE INDEX members_search_first_name ON members (program_id, (first_name_key COLLATE "C"), id);
