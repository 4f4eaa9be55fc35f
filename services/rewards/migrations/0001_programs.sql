-- current_program_id(), idempotency_keys and outbox: services/common/migrations/0000_kernel.sql

-- This service's copy of each program's settings (pushed by ProvisionProgram).
CREATE TABLE programs (
    id uuid PRIMARY KEY,
    code text NOT NULL,
    currency char(3) NOT NULL,
    timezone text NOT NULL,
    archived boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE programs ENABLE ROW LEVEL SECURITY;
ALTER TABLE programs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON programs USING (id = current_program_id());
