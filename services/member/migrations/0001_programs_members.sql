-- current_program_id(), idempotency_keys and outbox: services/common/migrations/0000_kernel.sql

-- The directory of programs: looked up by code before a program is known, so not tenant-scoped.
CREATE TABLE programs (
    id uuid PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL,
    currency char(3) NOT NULL,
    timezone text NOT NULL,
    expiry_days int NOT NULL DEFAULT 0,
    expiry_round_to_month_end boolean NOT NULL DEFAULT false,
    loyalty_number_prefix text NOT NULL DEFAULT '' CHECK (loyalty_number_prefix ~ '^[0-9]{0,6}$'),
    archived_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE loyalty_number_seq START 1000000001;

CREATE TABLE members (
    program_id uuid NOT NULL REFERENCES programs(id),
    id uuid NOT NULL,
    loyalty_number text NOT NULL,
    email text NOT NULL,
    email_normalized text NOT NULL,
    first_name text NOT NULL,
    last_name text NOT NULL,
    phone text NOT NULL DEFAULT '',
    birth_date date,
    status text NOT NULL DEFAULT 'active',
    channel text NOT NULL DEFAULT '',
    enrolled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, id),
    UNIQUE (program_id, loyalty_number),
    UNIQUE (program_id, email_normalized)
);
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
ALTER TABLE members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON members USING (program_id = current_program_id());

-- API keys are found by key id before the program is known; only the secret's hash is kept.
CREATE TABLE api_keys (
    key_id text PRIMARY KEY,
    program_id uuid NOT NULL REFERENCES programs(id),
    name text NOT NULL,
    secret_hash bytea NOT NULL,
    scopes text[] NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
