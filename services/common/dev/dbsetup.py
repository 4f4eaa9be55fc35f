"""Create the database, one role and one schema per service. Needs an administrator connection.

Each service connects as its own role, which owns only its schema: no service can read another's
tables, and none is a superuser, so row-level security always applies.
"""

import argparse
import asyncio
import os
import sys

import asyncpg

SERVICES = ("member", "points", "tier", "rewards", "billing", "identity", "notifications")
# Schemas that are not a service's: the import tool's staging area.
TOOLS = {"staging": "loyalty_import"}


def role_name(service: str) -> str:
    return f"loyalty_{service}"


async def setup_database(admin_dsn: str, *, database: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
    base, _, _ = admin_dsn.rpartition("/")
    conn = await asyncpg.connect(f"{base}/{database}")
    try:
        await conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        for service in SERVICES:
            role = role_name(service)
            password = os.environ.get(f"LOYALTY_DB_PASSWORD_{service.upper()}")
            if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
                await conn.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE")
            if password:
                await conn.execute(f"ALTER ROLE {role} PASSWORD {_literal(password)}")
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {service} AUTHORIZATION {role}")
            await conn.execute(f"ALTER ROLE {role} SET search_path = {service}")
            await conn.execute(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
        if await conn.fetchval("SELECT current_setting('server_version_num')::int") >= 150000:
            # The legacy import's batches prove the ledger's foreign keys set-based and turn their per-row
            # triggers off for the batch (services/points/importing/history.py). The points role owns those
            # tables and could drop the keys outright: this grants it nothing it could not do already.
            await conn.execute(f"GRANT SET ON PARAMETER session_replication_role TO {role_name('points')}")
        for schema, role in TOOLS.items():
            if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
                await conn.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE")
            password = os.environ.get(f"LOYALTY_DB_PASSWORD_{schema.upper()}")
            if password:
                await conn.execute(f"ALTER ROLE {role} PASSWORD {_literal(password)}")
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {role}")
            await conn.execute(f"ALTER ROLE {role} SET search_path = {schema}")
    finally:
        await conn.close()


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.common.dev.dbsetup")
    parser.add_argument("--admin-url", default=os.environ.get("DATABASE_ADMIN_URL"))
    parser.add_argument("--database", default=os.environ.get("DATABASE_NAME", "loyalty"))
    args = parser.parse_args(argv)
    if not args.admin_url:
        print("DATABASE_ADMIN_URL (or --admin-url) is required", file=sys.stderr)
        return 2
    asyncio.run(setup_database(args.admin_url, database=args.database))
    return 0


if __name__ == "__main__":
    sys.exit(main())
