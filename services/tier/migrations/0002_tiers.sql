-- Tiers: slabs of ordered tiers, a compact activity table fed by ledger events, each member's tier
-- per slab, freeze windows, history, the outbox and the daily job's progress.

-- Program ids the daily job may visit (not tenant data: ids only), kept by a trigger on programs.
CREATE TABLE program_directory (
    program_id uuid PRIMARY KEY
);
CREATE FUNCTION register_program() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO program_directory(program_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    RETURN NEW;
END $$;
CREATE TRIGGER programs_directory AFTER INSERT ON programs FOR EACH ROW EXECUTE FUNCTION register_program();

CREATE TABLE slabs (
    program_id uuid NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    metric text NOT NULL CHECK (metric IN ('points', 'spend', 'transactions')),
    window_length int NOT NULL CHECK (window_length > 0),
    window_unit text NOT NULL CHECK (window_unit IN ('day', 'month')),
    downgrade text NOT NULL CHECK (downgrade IN ('one_level', 'to_base')),
    grace_days int NOT NULL DEFAULT 0 CHECK (grace_days >= 0),
    close_to_upgrade_percent int NOT NULL DEFAULT 90 CHECK (close_to_upgrade_percent BETWEEN 1 AND 100),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, code)
);
ALTER TABLE slabs ENABLE ROW LEVEL SECURITY;
ALTER TABLE slabs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON slabs USING (program_id = current_program_id());

-- Level 0 is the base tier (threshold 0, never lapses); thresholds rise strictly with the level.
CREATE TABLE tiers (
    program_id uuid NOT NULL,
    slab_code text NOT NULL,
    level int NOT NULL CHECK (level >= 0),
    code text NOT NULL,
    name text NOT NULL,
    benefits text NOT NULL DEFAULT '',
    earn_multiplier numeric(8, 4) NOT NULL DEFAULT 1 CHECK (earn_multiplier > 0),
    threshold numeric(16, 4) NOT NULL CHECK (threshold >= 0),
    retention_threshold numeric(16, 4) NOT NULL CHECK (retention_threshold >= 0),
    validity_months int CHECK (validity_months > 0),
    PRIMARY KEY (program_id, slab_code, level),
    UNIQUE (program_id, slab_code, code),
    FOREIGN KEY (program_id, slab_code) REFERENCES slabs (program_id, code) ON DELETE CASCADE
);
ALTER TABLE tiers ENABLE ROW LEVEL SECURITY;
ALTER TABLE tiers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tiers USING (program_id = current_program_id());

-- Members as ledger events introduced them.
CREATE TABLE members (
    program_id uuid NOT NULL,
    member_id uuid NOT NULL,
    loyalty_number text NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, member_id)
);
CREATE INDEX members_loyalty_number ON members (program_id, loyalty_number);
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
ALTER TABLE members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON members USING (program_id = current_program_id());

-- Every consumed ledger event (dedupe by event_id). Qualifying earns keep what a later void needs.
CREATE TABLE consumed_events (
    program_id uuid NOT NULL,
    event_id text NOT NULL,
    transaction_id text NOT NULL DEFAULT '',
    member_id uuid,
    day date,
    points bigint NOT NULL DEFAULT 0,
    amount numeric(16, 4) NOT NULL DEFAULT 0,
    voided_points bigint NOT NULL DEFAULT 0,
    qualifying boolean NOT NULL DEFAULT false,
    consumed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, event_id)
);
CREATE INDEX consumed_events_qualifying ON consumed_events (program_id, transaction_id) WHERE qualifying;
ALTER TABLE consumed_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE consumed_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON consumed_events USING (program_id = current_program_id());

-- The compact activity: per member and local day, points earned, spend and transactions.
CREATE TABLE activity (
    program_id uuid NOT NULL,
    member_id uuid NOT NULL,
    day date NOT NULL,
    points bigint NOT NULL DEFAULT 0,
    spend numeric(16, 4) NOT NULL DEFAULT 0,
    transactions int NOT NULL DEFAULT 0,
    PRIMARY KEY (program_id, member_id, day)
);
ALTER TABLE activity ENABLE ROW LEVEL SECURITY;
ALTER TABLE activity FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON activity USING (program_id = current_program_id());

CREATE TABLE member_tiers (
    program_id uuid NOT NULL,
    slab_code text NOT NULL,
    member_id uuid NOT NULL,
    level int NOT NULL DEFAULT 0,
    achieved_on date NOT NULL,
    lapse_on date,                       -- re-checked against retention on this date; NULL: never
    override_level int,
    override_reason text,
    override_ends_on date,               -- the floor holds before this date; NULL: until cleared
    close_notified_level int NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, slab_code, member_id),
    FOREIGN KEY (program_id, slab_code) REFERENCES slabs (program_id, code) ON DELETE CASCADE
);
CREATE INDEX member_tiers_lapse ON member_tiers (program_id, slab_code, lapse_on) WHERE lapse_on IS NOT NULL;
ALTER TABLE member_tiers ENABLE ROW LEVEL SECURITY;
ALTER TABLE member_tiers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON member_tiers USING (program_id = current_program_id());

CREATE TABLE tier_history (
    program_id uuid NOT NULL,
    id bigserial PRIMARY KEY,
    member_id uuid NOT NULL,
    slab_code text NOT NULL,
    change text NOT NULL CHECK (change IN ('upgrade', 'downgrade', 'anniversary', 'override', 'override_cleared')),
    from_level int NOT NULL,
    to_level int NOT NULL,
    reason text NOT NULL,
    effective_on date NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tier_history_member ON tier_history (program_id, member_id, id);
CREATE INDEX tier_history_period ON tier_history (program_id, slab_code, effective_on);
ALTER TABLE tier_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE tier_history FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tier_history USING (program_id = current_program_id());

-- No downgrades between two dates (inclusive), e.g. during a migration.
CREATE TABLE freeze_windows (
    program_id uuid NOT NULL,
    id bigserial PRIMARY KEY,
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    reason text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on >= starts_on)
);
ALTER TABLE freeze_windows ENABLE ROW LEVEL SECURITY;
ALTER TABLE freeze_windows FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON freeze_windows USING (program_id = current_program_id());

-- The daily job's checkpoints: a (program, slab, date) that finished is not redone after a kill.
CREATE TABLE evaluation_runs (
    program_id uuid NOT NULL,
    slab_code text NOT NULL,
    as_of date NOT NULL,
    upgrades int NOT NULL,
    downgrades int NOT NULL,
    anniversaries int NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, slab_code, as_of)
);
ALTER TABLE evaluation_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE evaluation_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON evaluation_runs USING (program_id = current_program_id());

-- The first anniversary after `after`: lapse + k * months (k >= 1), clamped to month ends as
-- PostgreSQL adds months. k starts near the calendar-month distance, so this is a few steps.
CREATE FUNCTION next_anniversary(lapse date, months int, after date) RETURNS date
    LANGUAGE sql IMMUTABLE AS $$
    SELECT min(d) FROM (
        SELECT (lapse + make_interval(months => months * k))::date AS d
        FROM generate_series(
            greatest(1, ((extract(year FROM after) - extract(year FROM lapse)) * 12
                         + extract(month FROM after) - extract(month FROM lapse))::int / months),
            greatest(1, ((extract(year FROM after) - extract(year FROM lapse)) * 12
                         + extract(month FROM after) - extract(month FROM lapse))::int / months) + 2) AS k
    ) candidates WHERE d > after
$$;
