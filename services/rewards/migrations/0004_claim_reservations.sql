-- A claim is reserved first (stock and allowance taken, in a short transaction), then held once the
-- ledger holds its points (asked with no transaction open), then settled, voided or expired. A
-- reservation keeps the request's fingerprint, so a retry with the same POS reference carries it on.
ALTER TABLE claims DROP CONSTRAINT claims_status_check;
ALTER TABLE claims ADD CONSTRAINT claims_status_check
    CHECK (status IN ('reserved', 'held', 'settled', 'voided', 'expired'));
ALTER TABLE claims ADD COLUMN request_hash bytea;
ALTER TABLE claims ADD COLUMN hold_timeout_seconds int NOT NULL DEFAULT 0;
CREATE INDEX claims_reserved ON claims (program_id, claimed_at) WHERE status = 'reserved';
