-- The shared kernel of every service's schema, applied before the service's own migrations
-- (services/common/migrations.py): the current program of a transaction (row-level security),
-- idempotency keys and the outbox. Written once here; each service's first migration used to
-- carry its own copy, so on a database created before this file existed these objects are
-- already there: every statement is idempotent (IF NOT EXISTS, OR REPLACE) and matches the
-- shape those copies created.

CREATE OR REPLACE FUNCTION current_program_id() RETURNS uuid
    LANGUAGE sql STABLE AS $$ SELECT NULLIF(current_setting('app.program_id', true), '')::uuid $$;

-- The same key and request return the first answer; a different request conflicts (idempotency.py).
CREATE TABLE IF NOT EXISTS idempotency_keys (
    program_id uuid NOT NULL,
    operation text NOT NULL,
    key text NOT NULL,
    request_hash bytea NOT NULL,
    response bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, operation, key)
);
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = current_schema()
                   AND tablename = 'idempotency_keys' AND policyname = 'tenant_isolation') THEN
        CREATE POLICY tenant_isolation ON idempotency_keys USING (program_id = current_program_id());
    END IF;
END $$;

-- Domain events written in the same transaction as the change, relayed afterwards (outbox.py).
CREATE TABLE IF NOT EXISTS outbox (
    id bigserial PRIMARY KEY,
    program_id uuid NOT NULL,
    event_type text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    attempts int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text
);
CREATE INDEX IF NOT EXISTS outbox_undelivered ON outbox (next_attempt_at) WHERE delivered_at IS NULL;
