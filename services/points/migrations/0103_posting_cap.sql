-- The most points one posting may credit, per program: a typo at a till ("3000000000" for "30.00")
-- is refused (INVALID_INPUT) before anything is posted. 1,000,000,000 unless a program sets less.
ALTER TABLE programs ADD COLUMN max_points_per_posting bigint NOT NULL DEFAULT 1000000000
    CHECK (max_points_per_posting > 0);
