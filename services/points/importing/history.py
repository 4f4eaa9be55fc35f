"""Legacy history into the ledger, set-based, from the import staging area.

For each batch of members not yet imported (one transaction each, so a killed import resumes
with the members left and a rerun posts nothing twice; batches run side by side on disjoint members):
1. register the members here (status from the dump) and open their wallets;
2. post their legacy transactions with original timestamps as imported EARN/ADJUST/BURN/EXPIRE
   transactions (reference `legacy:<legacy_txn_id>`; no earn rules, no outbound events);
3. credits become lots with the program's expiry policy; debits consume lots soonest-expiring
   first (legacy history gives no lot links, so FIFO by expiry is the rule);
4. lots already past their date under the policy expire now (one EXPIRE posting);
5. one REMEDIATION posting per member whose balance then differs from the legacy balance, so the
   ledger shows exactly the legacy balance.
Every transaction's entries sum to zero (checked for the whole batch before commit) and each
member's balance equals the sum of their lots.
"""

import asyncio
import datetime as dt
import pathlib
import re
import uuid
from collections.abc import Callable

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, not_found
from services.common.idempotency import Replay
from services.points.ledger import commands, voiding
from services.points.ledger.hooks import LedgerHooks

BATCH_MEMBERS = 20_000
WORKERS = 2  # one batch per core of a small database host; PostgreSQL does the work
VOIDABLE_KINDS = ("BURN", "CAPTURE", "HOLD", "EARN", "RETRO_CLAIM", "GOODWILL", "ADJUST", "TRANSFER")



async def _import(pool: asyncpg.Pool, import_id: uuid.UUID) -> asyncpg.Record:
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT program_id, void_before FROM staging.imports WHERE id = $1", import_id)
    if row is None:
        raise not_found("import", str(import_id))
    return row


async def void_earlier_postings(
    pool: asyncpg.Pool, *, import_id: uuid.UUID, program_id: uuid.UUID, before: dt.datetime, hooks: LedgerHooks,
    replay_of: Callable[[commands.Void], Replay] | None = None,
) -> tuple[int, int]:
    """Void what members who were already here posted before `before` (their legacy history
    replaces it). Each void is its own idempotent posting; returns (voided, skipped)."""
    async with tenant_tx(pool, program_id) as conn:
        targets = await conn.fetch(
            """
            SELECT t.reference FROM staging.member_map mm
            JOIN transactions t ON t.member_id = mm.member_id
            WHERE mm.program_id = $1 AND mm.import_id = $2 AND mm.existing
              AND t.occurred_at < $3 AND t.kind = ANY($4) AND t.reference NOT LIKE 'legacy:%'
            ORDER BY (t.kind IN ('EARN', 'RETRO_CLAIM', 'GOODWILL', 'ADJUST')), t.occurred_at DESC
            """, program_id, import_id, before, list(VOIDABLE_KINDS))
    voided = skipped = 0
    for target in targets:
        try:
            void = commands.Void(reference=f"import-void:{import_id}:{target['reference']}"[:128],
                                 target_reference=target["reference"], reason="replaced by the legacy import")
            await voiding.void(pool, program_id=program_id, command=void, hooks=hooks,
                               replay=replay_of(void) if replay_of else None)
            voided += 1
        except DomainError as err:
            if err.code not in (ErrorCode.ALREADY_VOIDED, ErrorCode.NOT_VOIDABLE, ErrorCode.INSUFFICIENT_POINTS,
                                ErrorCode.HOLD_NOT_ACTIVE):
                raise
            skipped += 1
    return voided, skipped


