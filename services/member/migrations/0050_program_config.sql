-- A program's structure: clubs (one is the default; members join clubs) and locations.

CREATE TABLE clubs (
    program_id uuid NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    is_default boolean NOT NULL DEFAULT false,
    archived_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, code),
    CHECK (NOT (is_default AND archived_at IS NOT NULL))
);
ALTER TABLE clubs ENABLE ROW LEVEL SECURITY;
ALTER TABLE clubs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON clubs USING (program_id = current_program_id());
CREATE UNIQUE INDEX clubs_one_default ON clubs (program_id) WHERE is_default;

CREATE TABLE club_members (
    program_id uuid NOT NULL,
    club_code text NOT NULL,
    member_id uuid NOT NULL,
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, member_id, club_code),
    FOREIGN KEY (program_id, club_code) REFERENCES clubs (program_id, code)
);
ALTER TABLE club_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE club_members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON club_members USING (program_id = current_program_id());
CREATE INDEX club_members_club ON club_members (program_id, club_code);

CREATE TABLE locations (
    program_id uuid NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('store', 'web', 'app', 'call_center', 'partner')),
    address text NOT NULL DEFAULT '',
    timezone text NOT NULL DEFAULT '',
    archived_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, code)
);
ALTER TABLE locations ENABLE ROW LEVEL SECURITY;
ALTER TABLE locations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON locations USING (program_id = current_program_id());

-- The birthday job looks members up by month and day.
CREATE INDEX members_birthday ON members (program_id, (extract(month FROM birth_date)), (extract(day FROM birth_date)))
    WHERE birth_date IS NOT NULL;
