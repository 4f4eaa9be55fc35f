"""`loyalty-import run`: load the dump into staging, then have each owning service apply its part.

Each step records its completion on the import row, so a killed run resumes at the step it was
in; every step is idempotent by legacy ids, so redoing a half-done step changes nothing twice.
"""

import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import time
import uuid
from collections.abc import Callable

import asyncpg

from services.common.errors import DomainError, ErrorCode
from services.importer import compare as comparing
from services.importer import dump, loading
from services.importer.peers import HistoryProgress, Peers
from services.importer.settings import ImportSettings
from services.importer.staging import current_import, open_staging

class Held(Exception):
    """The import stopped at the first batch that breaks the dump's control totals."""


async def _advance(conn, import_id: uuid.UUID, state: str, counters: dict) -> None:
    await conn.execute(
        "UPDATE imports SET state = $2, counters = counters || $3::jsonb, updated_at = now(),"
        " finished_at = CASE WHEN $2 = 'done' THEN now() END WHERE id = $1",
        import_id, state, json.dumps(counters))


async def _history(
    peers: Peers, pool: asyncpg.Pool, *, import_id: uuid.UUID, void_before: dt.datetime | None, batch_members: int,
    say: Callable[[str], None],
) -> HistoryProgress:
    """The points service streams its totals after each batch: shown here and kept for `status`."""
    async for last in peers.import_history(import_id, void_before=void_before, batch_members=batch_members):
        if last.finished:
            return last
        say(f"history: {last.members_done:,} of {last.members_total:,} members,"
            f" {last.transactions_imported:,} transactions")
        async with pool.acquire() as conn:
            await conn.execute(
                "UPDATE imports SET counters = counters || $2::jsonb, updated_at = now() WHERE id = $1",
                import_id, json.dumps({"history_members_done": last.members_done,
                                       "history_members_total": last.members_total}))
    raise DomainError(ErrorCode.INTERNAL, "the points service ended the history import without its totals")


async def _tiers(peers: Peers, import_id: uuid.UUID) -> dict:
    started = time.monotonic()
    reply = await peers.import_tiers(import_id)
    return {"members_tiered": reply.members_tiered, "unknown_tier_codes": list(reply.unknown_tier_codes),
            "tiers_seconds": round(time.monotonic() - started, 2)}


async def _load(
    pool: asyncpg.Pool, *, import_id: uuid.UUID, source: dump.FolderDump, now: dt.datetime, max_reject_rate: float,
    say: Callable[[str], None],
) -> None:
    """Staging gets the whole dump or nothing; a refused load leaves the import 'failed' with
    its reason (a rerun after the fix starts it again), never 'loading'."""
    started = time.monotonic()
    say("loading the dump into staging (COPY)")
    try:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SET LOCAL jit = off")  # one-off statements over fresh tables: compiling costs more
            for table in ("quarantine", "transactions", "balances", "members"):
                await conn.execute(f"DELETE FROM {table} WHERE import_id = $1", import_id)
            result = await loading.load(conn, import_id=import_id, source=source, now=now,
                                        max_reject_rate=max_reject_rate, progress=say, second=pool.acquire)
            # the services' set-based statements read these rows next: planned on their real counts, not
            # on whatever autovacuum has sampled by then (a plan that flips mid-import)
            await conn.execute("ANALYZE members, balances, transactions")
            await _advance(conn, import_id, "loaded", {
                "rows": result.report.row_counts, "loaded": result.loaded,
                "quarantined_on_load": len(result.report.rejections),
                "control_batches": result.report.control_batches,
                "control_batches_ok": result.report.control_batches_ok,
                "control_break": result.report.control_break,
                "load_seconds": round(time.monotonic() - started, 2)})
    except BaseException as err:
        try:
            async with pool.acquire() as conn, conn.transaction():
                # a second connection may have committed its part of the transactions (bulk_load.py)
                for table in ("quarantine", "transactions", "balances", "members"):
                    await conn.execute(f"DELETE FROM {table} WHERE import_id = $1", import_id)
                await conn.execute("UPDATE imports SET state = 'failed', error = $2, updated_at = now() WHERE id = $1",
                                   import_id, str(err) or type(err).__name__)
        except Exception:  # noqa: BLE001 - the load's own error is the one to report
            pass
        raise
    say(f"loaded {result.loaded}; quarantined {len(result.report.rejections)} rows")
    if result.report.control_break:
        say(f"control totals: {result.report.control_break}; importing the {result.report.control_batches_ok}"
            " batches before it")


