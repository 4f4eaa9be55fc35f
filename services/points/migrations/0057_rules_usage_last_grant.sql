-- What the last earn was granted from a counter, set by the same UPDATE that adds it: the one-
-- statement take of a single capped line (repository.revision_and_take_one) reads the grant from
-- RETURNING, computed on the row version it locked (a concurrent earn's points included).
ALTER TABLE rule_usage ADD COLUMN last_grant bigint NOT NULL DEFAULT 0;
