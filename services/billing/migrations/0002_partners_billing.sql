-- Partners, rate cards, the attributed billing ledger, periods, statements, invoices, lots.
-- See docs/billing.md for the rules these tables serve.

ALTER TABLE programs
    ADD COLUMN expiry_days int NOT NULL DEFAULT 0,
    ADD COLUMN expiry_round_to_month_end boolean NOT NULL DEFAULT false,
    ADD COLUMN point_value numeric(18, 6),
    ADD COLUMN point_value_currency char(3);

-- Which programs exist, for batch jobs that walk every program (`jobs close-period`).
-- Not tenant data (ids and codes only), so not under row-level security.
CREATE TABLE program_directory (
    id uuid PRIMARY KEY,
    code text NOT NULL
);

CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'check_violation';
END $$;

CREATE TABLE partner_segments (
    program_id uuid NOT NULL,
    id uuid PRIMARY KEY,
    code text NOT NULL,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (program_id, code)
);

CREATE TABLE partners (
    program_id uuid NOT NULL,
    id uuid PRIMARY KEY,
    code text NOT NULL,
    name text NOT NULL,
    status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED', 'TERMINATED')),
    segment_id uuid REFERENCES partner_segments(id),
    contacts jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (program_id, code)
);

CREATE TABLE partner_locations (
    program_id uuid NOT NULL,
    code text NOT NULL,
    partner_id uuid NOT NULL REFERENCES partners(id),
    name text NOT NULL,
    address text NOT NULL DEFAULT '',
    PRIMARY KEY (program_id, code)
);

-- Effective-dated: [valid_from, valid_to] inclusive; no two cards of one owner and campaign overlap
-- (checked by the service under a lock on the owner; see rate_cards.py).
CREATE TABLE rate_cards (
    program_id uuid NOT NULL,
    id uuid PRIMARY KEY,
    partner_id uuid REFERENCES partners(id),
    segment_id uuid REFERENCES partner_segments(id),
    campaign_code text NOT NULL DEFAULT '',
    valid_from date NOT NULL,
    valid_to date,
    issue_rate numeric(18, 6) NOT NULL CHECK (issue_rate >= 0),
    redeem_rate numeric(18, 6) NOT NULL CHECK (redeem_rate >= 0),
    currency char(3) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((partner_id IS NULL) <> (segment_id IS NULL)),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX rate_cards_owner ON rate_cards (program_id, partner_id, segment_id, campaign_code);

-- Every ledger event ever received, so an at-least-once delivery is applied once.
CREATE TABLE consumed_events (
    program_id uuid NOT NULL,
    event_id text NOT NULL,
    consumed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, event_id)
);

-- The attributed billing ledger: one line per partner-attributed earn, burn or void. Append-only.
-- `period` is the statement the line belongs to (fixed at insert, never an already-closed one);
-- `reference_period` the month the business happened in (for a void: the voided transaction's).
CREATE TABLE billing_lines (
    program_id uuid NOT NULL,
    id bigserial PRIMARY KEY,
    event_id text NOT NULL,
    partner_code text NOT NULL,
    period date NOT NULL,
    reference_period date NOT NULL,
    correction boolean NOT NULL,
    kind text NOT NULL CHECK (kind IN ('ISSUE', 'REDEEM', 'VOID_ISSUE', 'VOID_REDEEM')),
    transaction_id text NOT NULL,
    voided_transaction_id text NOT NULL DEFAULT '',
    member_id text NOT NULL DEFAULT '',
    points bigint NOT NULL,
    purchase_amount numeric(16, 4) NOT NULL DEFAULT 0,
    rate numeric(18, 6) NOT NULL,
    value numeric(24, 6) NOT NULL,
    currency char(3) NOT NULL,
    location_code text NOT NULL DEFAULT '',
    campaign_code text NOT NULL DEFAULT '',
    occurred_at timestamptz NOT NULL
);
CREATE INDEX billing_lines_statement ON billing_lines (program_id, period, partner_code);
CREATE INDEX billing_lines_transaction ON billing_lines (program_id, transaction_id);
CREATE TRIGGER billing_lines_append_only BEFORE UPDATE OR DELETE ON billing_lines
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- A period (month start, program time zone) is open unless it has a row here.
CREATE TABLE closed_periods (
    program_id uuid NOT NULL,
    period date NOT NULL,
    closed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, period)
);

