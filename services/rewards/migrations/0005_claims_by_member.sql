-- Member 360's rewards tab lists one member's claims, newest first.
CREATE INDEX claims_member ON claims (program_id, loyalty_number, claimed_at DESC);