async def run_import(
    settings: ImportSettings, *, source: dump.FolderDump, label: str, program_code: str,
    void_before: dt.datetime | None, say: Callable[[str], None], now: dt.datetime | None = None,
    batch_members: int = 0, max_reject_rate: float = 0.01,
) -> uuid.UUID:
    """Import `source` (recorded under `label`, its folder or its remote address) into the program."""
    directory = source.directory
    source.check()  # a dump that cannot be read is refused before anything is recorded
    pool = await open_staging(settings)
    peers = Peers.connect(settings)
    try:
        program_id = await peers.program_id(program_code)
        async with pool.acquire() as conn:
            row = await current_import(conn, program_code=program_code, directory=label)
            if row is None or row["state"] == "done":
                import_id = uuid.uuid4()
                await conn.execute(
                    "INSERT INTO imports(id, program_code, program_id, directory, void_before) VALUES ($1, $2, $3, $4, $5)",
                    import_id, program_code, program_id, label, void_before)
                state = "loading"
                if row is not None:
                    say(f"an earlier import of {label} is done; this run imports only what is new")
            else:
                import_id, state = row["id"], row["state"]
                if state in ("failed", "held"):
                    say(f"import {import_id} was refused earlier ({row['error']}); loading it again")
                    state = "loading"
                else:
                    say(f"resuming import {import_id} at step '{state}'")

        if state == "loading":
            await _load(pool, import_id=import_id, source=source, now=now or dt.datetime.now(dt.timezone.utc),
                        max_reject_rate=max_reject_rate, say=say)
            state = "loaded"

        if state == "loaded":
            started = time.monotonic()
            say("members: creating or matching (member service)")
            reply = await peers.import_members(import_id)
            counters = {"members_created": reply.created, "members_matched": reply.matched_existing,
                        "members_quarantined": reply.quarantined,
                        "members_seconds": round(time.monotonic() - started, 2)}
            async with pool.acquire() as conn:
                await _advance(conn, import_id, "members", counters)
                await conn.execute("ANALYZE member_map")  # the history's batches join it (see _load)
            state = "members"
            say(f"members: {counters}")

        tiers = None
        if state == "members":
            started = time.monotonic()
            say("history: voids, imported transactions, lots, policy expiry and remediation (points service)")
            # the tiers come from the dump and the member map alone: they go in beside the history's batches
            # (one statement on one core), not after them
            say("tiers and tier achieved dates (tier service), beside the history")
            tiers = asyncio.create_task(_tiers(peers, import_id))
            try:
                reply = await _history(peers, pool, import_id=import_id, void_before=void_before,
                                       batch_members=batch_members, say=say)
            except BaseException:
                tiers.cancel()
                with contextlib.suppress(BaseException):
                    await tiers
                raise
            counters = {"transactions_imported": reply.transactions_imported, "voided": reply.transactions_voided,
                        "lots_created": reply.lots_created, "lots_expired_by_policy": reply.lots_expired,
                        "members_remediated": reply.members_remediated,
                        "remediation_credited": reply.points_credited, "remediation_debited": reply.points_debited,
                        "history_seconds": round(time.monotonic() - started, 2)}
            async with pool.acquire() as conn:
                await _advance(conn, import_id, "history", counters)
            state = "history"
            say(f"history: {counters}")

        if state == "history":
            if tiers is None:  # resumed after the history: the tiers again (rerunning them changes nothing)
                say("tiers and tier achieved dates (tier service)")
                tiers = asyncio.create_task(_tiers(peers, import_id))
            counters = await tiers
            async with pool.acquire() as conn:
                held = json.loads(await conn.fetchval("SELECT counters FROM imports WHERE id = $1", import_id)
                                  ).get("control_break")
                await _advance(conn, import_id, "held" if held else "done", counters)
                if held:
                    await conn.execute("UPDATE imports SET error = $2 WHERE id = $1", import_id, held)
            say(f"tiers: {counters}")
        async with pool.acquire() as conn:
            count = await loading.write_quarantine_file(conn, import_id=import_id, path=directory / "quarantine.csv")
        say(f"{count} quarantined rows written to {directory / 'quarantine.csv'}")
        async with pool.acquire() as conn:
            row = await conn.fetchrow("SELECT state, error, counters FROM imports WHERE id = $1", import_id)
        if row["state"] == "held":
            counters = json.loads(row["counters"])
            raise Held(f"stopped: {row['error']}. The {counters.get('control_batches_ok', 0)} batches before it are"
                       f" imported; fix the dump and run again to import the rest")
        return import_id
    finally:
        await peers.close()
        await pool.close()


async def status(settings: ImportSettings, *, program_code: str) -> list[dict]:
    pool = await open_staging(settings)
    try:
        async with pool.acquire() as conn:
            rows = await conn.fetch("SELECT id, directory, state, counters, started_at, updated_at, finished_at"
                                    " FROM imports WHERE program_code = $1 ORDER BY started_at", program_code)
        return [dict(r) | {"id": str(r["id"]), "counters": json.loads(r["counters"])
                           if isinstance(r["counters"], str) else r["counters"]} for r in rows]
    finally:
        await pool.close()


async def mapping(settings: ImportSettings, *, program_code: str) -> list[tuple[str, str, str]]:
    pool = await open_staging(settings)
    peers = Peers.connect(settings)
    try:
        program_id = await peers.program_id(program_code)
        async with pool.acquire() as conn:
            rows = await conn.fetch("SELECT legacy_id, loyalty_number, email FROM member_map WHERE program_id = $1"
                                    " ORDER BY legacy_id", program_id)
        return [tuple(r) for r in rows]
    finally:
        await peers.close()
        await pool.close()


async def compare(
    settings: ImportSettings, *, program_code: str, source: dump.FolderDump, since: dt.datetime | None,
    now: dt.datetime | None = None,
) -> dict:
    """Dual running: the legacy dump against the ledger, per member (see compare.py)."""
    legacy = comparing.read_legacy(source, now=now or dt.datetime.now(dt.timezone.utc))
    pool = await open_staging(settings)
    peers = Peers.connect(settings)
    try:
        program_id = await peers.program_id(program_code)
        diffs = await comparing.compare(peers, pool, program_id=program_id, legacy=legacy, since=since)
    finally:
        await peers.close()
        await pool.close()
    return {"summary": comparing.summarise(diffs, legacy=legacy),
            "members": [dataclasses.asdict(d) | {"drift": d.drift} for d in diffs if not d.clean]}
