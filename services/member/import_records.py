"""The legacy import records of a program, read for the admin console's import status screen.

The import tool writes them in the staging area (services/importer/migrations): a row per run with
its state and the counters each step recorded, the rows it rejected, and the last reconciliation.
This module only reads them (its SQL is all here); the load path never comes through it. The
staging tables have no row-level security: every query names the program.
"""

import dataclasses
import datetime as dt
import json
import uuid

import asyncpg

from services.common.errors import invalid, not_found

MAX_RUNS = 200
MAX_REJECTIONS = 1000
STEP_SECONDS = (("load", "load_seconds"), ("members", "members_seconds"), ("history", "history_seconds"),
                ("tiers", "tiers_seconds"))

_RUNS = """
    SELECT id, directory, state, error, counters, reconciliation, void_before, started_at, updated_at, finished_at
    FROM staging.imports WHERE program_id = $1 {which} ORDER BY started_at DESC, id LIMIT $2
"""
_REJECTED_BY_FILE = """
    SELECT import_id, file, count(*) AS n FROM staging.quarantine
    WHERE import_id = ANY($1::uuid[]) GROUP BY import_id, file ORDER BY import_id, file
"""
# (file, line, key) orders a run's rejections; the page token is the last row's triple.
_REJECTIONS = """
    SELECT file, line, key, reason FROM staging.quarantine
    WHERE import_id = $1 AND (file, line, key) > ($2::text, $3::int, $4::text)
    ORDER BY file, line, key LIMIT $5
"""


@dataclasses.dataclass(frozen=True)
class Mismatch:
    legacy_id: str
    loyalty_number: str
    legacy_balance: int
    platform_balance: int


@dataclasses.dataclass(frozen=True)
class Reconciliation:
    checked_at: str
    members_imported: int
    balances_matching: int
    legacy_members: int
    legacy_balances: int
    platform_balances: int
    rows_quarantined: int
    transactions_imported: int
    points_by_kind: tuple[tuple[str, int, int], ...]  # kind, legacy points, platform points
    mismatches: tuple[Mismatch, ...]


@dataclasses.dataclass(frozen=True)
class ImportRun:
    id: uuid.UUID
    source: str
    state: str
    error: str
    started_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None
    void_before: dt.datetime | None
    counters: dict
    rejected_by_file: tuple[tuple[str, int], ...]
    reconciliation: Reconciliation | None

    @property
    def rejected_rows(self) -> int:
        return sum(n for _, n in self.rejected_by_file)

    def count(self, key: str) -> int:
        value = self.counters.get(key)
        return int(value) if isinstance(value, (int, float)) else 0

    def per_file(self, key: str) -> tuple[tuple[str, int], ...]:
        value = self.counters.get(key)
        return tuple((str(f), int(n)) for f, n in value.items()) if isinstance(value, dict) else ()

    def step_seconds(self) -> tuple[tuple[str, float], ...]:
        return tuple((step, float(self.counters[key])) for step, key in STEP_SECONDS
                     if isinstance(self.counters.get(key), (int, float)))


@dataclasses.dataclass(frozen=True)
class Rejection:
    file: str
    line: int
    key: str
    reason: str


@dataclasses.dataclass(frozen=True)
class RejectionPage:
    rows: tuple[Rejection, ...]
    next_after: str  # empty on the last page


def _json(value) -> dict | None:
    if value is None:
        return None
    return json.loads(value) if isinstance(value, str) else value


def _reconciliation(report: dict | None) -> Reconciliation | None:
    if not report:
        return None
    totals = report.get("control_totals", {})
    legacy, platform = totals.get("legacy", {}), totals.get("platform", {})
    legacy_kinds, platform_kinds = legacy.get("points_by_kind", {}), platform.get("points_by_kind", {})
    return Reconciliation(
        checked_at=report.get("checked_at", ""), members_imported=int(report.get("members_imported", 0)),
        balances_matching=int(report.get("balances_matching", 0)), legacy_members=int(legacy.get("members", 0)),
        legacy_balances=int(legacy.get("balances", 0)), platform_balances=int(platform.get("balances", 0)),
        rows_quarantined=int(report.get("rows_quarantined", 0)),
        transactions_imported=int(platform.get("transactions_imported", 0)),
        points_by_kind=tuple((k, int(legacy_kinds.get(k, 0)), int(platform_kinds.get(k, 0)))
                             for k in sorted(set(legacy_kinds) | set(platform_kinds))),
        mismatches=tuple(Mismatch(legacy_id=m["legacy_id"], loyalty_number=m.get("loyalty_number") or "",
                                  legacy_balance=int(m["legacy"]), platform_balance=int(m["platform"]))
                         for m in report.get("mismatches", [])),
    )


async def _runs(conn: asyncpg.Connection, *, program_id: uuid.UUID, import_id: uuid.UUID | None,
                limit: int) -> list[ImportRun]:
    try:
        if import_id is None:
            rows = await conn.fetch(_RUNS.format(which=""), program_id, limit)
        else:
            rows = await conn.fetch(_RUNS.format(which="AND id = $3"), program_id, limit, import_id)
    except (asyncpg.UndefinedTableError, asyncpg.InsufficientPrivilegeError):
        return []  # the import tool never ran against this database: its tables are not there yet
    by_file: dict[uuid.UUID, list[tuple[str, int]]] = {}
    if rows:
        for r in await conn.fetch(_REJECTED_BY_FILE, [r["id"] for r in rows]):
            by_file.setdefault(r["import_id"], []).append((r["file"], r["n"]))
    return [ImportRun(
        id=r["id"], source=r["directory"], state=r["state"], error=r["error"] or "", started_at=r["started_at"],
        updated_at=r["updated_at"], finished_at=r["finished_at"], void_before=r["void_before"],
        counters=_json(r["counters"]) or {}, rejected_by_file=tuple(by_file.get(r["id"], ())),
        reconciliation=_reconciliation(_json(r["reconciliation"])),
    ) for r in rows]


async def list_runs(pool: asyncpg.Pool, *, program_id: uuid.UUID, limit: int) -> list[ImportRun]:
    async with pool.acquire() as conn:
        return await _runs(conn, program_id=program_id, import_id=None, limit=min(limit if limit > 0 else 50, MAX_RUNS))


def _after(token: str) -> tuple[str, int, str]:
    if not token:
        return ("", -1, "")
    try:
        file, line, key = json.loads(token)
        return str(file), int(line), str(key)
    except (ValueError, TypeError):
        raise invalid("rejectionsAfter", "is not a page token of this list") from None


async def get_run(pool: asyncpg.Pool, *, program_id: uuid.UUID, import_id: uuid.UUID, rejections_limit: int,
                  rejections_after: str) -> tuple[ImportRun, RejectionPage]:
    limit = min(rejections_limit if rejections_limit > 0 else 100, MAX_REJECTIONS)
    after = _after(rejections_after)
    async with pool.acquire() as conn:
        runs = await _runs(conn, program_id=program_id, import_id=import_id, limit=1)
        if not runs:
            raise not_found("import", str(import_id))
        rows = await conn.fetch(_REJECTIONS, import_id, *after, limit + 1)
    page = tuple(Rejection(file=r["file"], line=r["line"], key=r["key"], reason=r["reason"]) for r in rows[:limit])
    next_after = json.dumps([page[-1].file, page[-1].line, page[-1].key]) if len(rows) > limit else ""
    return runs[0], RejectionPage(rows=page, next_after=next_after)
