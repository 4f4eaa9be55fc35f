-- current_program_id(), idempotency_keys and outbox: services/common/migrations/0000_kernel.sql

-- This service's copy of each program's settings (pushed by ProvisionProgram).
CREATE TABLE programs (
    id uuid PRIMARY KEY,
    code text NOT NULL,
    currency char(3) NOT NULL,
    timezone text NOT NULL,
    expiry_days int NOT NULL DEFAULT 0,
    expiry_round_to_month_end boolean NOT NULL DEFAULT false,
    earn_rate numeric(12, 4) NOT NULL DEFAULT 1,
    archived boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE programs ENABLE ROW LEVEL SECURITY;
ALTER TABLE programs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON programs USING (id = current_program_id());

-- This service's copy of each member's status (the member service owns members).
CREATE TABLE members (
    program_id uuid NOT NULL,
    id uuid NOT NULL,
    loyalty_number text NOT NULL,
    status text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, id),
    UNIQUE (program_id, loyalty_number)
);
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
ALTER TABLE members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON members USING (program_id = current_program_id());

-- Double entry: every transaction's entries sum to zero across accounts.
-- Program accounts have no member; member accounts: available, pending, held.
-- Only member accounts keep a running balance (one row per member is not a hot spot); a program
-- account's balance is the sum of its entries, so earns across a program never queue on one row.
CREATE TABLE accounts (
    program_id uuid NOT NULL,
    id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('member_available', 'member_pending', 'member_held', 'issuance',
                                       'redemption', 'breakage', 'partner_funded', 'adjustment')),
    member_id uuid,
    balance bigint NOT NULL DEFAULT 0,
    CHECK (member_id IS NOT NULL OR kind NOT LIKE 'member_%'),
    CHECK (kind NOT LIKE 'member_%' OR balance >= 0),
    CHECK (kind LIKE 'member_%' OR balance = 0),
    UNIQUE NULLS NOT DISTINCT (program_id, kind, member_id)
);
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON accounts USING (program_id = current_program_id());

CREATE TABLE transactions (
    program_id uuid NOT NULL,
    id uuid PRIMARY KEY,
    kind text NOT NULL,
    reference text NOT NULL,
    member_id uuid,
    points bigint NOT NULL,
    amount numeric(16, 4),
    currency char(3),
    occurred_at timestamptz NOT NULL,
    posted_at timestamptz NOT NULL DEFAULT now(),
    details jsonb NOT NULL DEFAULT '{}',
    UNIQUE (program_id, reference)
);
ALTER TABLE transactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE transactions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON transactions USING (program_id = current_program_id());
CREATE INDEX transactions_member ON transactions (program_id, member_id, occurred_at DESC);

CREATE TABLE entries (
    program_id uuid NOT NULL,
    id bigserial PRIMARY KEY,
    transaction_id uuid NOT NULL REFERENCES transactions(id),
    account_id bigint NOT NULL REFERENCES accounts(id),
    amount bigint NOT NULL CHECK (amount <> 0),
    posted_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE entries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON entries USING (program_id = current_program_id());
CREATE INDEX entries_transaction ON entries (transaction_id);
CREATE INDEX entries_account ON entries (account_id);

-- Posted entries and transactions are history: the database refuses to change them.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger % rows are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER transactions_append_only BEFORE UPDATE OR DELETE ON transactions
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Checked at commit: a transaction whose entries do not sum to zero cannot be posted.
CREATE FUNCTION check_transaction_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
BEGIN
    SELECT sum(amount) INTO total FROM entries WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'transaction % is unbalanced: entries sum to %', NEW.transaction_id, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER entries_balanced AFTER INSERT ON entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_transaction_balanced();

-- Lots: what each earn put in, what is left of it, and when it expires.
CREATE TABLE lots (
    program_id uuid NOT NULL,
    id bigserial PRIMARY KEY,
    member_id uuid NOT NULL,
    transaction_id uuid NOT NULL REFERENCES transactions(id),
    points bigint NOT NULL CHECK (points > 0),
    remaining bigint NOT NULL CHECK (remaining >= 0 AND remaining <= points),
    earned_at timestamptz NOT NULL,
    expires_at timestamptz
);
ALTER TABLE lots ENABLE ROW LEVEL SECURITY;
ALTER TABLE lots FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON lots USING (program_id = current_program_id());
CREATE INDEX lots_open ON lots (program_id, member_id, expires_at NULLS LAST, id) WHERE remaining > 0;