-- Frozen at close, never changed.
CREATE TABLE statements (
    program_id uuid NOT NULL,
    period date NOT NULL,
    partner_code text NOT NULL,
    currency char(3) NOT NULL,
    issued_points bigint NOT NULL,
    issued_value numeric(24, 6) NOT NULL,
    redeemed_points bigint NOT NULL,
    redeemed_value numeric(24, 6) NOT NULL,
    correction_points bigint NOT NULL,
    correction_value numeric(24, 6) NOT NULL,
    net_value numeric(24, 6) NOT NULL,
    purchase_amount numeric(20, 4) NOT NULL,
    line_count integer NOT NULL,
    closed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, period, partner_code, currency)
);
CREATE TRIGGER statements_append_only BEFORE UPDATE OR DELETE ON statements
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- Invoice numbers per program without gaps: the counter row is locked FOR UPDATE in the close.
CREATE TABLE invoice_counters (
    program_id uuid PRIMARY KEY,
    last_number bigint NOT NULL DEFAULT 0
);

CREATE TABLE invoices (
    program_id uuid NOT NULL,
    sequence bigint NOT NULL,
    number text NOT NULL,
    period date NOT NULL,
    partner_code text NOT NULL,
    currency char(3) NOT NULL,
    amount_due numeric(20, 2) NOT NULL,
    issued_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, sequence),
    UNIQUE (program_id, number),
    UNIQUE (program_id, period, partner_code, currency)
);
CREATE TRIGGER invoices_append_only BEFORE UPDATE OR DELETE ON invoices
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- Per-member lots rebuilt from events, for breakage and liability by funding partner (FIFO).
CREATE TABLE member_lots (
    program_id uuid NOT NULL,
    id bigserial PRIMARY KEY,
    member_id text NOT NULL,
    transaction_id text NOT NULL,
    partner_code text NOT NULL DEFAULT '',
    issue_rate numeric(18, 6) NOT NULL DEFAULT 0,
    currency char(3) NOT NULL,
    earned_at timestamptz NOT NULL,
    expires_at timestamptz,
    points bigint NOT NULL CHECK (points > 0),
    remaining bigint NOT NULL CHECK (remaining >= 0)
);
CREATE INDEX member_lots_open ON member_lots (program_id, member_id, expires_at, id) WHERE remaining > 0;
CREATE INDEX member_lots_transaction ON member_lots (program_id, transaction_id);

-- What each debit took from which lot, so a void of a burn gives the same points back.
CREATE TABLE lot_draws (
    program_id uuid NOT NULL,
    transaction_id text NOT NULL,
    lot_id bigint NOT NULL REFERENCES member_lots(id),
    points bigint NOT NULL
);
CREATE INDEX lot_draws_transaction ON lot_draws (program_id, transaction_id);

CREATE TABLE breakage (
    program_id uuid NOT NULL,
    id bigserial PRIMARY KEY,
    event_id text NOT NULL,
    lot_id bigint NOT NULL REFERENCES member_lots(id),
    partner_code text NOT NULL,
    period date NOT NULL,
    points bigint NOT NULL,
    value numeric(24, 6) NOT NULL,
    currency char(3) NOT NULL,
    expired_at timestamptz NOT NULL
);
CREATE INDEX breakage_period ON breakage (program_id, period);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['partner_segments', 'partners', 'partner_locations', 'rate_cards',
        'consumed_events', 'billing_lines', 'closed_periods', 'statements', 'invoice_counters', 'invoices',
        'member_lots', 'lot_draws', 'breakage'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (program_id = current_program_id())'
                       ' WITH CHECK (program_id = current_program_id())', t);
    END LOOP;
END $$;