async def import_history(
    pool: asyncpg.Pool, *, import_id: uuid.UUID, void_before: dt.datetime | None = None,
    now: dt.datetime | None = None, batch_members: int = BATCH_MEMBERS, workers: int = WORKERS,
    hooks: LedgerHooks, progress: Callable[[dict[str, int]], None] | None = None,
    replay_of: Callable[[commands.Void], Replay] | None = None,
) -> dict[str, int]:
    """Totals of this run; `progress` gets the running totals with members done after each batch."""
    imp = await _import(pool, import_id)
    program_id = imp["program_id"]
    now = now or dt.datetime.now(dt.timezone.utc)
    totals = {"members_done": 0, "members_total": 0, "members_registered": 0, "transactions_imported": 0,
              "transactions_voided": 0, "lots_created": 0, "members_remediated": 0, "points_credited": 0,
              "points_debited": 0, "lots_expired": 0}
    async with tenant_tx(pool, program_id) as conn:
        program = await conn.fetchrow("SELECT * FROM programs WHERE id = $1", program_id)
    if program is None:
        raise not_found("program", str(program_id))
    if void_before is not None:
        totals["transactions_voided"], _ = await void_earlier_postings(
            pool, import_id=import_id, program_id=program_id, before=void_before, hooks=hooks,
            replay_of=replay_of)
    keys_per_batch = await _keys_per_batch(pool)
    stripes, totals["members_total"] = await _stripes(pool, import_id=import_id, program_id=program_id,
                                                      size=batch_members, workers=max(1, workers))
    lock = asyncio.Lock()

    async def worker() -> None:
        while stripes:
            lo, hi = stripes.pop(0)
            async with tenant_tx(pool, program_id) as conn:
                await conn.execute("SET LOCAL app.ledger_bulk = 'on'")
                await conn.execute(LOAD_SETTINGS)
                if keys_per_batch:
                    await conn.execute("SET LOCAL session_replication_role = replica")
                done = await _batch(conn, import_id=import_id, program=program, now=now, lo=lo, hi=hi)
            async with lock:
                for key, value in (done or {}).items():
                    totals[key] += value
                if progress and done:
                    progress(dict(totals))

    # batches touch disjoint members, so they run side by side, one database connection each
    await asyncio.gather(*(worker() for _ in range(max(1, workers))))
    async with pool.acquire() as conn:  # fresh statistics after millions of rows
        await conn.execute("ANALYZE members, accounts, transactions, entries, lots, lot_movements, imported_members")
    return totals


# The batch's own session: its commit need not wait for the WAL flush (a crash loses at most the last
# batches, which a rerun imports again: imported_members is written in the same transaction), its
# sorts and hashes over a batch's rows stay in memory, and no JIT: the batch's statements run once on
# tables just made, whose cost estimates crossed the JIT thresholds (compiling the transactions' CTAS
# took 2 to 3 of its 5 to 8 seconds) and turned it on or off from one batch to the next.
LOAD_SETTINGS = "SET LOCAL synchronous_commit = off; SET LOCAL work_mem = '128MB'; SET LOCAL jit = off"


