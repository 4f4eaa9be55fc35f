import pathlib

from services.common.db import create_pool
from services.common.dev.dbsetup import SERVICES
from services.common.migrations import migrate
from tests.fixtures.postgres import ROOT


async def test_migrations_are_applied_once(pools):
    # the session fixture already migrated every service: running again applies nothing
    for service in SERVICES:
        directory = ROOT / "services" / service / "migrations"
        assert await migrate(pools[service], schema=service, directory=directory) == []


async def test_a_new_migration_is_applied_in_order(pools, tmp_path: pathlib.Path, admin_conn):
    schema = "billing"
    pool = pools[schema]
    for p in sorted((ROOT / "services" / schema / "migrations").glob("*.sql")):
        (tmp_path / p.name).write_text(p.read_text())
    (tmp_path / "9999_probe.sql").write_text("CREATE TABLE migration_probe (id int);")
    try:
        assert await migrate(pool, schema=schema, directory=tmp_path) == ["9999_probe"]
        assert await migrate(pool, schema=schema, directory=tmp_path) == []
    finally:
        await admin_conn.execute("DROP TABLE IF EXISTS billing.migration_probe")
        await admin_conn.execute("DELETE FROM billing.schema_migrations WHERE version = '9999_probe'")


# What each service's first migration carried before the kernel was written once (commit 8cb44f3).
BEFORE_THE_KERNEL = """
CREATE FUNCTION current_program_id() RETURNS uuid
    LANGUAGE sql STABLE AS $$ SELECT NULLIF(current_setting('app.program_id', true), '')::uuid $$;
CREATE TABLE idempotency_keys (
    program_id uuid NOT NULL, operation text NOT NULL, key text NOT NULL, request_hash bytea NOT NULL,
    response bytea, created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (program_id, operation, key));
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys USING (program_id = current_program_id());
CREATE TABLE outbox (
    id bigserial PRIMARY KEY, program_id uuid NOT NULL, event_type text NOT NULL, payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(), delivered_at timestamptz, attempts int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(), last_error text);
CREATE INDEX outbox_undelivered ON outbox (next_attempt_at) WHERE delivered_at IS NULL;
INSERT INTO idempotency_keys VALUES ('00000000-0000-0000-0000-000000000001', 'earn', 'k', '\\x01', '\\x02');
CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
INSERT INTO schema_migrations(version) VALUES ('0001_programs');
"""


async def test_the_kernel_applies_to_a_schema_created_before_it_and_keeps_its_rows(database, admin_conn, tmp_path):
    # given a schema whose first migration (applied long ago) carried its own copy of the kernel
    await admin_conn.execute("DROP SCHEMA IF EXISTS kernel_probe CASCADE; CREATE SCHEMA kernel_probe")
    await admin_conn.execute("SET search_path = kernel_probe; " + BEFORE_THE_KERNEL + "; RESET search_path")
    (tmp_path / "0001_programs.sql").write_text("SELECT 1/0;  -- recorded as applied: never run again")
    await admin_conn.execute("INSERT INTO kernel_probe.outbox(program_id, event_type, payload)"
                             " VALUES (gen_random_uuid(), 'OLD', '{}')")
    pool = await create_pool(database.admin_dsn, schema="kernel_probe", application="kernel-probe",
                             min_size=1, max_size=1)
    try:
        # when the kernel is applied, and applied again
        assert await migrate(pool, schema="kernel_probe", directory=tmp_path) == ["0000_kernel", "0000_kernel_export",
                                                                                     "0000_kernel_undelivered"]
        assert await migrate(pool, schema="kernel_probe", directory=tmp_path) == []
    finally:
        await pool.close()
    # then what was there is still there, with its row-level security
    assert await admin_conn.fetchval("SELECT count(*) FROM kernel_probe.idempotency_keys") == 1
    assert await admin_conn.fetchval(
        "SELECT count(*) FROM pg_policies WHERE schemaname = 'kernel_probe' AND tablename = 'idempotency_keys'") == 1
    # and the outbox rows written before the export existed are not exported; new ones wait for it
    await admin_conn.execute("INSERT INTO kernel_probe.outbox(program_id, event_type, payload)"
                             " VALUES (gen_random_uuid(), 'NEW', '{}')")
    waiting = await admin_conn.fetch("SELECT event_type FROM kernel_probe.outbox WHERE exported_at IS NULL")
    assert [r["event_type"] for r in waiting] == ["NEW"]
    await admin_conn.execute("DROP SCHEMA kernel_probe CASCADE")
