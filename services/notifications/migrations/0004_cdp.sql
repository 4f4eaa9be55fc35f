-- The CDP connector (Infobip People): cdp.py, cdp_sync.py, people.py.

-- A program's connector. The API key is held as it is (calls need it; only this service's role
-- reads the schema) and never returned: the API says whether one is set.
CREATE TABLE cdp_connectors (
    program_id uuid PRIMARY KEY,
    base_url text NOT NULL,
    api_key text NOT NULL,
    account text NOT NULL,  -- people.account_of(base_url, api_key): the rate limits are per account
    attributes jsonb NOT NULL,  -- profile field -> People custom attribute name ('' : not sent)
    tag text NOT NULL DEFAULT '',  -- the loyalty tag (seed 004 L_004/L_005); '' : none
    event_types text[] NOT NULL,  -- which of the eight events go to People
    active boolean NOT NULL DEFAULT true,
    debounce_seconds double precision NOT NULL DEFAULT 2,
    creates_per_second double precision NOT NULL DEFAULT 10,
    updates_per_second double precision NOT NULL DEFAULT 5,
    tag_batch_size int NOT NULL DEFAULT 1000,
    active_within_days int NOT NULL DEFAULT 365,
    updated_by text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE cdp_connectors ENABLE ROW LEVEL SECURITY;
ALTER TABLE cdp_connectors FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON cdp_connectors USING (program_id = current_program_id());

-- What is owed to People, per member in id order: create the person, push its attributes, send an
-- event, set or remove the tag. A member's tasks other than `attributes` go one at a time in order
-- (the person first). `attributes` is one pending row per member: each change while it waits bumps
-- `changes` (the push reads the profile when it goes, so the latest state wins); a change that
-- comes while a push is in flight leaves it pending for another push, so none is lost.
CREATE TABLE cdp_tasks (
    id bigserial PRIMARY KEY,
    program_id uuid NOT NULL,
    loyalty_number text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('create', 'attributes', 'event', 'tag', 'untag')),
    event_id uuid,  -- the catalogue event it comes from: at most one task of a kind each
    event_type text NOT NULL DEFAULT '',
    properties jsonb NOT NULL DEFAULT '{}',
    changes int NOT NULL DEFAULT 1,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts int NOT NULL DEFAULT 0,
    due_at timestamptz NOT NULL DEFAULT now(),
    claimed boolean NOT NULL DEFAULT false,  -- in flight (a killed worker's are let go by the next one)
    created_at timestamptz NOT NULL DEFAULT now(),
    done_at timestamptz,
    last_error text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX cdp_tasks_event_once ON cdp_tasks (program_id, event_id, kind) WHERE event_id IS NOT NULL;
CREATE UNIQUE INDEX cdp_tasks_attributes_pending ON cdp_tasks (program_id, loyalty_number)
    WHERE kind = 'attributes' AND status = 'pending';
CREATE INDEX cdp_tasks_member_order ON cdp_tasks (program_id, loyalty_number, id) WHERE status = 'pending';
CREATE INDEX cdp_tasks_due ON cdp_tasks (program_id, due_at) WHERE status = 'pending';
ALTER TABLE cdp_tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE cdp_tasks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON cdp_tasks USING (program_id = current_program_id());

-- Whole-program work: a backfill (every member's person, attributes and tag) or a bulk tag/untag
-- (the listed members, or all). `cursor` is where it has got to (a member page token and how many
-- of that page are done, or an index into `loyalty_numbers`): a killed run resumes from it.
CREATE TABLE cdp_jobs (
    id uuid PRIMARY KEY,
    program_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('backfill', 'tag', 'untag')),
    status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
    loyalty_numbers text[],  -- NULL: every member of the program
    cursor jsonb NOT NULL DEFAULT '{}',
    done int NOT NULL DEFAULT 0,
    failed int NOT NULL DEFAULT 0,
    total int,  -- known for a list; for every member, once the last page is read
    attempts int NOT NULL DEFAULT 0,
    due_at timestamptz NOT NULL DEFAULT now(),
    last_error text NOT NULL DEFAULT '',
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX cdp_jobs_running ON cdp_jobs (program_id, created_at) WHERE status = 'running';
ALTER TABLE cdp_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE cdp_jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON cdp_jobs USING (program_id = current_program_id());

-- Which programs have a connector, and which process syncs each (one at a time across processes):
-- read before a program is known (ids and times only).
CREATE TABLE cdp_programs (
    program_id uuid PRIMARY KEY,
    active boolean NOT NULL,
    leased_by text,
    leased_until timestamptz
);
