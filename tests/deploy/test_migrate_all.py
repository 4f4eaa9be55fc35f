"""The migrations Job's command, run for real against the test PostgreSQL: it sets up the database and
applies every service's migrations as the service's own role; a second run changes nothing."""

import os
import subprocess
import sys

import asyncpg

from services.common.migrations import migration_files
from services.common.dev import localpg, migrate_all
from services.common.dev.dbsetup import SERVICES
from tests.fixtures.postgres import ROOT


def test_a_service_dsn_is_the_admin_url_with_the_services_role_and_quoted_password():
    env = {"DATABASE_ADMIN_URL": "postgresql://postgres@db.internal:6432/postgres?sslmode=require",
           "DATABASE_NAME": "loyalty", "LOYALTY_DB_PASSWORD_POINTS": "p@ss:w/rd%"}
    assert migrate_all.service_dsn("points", env) == \
        "postgresql://loyalty_points:p%40ss%3Aw%2Frd%25@db.internal:6432/loyalty?sslmode=require"
    env["DATABASE_URL_POINTS"] = "postgresql://loyalty_points@10.0.0.3:5432/loyalty"
    assert migrate_all.service_dsn("points", env) == \
        "postgresql://loyalty_points:p%40ss%3Aw%2Frd%25@10.0.0.3:5432/loyalty"


async def test_the_migrations_job_sets_up_and_migrates_every_service_idempotently(database):
    env = {**os.environ, "DATABASE_ADMIN_URL": localpg.admin_dsn(database.port), "DATABASE_NAME": localpg.DB_NAME,
           "PGPASSWORD": ""}
    for service in SERVICES:
        env[f"DATABASE_URL_{service.upper()}"] = database.service_dsn(service)
    command = [sys.executable, "-m", "services.common.dev.migrate_all", "--setup"]
    first = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    second = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert all(f"{s}: up to date" in second.stdout for s in SERVICES), second.stdout

    conn = await asyncpg.connect(database.admin_dsn)
    try:
        for service in SERVICES:
            files = [p.stem for p in migration_files(ROOT / "services" / service / "migrations")]
            done = [r["version"] for r in await conn.fetch(
                f"SELECT version FROM {service}.schema_migrations ORDER BY version")]
            assert done == files, service
            owners = {r["tableowner"] for r in await conn.fetch(
                "SELECT tableowner FROM pg_tables WHERE schemaname = $1", service)}
            assert owners == {f"loyalty_{service}"}, (service, owners)
    finally:
        await conn.close()
