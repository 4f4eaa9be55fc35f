"""Apply a service's SQL migrations (NNNN_name.sql) in order, once, under an advisory lock."""

import hashlib
import logging
import pathlib

import asyncpg

log = logging.getLogger(__name__)


async def migrate(pool: asyncpg.Pool, *, schema: str, directory: pathlib.Path) -> list[str]:
    files = sorted(p for p in directory.glob("*.sql") if p.name[:4].isdigit())
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
