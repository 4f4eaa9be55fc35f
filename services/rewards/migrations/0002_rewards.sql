-- Rewards catalogue and targeted offers, usage per member, one-time passcodes, claims, vouchers.

-- A random secret per program, mixed into the passcode HMAC with the server's pepper.
ALTER TABLE programs ADD COLUMN otp_secret bytea NOT NULL
    DEFAULT uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid());

CREATE TABLE rewards (
    program_id uuid NOT NULL,
    id uuid PRIMARY KEY,
    code text NOT NULL,
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    image_url text NOT NULL DEFAULT '',
    type text NOT NULL CHECK (type IN ('reward', 'offer')),
    kind text NOT NULL CHECK (kind IN ('amount_off', 'percent_off', 'free_item', 'partner_voucher')),
    points_cost bigint NOT NULL CHECK (points_cost >= 0),
    value numeric(16, 4),
    plu text NOT NULL DEFAULT '',
    partner_code text NOT NULL DEFAULT '',
    valid_from timestamptz,
    valid_until timestamptz,
    stock bigint CHECK (stock >= 0),            -- NULL: unlimited; units left otherwise
    per_member_limit int NOT NULL DEFAULT 0 CHECK (per_member_limit >= 0),  -- 0: unlimited
    tier_codes text[] NOT NULL DEFAULT '{}',
    segment_codes text[] NOT NULL DEFAULT '{}',
    club_codes text[] NOT NULL DEFAULT '{}',
    location_codes text[] NOT NULL DEFAULT '{}',
    issues_voucher boolean NOT NULL DEFAULT false,
    active boolean NOT NULL DEFAULT true,
    claimed bigint NOT NULL DEFAULT 0 CHECK (claimed >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (program_id, code),
    CHECK (valid_until IS NULL OR valid_from IS NULL OR valid_until > valid_from)
);
ALTER TABLE rewards ENABLE ROW LEVEL SECURITY;
ALTER TABLE rewards FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rewards USING (program_id = current_program_id());

-- How many active claims each member holds of each reward (the per-member limit).
CREATE TABLE member_usage (
    program_id uuid NOT NULL,
    reward_id uuid NOT NULL REFERENCES rewards(id),
    loyalty_number text NOT NULL,
    claimed int NOT NULL DEFAULT 0 CHECK (claimed >= 0),
    PRIMARY KEY (program_id, reward_id, loyalty_number)
);
ALTER TABLE member_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE member_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON member_usage USING (program_id = current_program_id());

-- One-time passcodes: only an HMAC of the code is kept.
CREATE TABLE otps (
    program_id uuid NOT NULL,
    id uuid PRIMARY KEY,
    member_id uuid NOT NULL,
    loyalty_number text NOT NULL,
    code_hash bytea NOT NULL,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'used', 'locked', 'superseded')),
    attempts int NOT NULL DEFAULT 0,
    issued_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
ALTER TABLE otps ENABLE ROW LEVEL SECURITY;
ALTER TABLE otps FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON otps USING (program_id = current_program_id());
CREATE INDEX otps_member ON otps (program_id, loyalty_number, issued_at DESC);
-- No two live codes of a program share a hash, so a code names one member.
CREATE UNIQUE INDEX otps_live_code ON otps (program_id, code_hash) WHERE status = 'active';

-- Failed identify attempts per caller and window: a POS cannot walk the code space.
CREATE TABLE identify_failures (
    program_id uuid NOT NULL,
    principal text NOT NULL,
    window_start timestamptz NOT NULL,
    failures int NOT NULL DEFAULT 0,
    PRIMARY KEY (program_id, principal, window_start)
);
ALTER TABLE identify_failures ENABLE ROW LEVEL SECURITY;
ALTER TABLE identify_failures FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON identify_failures USING (program_id = current_program_id());

CREATE TABLE claims (
    program_id uuid NOT NULL,
    id uuid PRIMARY KEY,
    reference text NOT NULL,
    order_reference text NOT NULL DEFAULT '',
    reward_id uuid NOT NULL REFERENCES rewards(id),
    loyalty_number text NOT NULL,
    member_id uuid NOT NULL,
    points bigint NOT NULL CHECK (points >= 0),
    status text NOT NULL CHECK (status IN ('held', 'settled', 'voided', 'expired')),
    hold_reference text NOT NULL DEFAULT '',   -- the ledger's reference of the hold ('' for free rewards)
    hold_expires_at timestamptz,
    location_code text NOT NULL DEFAULT '',
    club_code text NOT NULL DEFAULT '',
    otp_id uuid,
    otp_bypassed boolean NOT NULL DEFAULT false,
    claimed_by text NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    settled_at timestamptz,
    voided_at timestamptz,
    void_reason text NOT NULL DEFAULT '',
    UNIQUE (program_id, reference)
);
ALTER TABLE claims ENABLE ROW LEVEL SECURITY;
ALTER TABLE claims FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON claims USING (program_id = current_program_id());
CREATE INDEX claims_order ON claims (program_id, order_reference) WHERE order_reference <> '';
CREATE INDEX claims_open ON claims (program_id, hold_expires_at) WHERE status = 'held';
CREATE INDEX claims_reward_time ON claims (program_id, claimed_at);

CREATE TABLE vouchers (
    program_id uuid NOT NULL,
    code text NOT NULL,
    claim_id uuid NOT NULL REFERENCES claims(id),
    status text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'consumed', 'voided')),
    issued_at timestamptz NOT NULL DEFAULT now(),
    consumed_at timestamptz,
    consumed_reference text NOT NULL DEFAULT '',
    consumed_location text NOT NULL DEFAULT '',
    PRIMARY KEY (program_id, code),
    UNIQUE (claim_id)
);
ALTER TABLE vouchers ENABLE ROW LEVEL SECURITY;
ALTER TABLE vouchers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON vouchers USING (program_id = current_program_id());
