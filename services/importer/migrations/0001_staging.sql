-- The import staging area: the interchange zone between the import tool and the services.
-- The tool loads validated rows here with COPY; each service applies the part it owns with
-- set-based SQL (granted below), so millions of rows never cross gRPC one by one.
CREATE TABLE imports (
    id uuid PRIMARY KEY,
    program_code text NOT NULL,
    program_id uuid NOT NULL,
    directory text NOT NULL,
    void_before timestamptz,
    state text NOT NULL DEFAULT 'loading',   -- loading, loaded, members, history, tiers, remediated, done, failed
    counters jsonb NOT NULL DEFAULT '{}',
    started_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    error text
);

CREATE TABLE members (
    import_id uuid NOT NULL REFERENCES imports(id),
    legacy_id text NOT NULL,
    email text NOT NULL,
    first_name text NOT NULL,
    last_name text NOT NULL,
    phone text NOT NULL,
    birth_date date,
    enrolled_at timestamptz NOT NULL,
    status text NOT NULL,
    PRIMARY KEY (import_id, legacy_id)
);

CREATE TABLE balances (
    import_id uuid NOT NULL REFERENCES imports(id),
    legacy_id text NOT NULL,
    points_balance bigint NOT NULL,
    tier_code text NOT NULL,
    tier_achieved_at timestamptz,
    PRIMARY KEY (import_id, legacy_id)
);

CREATE TABLE transactions (
    import_id uuid NOT NULL REFERENCES imports(id),
    legacy_txn_id text NOT NULL,
    legacy_id text NOT NULL,
    occurred_at timestamptz NOT NULL,
    kind text NOT NULL,
    points bigint NOT NULL,
    channel text NOT NULL,
    reference text NOT NULL
);

CREATE TABLE quarantine (
    import_id uuid NOT NULL REFERENCES imports(id),
    file text NOT NULL,
    line int NOT NULL,
    key text NOT NULL,
    reason text NOT NULL
);
CREATE INDEX quarantine_import ON quarantine (import_id);

-- Written by the member service as it creates (or finds) each member; read by points and tier.
CREATE TABLE member_map (
    program_id uuid NOT NULL,
    legacy_id text NOT NULL,
    member_id uuid NOT NULL,
    loyalty_number text NOT NULL,
    email text NOT NULL,
    existing boolean NOT NULL DEFAULT false,  -- the member was already enrolled here (dual running)
    import_id uuid NOT NULL,
    PRIMARY KEY (program_id, legacy_id)
);

GRANT USAGE ON SCHEMA staging TO loyalty_member, loyalty_points, loyalty_tier;
GRANT SELECT ON imports, members, balances, transactions TO loyalty_member, loyalty_points, loyalty_tier;
GRANT SELECT, INSERT, UPDATE ON member_map TO loyalty_member;
GRANT SELECT ON member_map TO loyalty_points, loyalty_tier;
GRANT INSERT ON quarantine TO loyalty_member;
CREATE INDEX transactions_member ON transactions (import_id, legacy_id);
