-- Legacy imports (see services/points/importing.py and docs/migration.md).

-- A lot's expiry under a program's policy, in SQL, for lots created set-based (same rule as
-- services/points/expiry.py: the end of the last valid local day).
CREATE FUNCTION policy_lot_expiry(earned timestamptz, tz text, days int, month_end boolean) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE SET search_path FROM CURRENT AS $$
    SELECT CASE WHEN days <= 0 THEN NULL ELSE
        (CASE WHEN month_end
              THEN (date_trunc('month', ((earned AT TIME ZONE tz)::date + days)::timestamp) + interval '1 month')::date
              ELSE (earned AT TIME ZONE tz)::date + days + 1 END)::timestamp AT TIME ZONE tz
    END
$$;

-- A bulk import checks every transaction of its batch in one set-based statement before commit
-- (importing.py), instead of one deferred check per entry row: millions of rows would otherwise
-- pay a query each. Only the import sets this transaction-local flag.
CREATE OR REPLACE FUNCTION check_transaction_balanced() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
DECLARE
    total bigint;
BEGIN
    IF current_setting('app.ledger_bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    SELECT sum(amount) INTO total FROM entries WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'transaction % is unbalanced: entries sum to %', NEW.transaction_id, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

-- Which members an import has finished (a member's whole history goes in one batch transaction),
-- with the legacy balance the ledger must now show.
CREATE TABLE imported_members (
    program_id uuid NOT NULL,
    import_id uuid NOT NULL,
    member_id uuid NOT NULL,
    legacy_id text NOT NULL,
    legacy_balance bigint,
    remediation bigint NOT NULL DEFAULT 0,
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, import_id, member_id)
);
ALTER TABLE imported_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE imported_members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON imported_members USING (program_id = current_program_id());
CREATE INDEX imported_members_legacy ON imported_members (program_id, import_id, legacy_id);
