-- The most points one goodwill posting may give when the caller lacks points.goodwill_unlimited
-- (a Front-Line Manager's "goodwill within a limit"); NULL: no limit beyond the posting cap.
-- Not part of the provisioned ProgramSpec: provisioning never resets it.
ALTER TABLE programs ADD COLUMN goodwill_limit bigint CHECK (goodwill_limit > 0);
