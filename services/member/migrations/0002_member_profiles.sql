-- Profiles, statuses with history, the blocklist, duplicate rules and search indexes.

ALTER TABLE members
    ADD COLUMN zip text NOT NULL DEFAULT '',
    ADD COLUMN nationality text NOT NULL DEFAULT '',
    ADD COLUMN marketing_email boolean NOT NULL DEFAULT false,
    ADD COLUMN marketing_sms boolean NOT NULL DEFAULT false,
    ADD COLUMN marketing_post boolean NOT NULL DEFAULT false,
    ADD COLUMN custom_attributes jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN opted_in_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN status_changed_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN merged_into uuid,
    ADD COLUMN erased_at timestamptz,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT members_status CHECK (status IN ('active', 'suspended', 'blacklisted', 'opted_out', 'merged', 'erased'));

-- Duplicate rules the database enforces, so two concurrent enrolments cannot both win.
CREATE UNIQUE INDEX members_unique_phone ON members (program_id, phone) WHERE phone <> '';
CREATE UNIQUE INDEX members_unique_name_birth ON members (program_id, lower(first_name), lower(last_name), birth_date)
    WHERE birth_date IS NOT NULL;

-- Search: prefix, case-insensitive, byte order ("C") so one index serves both LIKE 'x%' and ORDER BY.
CREATE INDEX members_search_number ON members (program_id, (loyalty_number COLLATE "C"), id);
CREATE INDEX members_search_email ON members (program_id, (email_normalized COLLATE "C"), id);
CREATE INDEX members_search_phone ON members (program_id, (phone COLLATE "C"), id) WHERE phone <> '';
CREATE INDEX members_search_name ON members (program_id, (lower(last_name || ' ' || first_name) COLLATE "C"), id);
CREATE INDEX members_search_first_name ON members (program_id, (lower(first_name || ' ' || last_name) COLLATE "C"), id);

-- Who changed a member's status, when and why.
CREATE TABLE member_status_history (
    program_id uuid NOT NULL,
    id bigserial PRIMARY KEY,
    member_id uuid NOT NULL,
    from_status text NOT NULL,
    to_status text NOT NULL,
    reason text NOT NULL,
    changed_by text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (program_id, member_id) REFERENCES members (program_id, id)
);
ALTER TABLE member_status_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE member_status_history FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON member_status_history USING (program_id = current_program_id());
CREATE INDEX member_status_history_member ON member_status_history (program_id, member_id, id);

-- Blacklisted identities: keyed hashes, so they outlive erasure without keeping the data itself.
CREATE TABLE blocklist (
    program_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('email', 'phone', 'name_birth')),
    value_hash bytea NOT NULL,
    member_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, kind, value_hash)
);
ALTER TABLE blocklist ENABLE ROW LEVEL SECURITY;
ALTER TABLE blocklist FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON blocklist USING (program_id = current_program_id());

-- Per-program member settings: the welcome mail template and the custom attributes' JSON Schema.
CREATE TABLE member_settings (
    program_id uuid PRIMARY KEY REFERENCES programs(id),
    welcome_enabled boolean NOT NULL DEFAULT true,
    welcome_subject text NOT NULL,
    welcome_body text NOT NULL,
    custom_attributes_schema jsonb,
    updated_by text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE member_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE member_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON member_settings USING (program_id = current_program_id());

-- Mail waiting to go out after commit; a failed send is retried with backoff. No personal data
-- here: the address is read from the member at send time (an erased member gets nothing).
CREATE TABLE mail_outbox (
    id bigserial PRIMARY KEY,
    program_id uuid NOT NULL,
    member_id uuid NOT NULL,
    kind text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    attempts int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;

-- Merges as a saga: recorded first, then the points move (idempotent by reference), then finished.
CREATE TABLE merges (
    program_id uuid NOT NULL,
    id uuid NOT NULL,
    from_member_id uuid NOT NULL,
    to_member_id uuid NOT NULL,
    reference text NOT NULL,
    state text NOT NULL CHECK (state IN ('pending', 'points_moved', 'completed')),
    reason text NOT NULL,
    requested_by text NOT NULL,
    attempts int NOT NULL DEFAULT 0,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    PRIMARY KEY (program_id, id),
    UNIQUE (program_id, reference)
);
ALTER TABLE merges ENABLE ROW LEVEL SECURITY;
ALTER TABLE merges FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON merges USING (program_id = current_program_id());
-- A member is merged away once; while a merge is open, neither side can be in another.
CREATE UNIQUE INDEX merges_one_per_from ON merges (program_id, from_member_id);
CREATE INDEX merges_open ON merges (program_id, created_at) WHERE state <> 'completed';
