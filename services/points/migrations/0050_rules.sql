-- The rules engine (docs/rules.md): rule sets with immutable published versions, campaigns,
-- usage counters for caps and budgets, and a per-program revision that invalidates caches.

CREATE TABLE rule_sets (
    program_id uuid NOT NULL,
    id uuid PRIMARY KEY,
    code text NOT NULL,
    name text NOT NULL,
    scope text NOT NULL CHECK (scope IN ('program', 'club', 'location', 'partner', 'tier', 'campaign')),
    scope_ref text NOT NULL DEFAULT '',
    archived_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((scope = 'program') = (scope_ref = '')),
    UNIQUE (program_id, code)
);
ALTER TABLE rule_sets ENABLE ROW LEVEL SECURITY;
ALTER TABLE rule_sets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rule_sets USING (program_id = current_program_id());

CREATE TABLE rule_set_versions (
    program_id uuid NOT NULL,
    rule_set_id uuid NOT NULL REFERENCES rule_sets(id),
    version int NOT NULL CHECK (version > 0),
    status text NOT NULL CHECK (status IN ('draft', 'published')),
    rules jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL DEFAULT '',
    published_at timestamptz,
    published_by text,
    PRIMARY KEY (rule_set_id, version)
);
ALTER TABLE rule_set_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE rule_set_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rule_set_versions USING (program_id = current_program_id());
CREATE UNIQUE INDEX rule_set_one_draft ON rule_set_versions (rule_set_id) WHERE status = 'draft';

-- A published version never changes: the database refuses it.
CREATE FUNCTION refuse_published_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'rule set version % is published and cannot change', OLD.version
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER rule_set_versions_immutable BEFORE UPDATE OR DELETE ON rule_set_versions
    FOR EACH ROW EXECUTE FUNCTION refuse_published_change();

CREATE TABLE campaigns (
    program_id uuid NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    targets jsonb NOT NULL DEFAULT '{}',
    budget_total bigint NOT NULL DEFAULT 0 CHECK (budget_total >= 0),        -- 0: unlimited
    budget_per_member bigint NOT NULL DEFAULT 0 CHECK (budget_per_member >= 0),
    archived_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    PRIMARY KEY (program_id, code)
);
ALTER TABLE campaigns ENABLE ROW LEVEL SECURITY;
ALTER TABLE campaigns FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON campaigns USING (program_id = current_program_id());

-- Counters for caps and budgets, written in the earn's own transaction (so a rolled-back earn
-- counts nothing). kind: rule_day (a rule's points for a member on a local day), rule_member
-- (a rule's points for a member, ever), campaign_member, campaign_total.
CREATE TABLE rule_usage (
    program_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('rule_day', 'rule_member', 'campaign_member', 'campaign_total')),
    key text NOT NULL,                 -- rule key (set:rule) or campaign code
    member_id uuid,                    -- NULL for campaign_total
    day date,                          -- only for rule_day
    points bigint NOT NULL DEFAULT 0,
    transactions int NOT NULL DEFAULT 0,
    UNIQUE NULLS NOT DISTINCT (program_id, kind, key, member_id, day)
);
ALTER TABLE rule_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE rule_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rule_usage USING (program_id = current_program_id());

-- Bumped by every publish, archive and campaign change: the earn path's cache key.
CREATE TABLE rules_revision (
    program_id uuid PRIMARY KEY,
    revision bigint NOT NULL DEFAULT 1
);
ALTER TABLE rules_revision ENABLE ROW LEVEL SECURITY;
ALTER TABLE rules_revision FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rules_revision USING (program_id = current_program_id());
