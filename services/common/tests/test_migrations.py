import pathlib

from services.common.dbsetup import SERVICES
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
