-- Activity aggregates kept from the ledger events the points service delivers, and segments.

CREATE TABLE member_activity (
    program_id uuid NOT NULL,
    member_id uuid NOT NULL,
    balance bigint NOT NULL DEFAULT 0,
    lifetime_points bigint NOT NULL DEFAULT 0,
    total_spend numeric(18, 4) NOT NULL DEFAULT 0,
    transactions int NOT NULL DEFAULT 0,
    first_activity_at timestamptz,
    last_activity_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, member_id)
);
ALTER TABLE member_activity ENABLE ROW LEVEL SECURITY;
ALTER TABLE member_activity FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON member_activity USING (program_id = current_program_id());

-- Ledger events already applied: delivery is at least once, application exactly once.
CREATE TABLE consumed_ledger_events (
    program_id uuid NOT NULL,
    event_id text NOT NULL,
    consumed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, event_id)
);
ALTER TABLE consumed_ledger_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE consumed_ledger_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON consumed_ledger_events USING (program_id = current_program_id());

CREATE TABLE segments (
    program_id uuid NOT NULL REFERENCES programs(id),
    code text NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('rule', 'static')),
    rule jsonb,
    member_count int NOT NULL DEFAULT 0,
    refreshed_at timestamptz,
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, code),
    CHECK ((kind = 'rule') = (rule IS NOT NULL))
);
ALTER TABLE segments ENABLE ROW LEVEL SECURITY;
ALTER TABLE segments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON segments USING (program_id = current_program_id());

CREATE TABLE segment_members (
    program_id uuid NOT NULL,
    segment_code text NOT NULL,
    member_id uuid NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, segment_code, member_id),
    FOREIGN KEY (program_id, segment_code) REFERENCES segments (program_id, code) ON DELETE CASCADE
);
ALTER TABLE segment_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE segment_members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON segment_members USING (program_id = current_program_id());
CREATE INDEX segment_members_member ON segment_members (program_id, member_id);
