-- current_program_id(), idempotency_keys and outbox: services/common/migrations/0000_kernel.sql

-- The catalogue's events (catalogue.py), made from the services' outbox rows after they committed.
-- (source, outbox_id, type) is where one came from: a redelivered row adds nothing. `sequence` is
-- the order of arrival: a service's rows arrive in its outbox order, so a member's events from one
-- service keep the order they were written in.
CREATE TABLE events (
    sequence bigserial PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    program_id uuid NOT NULL,
    type text NOT NULL,
    version int NOT NULL,
    member_id uuid,
    loyalty_number text NOT NULL DEFAULT '',
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    data jsonb NOT NULL,
    source text NOT NULL,
    outbox_id bigint NOT NULL,
    UNIQUE (program_id, source, outbox_id, type)
);
CREATE INDEX events_program ON events (program_id, sequence);
CREATE INDEX events_program_time ON events (program_id, recorded_at);
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events USING (program_id = current_program_id());

-- A source row whose mapped data did not meet its schema: kept for a person to look at, so one bad
-- row does not stop the program's other events.
CREATE TABLE rejected_events (
    id bigserial PRIMARY KEY,
    program_id uuid NOT NULL,
    source text NOT NULL,
    outbox_id bigint NOT NULL,
    type text NOT NULL,
    data jsonb NOT NULL,
    errors text[] NOT NULL,
    rejected_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (program_id, source, outbox_id, type)
);
ALTER TABLE rejected_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE rejected_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rejected_events USING (program_id = current_program_id());

-- The programs this service has events of: not tenant-scoped (ids only), so a job can list them
-- before it sets a program.
CREATE TABLE known_programs (
    program_id uuid PRIMARY KEY,
    first_seen_at timestamptz NOT NULL DEFAULT now()
);
