-- A dump's staged rows are read a few times by the import that loaded them, by index, and never again
-- by most imports: the vacuum that autovacuum starts after millions of inserts (to mark their pages
-- all-visible) scanned the 10M-row transactions table for about 40 s of an import at 1M members, beside
-- the import's own work. Vacuums after deletes, which reclaim the space of earlier loads, still run.
ALTER TABLE members SET (autovacuum_vacuum_insert_threshold = -1);
ALTER TABLE balances SET (autovacuum_vacuum_insert_threshold = -1);
ALTER TABLE transactions SET (autovacuum_vacuum_insert_threshold = -1);
