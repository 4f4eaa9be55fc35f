"""The importer's own schema: where each run is recorded and its dump is staged."""

import pathlib

import asyncpg

from services.common.migrations import migrate
from services.importer.settings import ImportSettings

MIGRATIONS = pathlib.Path(__file__).parent / "migrations"


async def open_staging(settings: ImportSettings) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(settings.dsn, min_size=1, max_size=4,
                                     server_settings={"search_path": "staging"})
    await migrate(pool, schema="staging", directory=MIGRATIONS, kernel=False)
    return pool


async def current_import(conn, *, program_code: str, directory: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM imports WHERE program_code = $1 AND directory = $2 ORDER BY started_at DESC LIMIT 1",
        program_code, str(directory))
