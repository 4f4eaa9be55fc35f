"""Apply a service's SQL migrations (NNNN_name.sql) in order, once, under an advisory lock.

Every service schema first gets the shared kernel (migrations/0000_kernel.sql beside this file:
current_program_id(), idempotency_keys, outbox), recorded like any other version. A version is
known by its file name only (no checksum), so the kernel, added after the services' first
migrations had shipped with their own copies of it, is written to be a no-op where they ran.
"""

import hashlib
import logging
import pathlib

import asyncpg

log = logging.getLogger(__name__)

KERNEL = pathlib.Path(__file__).parent / "migrations"


def migration_files(directory: pathlib.Path, *, kernel: bool = True) -> list[pathlib.Path]:
    """The files a schema gets, in the order they are applied (the kernel's 0000 sorts first)."""
    directories = (KERNEL, directory) if kernel else (directory,)
    files = [p for d in directories for p in d.glob("*.sql") if p.name[:4].isdigit()]
    return sorted(files, key=lambda p: p.name)


async def migrate(pool: asyncpg.Pool, *, schema: str, directory: pathlib.Path, kernel: bool = True) -> list[str]:
    """`kernel=False` for schemas that are not a service's (the importer's staging area)."""
    files = migration_files(directory, kernel=kernel)
    lock_key = int.from_bytes(hashlib.sha256(f"migrate:{schema}".encode()).digest()[:8], "big", signed=True)
    applied_now: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", lock_key)
        try:
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {schema}.schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["version"] for r in await conn.fetch(f"SELECT version FROM {schema}.schema_migrations")}
            for path in files:
                version = path.stem
                if version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(path.read_text())
                    await conn.execute(f"INSERT INTO {schema}.schema_migrations(version) VALUES ($1)", version)
                applied_now.append(version)
                log.info("applied migration %s.%s", schema, version)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", lock_key)
    return applied_now
