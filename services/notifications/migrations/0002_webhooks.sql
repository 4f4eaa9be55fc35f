-- Webhooks: a program's subscriptions, and one delivery row per (subscription, event) it gets.

CREATE TABLE subscriptions (
    id uuid PRIMARY KEY,
    program_id uuid NOT NULL,
    url text NOT NULL,
    event_types text[] NOT NULL,
    active boolean NOT NULL DEFAULT true,
    description text NOT NULL DEFAULT '',
    -- HMAC keys. Held as they are: signing needs them (only this service's role reads the schema).
    secret text NOT NULL,
    previous_secret text,
    previous_secret_expires_at timestamptz,
    secret_rotated_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL DEFAULT ''
);
CREATE INDEX subscriptions_program ON subscriptions (program_id) WHERE active;
ALTER TABLE subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON subscriptions USING (program_id = current_program_id());

-- status: pending (due at next_attempt_at), delivered, dead (retries gave up; redeliver by hand).
-- kind: live (made when the event arrived), redelivery, replay (made by hand).
CREATE TABLE deliveries (
    id bigserial PRIMARY KEY,
    program_id uuid NOT NULL,
    subscription_id uuid NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    event_id uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    event_sequence bigint NOT NULL,
    member_key text NOT NULL,  -- the event's member ('' for none): one member's deliveries go in order
    kind text NOT NULL DEFAULT 'live',
    status text NOT NULL DEFAULT 'pending',
    attempts int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    last_status_code int,
    last_latency_ms int,
    last_error text,
    delivered_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (status IN ('pending', 'delivered', 'dead')),
    CHECK (kind IN ('live', 'redelivery', 'replay'))
);
CREATE UNIQUE INDEX deliveries_live_once ON deliveries (subscription_id, event_id) WHERE kind = 'live';
CREATE INDEX deliveries_due ON deliveries (subscription_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_member_order ON deliveries (subscription_id, member_key, event_sequence)
    WHERE status = 'pending';
CREATE INDEX deliveries_log ON deliveries (subscription_id, id DESC);
ALTER TABLE deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON deliveries USING (program_id = current_program_id());

-- Every attempt of a delivery, for the log.
CREATE TABLE delivery_attempts (
    id bigserial PRIMARY KEY,
    program_id uuid NOT NULL,
    delivery_id bigint NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    status_code int,
    latency_ms int NOT NULL,
    error text
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id);
ALTER TABLE delivery_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE delivery_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON delivery_attempts USING (program_id = current_program_id());

-- Which subscriptions have deliveries due, and who is working on each: read before a program is
-- known (ids and times only), so one worker per subscription runs across all processes.
CREATE TABLE due_subscriptions (
    subscription_id uuid PRIMARY KEY,
    program_id uuid NOT NULL,
    due_at timestamptz NOT NULL,
    leased_until timestamptz,
    leased_by text
);
CREATE INDEX due_subscriptions_due ON due_subscriptions (due_at);
