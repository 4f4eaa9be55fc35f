-- Program ids only (no tenant data), so batch jobs can loop over programs and then set
-- app.program_id for each; every tenant table stays behind row-level security.
CREATE TABLE known_programs (
    id uuid PRIMARY KEY
);

CREATE FUNCTION remember_program() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO known_programs(id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    RETURN NEW;
END $$;
CREATE TRIGGER programs_known AFTER INSERT ON programs FOR EACH ROW EXECUTE FUNCTION remember_program();

-- Programs provisioned before this migration: the owner reads past RLS for this one statement.
ALTER TABLE programs NO FORCE ROW LEVEL SECURITY;
INSERT INTO known_programs(id) SELECT id FROM programs ON CONFLICT DO NOTHING;
ALTER TABLE programs FORCE ROW LEVEL SECURITY;
