-- Identity spans programs (one person may be Admin of A and Management of B), so its tables are
-- not tenant-scoped by row-level security: the gateway authorizes by program before every call,
-- and none of these tables holds member profile data.

CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL,
    display_name text NOT NULL DEFAULT '',
    password_hash text,
    status text NOT NULL DEFAULT 'invited' CHECK (status IN ('invited', 'active', 'deactivated')),
    failed_sign_ins int NOT NULL DEFAULT 0,
    locked_until timestamptz,
    totp_secret text,
    totp_pending_secret text,
    totp_enabled boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_sign_in_at timestamptz,
    deactivated_at timestamptz
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

-- Roles are data: built-in rows (program_code '') and a program's custom roles. Permissions are
-- patterns over the gateway's catalogue (gateway/permissions.py): "*", "points.*", "*.read", "!user.manage".
CREATE TABLE roles (
    program_code text NOT NULL DEFAULT '',
    code text NOT NULL,
    name text NOT NULL,
    permissions text[] NOT NULL,
    builtin boolean NOT NULL DEFAULT false,
    platform boolean NOT NULL DEFAULT false,
    PRIMARY KEY (program_code, code)
);

CREATE TABLE role_assignments (
    user_id uuid NOT NULL REFERENCES users(id),
    program_code text NOT NULL,  -- '*': platform-wide
    role_code text NOT NULL,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, program_code, role_code)
);

-- Single-use tokens mailed to people (invitation, password reset): only their hash is kept.
CREATE TABLE mail_tokens (
    token_hash bytea PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('invitation', 'reset')),
    user_id uuid NOT NULL REFERENCES users(id),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Mail waiting to go out after commit; the body holds the link (with the token), so rows are
-- deleted once sent.
CREATE TABLE mail_outbox (
    id bigserial PRIMARY KEY,
    to_address text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    attempts int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text
);

-- A session is a family of refresh tokens: each refresh spends one and issues the next.
CREATE TABLE sessions (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('staff', 'member')),
    user_id uuid,                 -- staff
    member_id uuid,               -- member
    member_loyalty_number text,
    member_program_code text,
    mfa_pending boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    revoked_reason text,
    ip text,
    user_agent text
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES sessions(id),
    issued_at timestamptz NOT NULL DEFAULT now(),
    spent_at timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE recovery_codes (
    user_id uuid NOT NULL REFERENCES users(id),
    code_hash bytea NOT NULL,
    used_at timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- Member sign-in passcodes: 6 digits, 15 minutes, single use, locked after 5 wrong tries.
CREATE TABLE member_passcodes (
    id uuid PRIMARY KEY,
    program_code text NOT NULL,
    member_id uuid NOT NULL,
    loyalty_number text NOT NULL,
    code_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    attempts int NOT NULL DEFAULT 0,
    status text NOT NULL DEFAULT 'live' CHECK (status IN ('live', 'used', 'locked', 'superseded'))
);
CREATE INDEX member_passcodes_member ON member_passcodes (program_code, member_id, created_at DESC);

-- Revoked sessions and API keys are announced on this channel (the gateway's revocation feed).
-- Any service's transaction may NOTIFY it; delivery is at commit.
CREATE FUNCTION notify_session_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL THEN
        PERFORM pg_notify('loyalty_revocations', 'session:' || NEW.id::text);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER sessions_revoked AFTER UPDATE OF revoked_at ON sessions
    FOR EACH ROW EXECUTE FUNCTION notify_session_revoked();

-- The audit log: append-only. UPDATE is always refused; DELETE only by the retention purge,
-- for rows older than the retention setting.
CREATE TABLE audit_settings (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    retention_days int NOT NULL DEFAULT 400 CHECK (retention_days >= 30)
);
INSERT INTO audit_settings DEFAULT VALUES;

CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    subject text NOT NULL,
    subject_kind text NOT NULL,
    roles text NOT NULL DEFAULT '',
    program_code text NOT NULL DEFAULT '',
    ip text NOT NULL DEFAULT '',
    user_agent text NOT NULL DEFAULT '',
    operation text NOT NULL,
    target_ids jsonb NOT NULL DEFAULT '[]',
    summary jsonb NOT NULL DEFAULT '{}',
    request_id text NOT NULL DEFAULT '',
    outcome text NOT NULL
);
CREATE INDEX audit_log_program ON audit_log (program_code, id DESC);
CREATE INDEX audit_log_subject ON audit_log (subject, id DESC);
CREATE INDEX audit_log_time ON audit_log (occurred_at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('app.audit_purge', true) = 'on'
       AND OLD.occurred_at < now() - make_interval(days => (SELECT retention_days FROM audit_settings)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- The built-in roles of the requirements. Permission patterns expand over the gateway's catalogue,
-- so a permission added there reaches the roles whose patterns cover it without a migration.
INSERT INTO roles (program_code, code, name, permissions, builtin, platform) VALUES
    ('', 'lms_admin', 'LMS Admin', ARRAY['*'], true, true),
    ('', 'super_admin', 'Super Admin', ARRAY['*'], true, false),
    ('', 'admin', 'Admin', ARRAY['*', '!user.*'], true, false),
    ('', 'management', 'Management', ARRAY['*.read', '*.report', 'audit.read'], true, false),
    ('', 'front_line_manager', 'Front-Line Manager',
        ARRAY['program.read', 'member.read', 'member.enroll', 'points.read', 'points.earn', 'points.redeem',
              'points.goodwill', 'points.void', 'rewards.read', 'rewards.redeem',
              'tier.read'], true, false),
    ('', 'member', 'Member', ARRAY['self.read', 'self.act'], true, false);