async def _keys_per_batch(pool: asyncpg.Pool) -> bool:
    """Whether the batches may turn the foreign keys' per-row triggers off (session_replication_role
    = replica, granted to the points role by dbsetup on PostgreSQL 15 and later) and prove the keys
    for the whole batch instead (batch.sql `dangling`). The online paths never do."""
    async with pool.acquire() as conn:
        try:
            return await conn.fetchval("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        except asyncpg.UndefinedFunctionError:  # before PostgreSQL 15 the setting cannot be granted
            return False


async def _stripes(
    pool: asyncpg.Pool, *, import_id: uuid.UUID, program_id: uuid.UUID, size: int, workers: int
) -> tuple[list[tuple[str, str | None]], int]:
    """Ranges of legacy ids, `size` members each, of the members this import has not finished yet
    (a killed run resumes with what is left, whatever batch size it ran with before)."""
    async with tenant_tx(pool, program_id) as conn:
        sql, _, _ = BATCH.blocks["bounds"]
        bounds = await conn.fetch(sql, import_id, program_id, size, workers)
    pending = bounds[0]["pending"] if bounds else 0  # size <= pending, so a pending import has a bound
    edges = ["", *(b["legacy_id"] for b in bounds)]
    return [(edges[i], edges[i + 1] if i + 1 < len(edges) else None) for i in range(len(edges))], pending


class _Blocks:
    """batch.sql's named blocks, run one by one on the batch's connection with the batch's parameters."""

    HEADER = re.compile(r"^-- (name|fragment): (\w+)(?:\(([\w, ]*)\))?(?: -> (value|row))?$", re.M)

    def __init__(self, path: pathlib.Path):
        text = path.read_text()
        marks = list(self.HEADER.finditer(text))
        fragments, self.blocks = {}, {}
        for k, m in enumerate(marks):
            end = marks[k + 1].start() if k + 1 < len(marks) else len(text)
            lines = text[m.end():end].strip().splitlines()
            while lines and (not lines[-1].strip() or lines[-1].startswith("--")):
                lines.pop()  # the next block's opening comment
            body = "\n".join(lines)
            if m.group(1) == "fragment":  # text other blocks take in as {name}
                fragments[m.group(2)] = body.strip().rstrip(";")
                continue
            for name, fragment in fragments.items():
                body = body.replace("{" + name + "}", fragment)
            params = tuple(p.strip() for p in (m.group(3) or "").split(",") if p.strip())
            self.blocks[m.group(2)] = (body, params, m.group(4))

    def bind(self, conn: asyncpg.Connection, params: dict):
        async def run(name: str):
            sql, names, answer = self.blocks[name]
            args = [params[n] for n in names]
            if answer == "value":
                return await conn.fetchval(sql, *args)
            if answer == "row":
                return await conn.fetchrow(sql, *args)
            return await conn.execute(sql, *args)
        return run


BATCH = _Blocks(pathlib.Path(__file__).with_name("batch.sql"))
CHECKS = {"unbalanced": "import batch left transaction {} unbalanced",
          "dangling": "import batch left {} pointing at nothing",
          "drift": "import batch left member {}'s lots apart from the balance"}


async def _batch(
    conn: asyncpg.Connection, *, import_id: uuid.UUID, program: asyncpg.Record, now: dt.datetime,
    lo: str, hi: str | None,
) -> dict[str, int] | None:
    """Members with legacy ids in (lo, hi] that this import has not finished, whole histories."""
    # the sequences named once per batch (as oids), not by pg_get_serial_sequence() per row
    lot_sequence, account_sequence = await conn.fetchrow(
        "SELECT pg_get_serial_sequence('lots', 'id')::regclass::oid, pg_get_serial_sequence('accounts', 'id')::regclass::oid")
    run = BATCH.bind(conn, {
        "import_id": import_id, "import_text": str(import_id), "program_id": program["id"], "lo": lo, "hi": hi,
        "now": now, "timezone": program["timezone"], "expiry_days": program["expiry_days"],
        "month_end": program["expiry_round_to_month_end"], "lot_sequence": lot_sequence,
        "account_sequence": account_sequence,
    })
    answers = {}
    for name in BATCH.blocks:  # in the file's order
        if name == "bounds":
            continue  # the stripes' query, run before the batches
        if name in ("balances", "touch_members") and answers["register_members"] == answers["count_members"]:
            continue  # every member is fresh: nothing of theirs to lock, and their wallets hold their balance
        answers[name] = answer = await run(name)
        if name == "count_members" and answer == 0:
            return None
        if name in CHECKS and answer is not None:
            raise DomainError(ErrorCode.INTERNAL, CHECKS[name].format(answer))
    members = answers["count_members"]
    fixes = answers["fix_totals"]
    return {"members_done": members, "members_registered": answers["register_members"],
            "transactions_imported": answers["post_transactions"], "lots_created": answers["write_lots"],
            "members_remediated": fixes["n"], "points_credited": fixes["credited"],
            "points_debited": fixes["debited"], "lots_expired": answers["lots_expired"]}
