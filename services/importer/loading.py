"""Load a validated dump into the staging area with COPY; rejected rows go to quarantine."""

import csv
import dataclasses
import datetime as dt
import pathlib
import uuid

import asyncpg

from services.importer import bulk_load, dump
from services.importer.validation_report import Accepted, ValidationReport, classify

BATCH = 50_000
COLUMNS = {
    "members.csv": ("members", ["legacy_id", "email", "first_name", "last_name", "phone", "birth_date", "enrolled_at", "status"]),
    "balances.csv": ("balances", ["legacy_id", "points_balance", "tier_code", "tier_achieved_at"]),
    "transactions.csv": ("transactions", ["legacy_txn_id", "legacy_id", "occurred_at", "kind", "points", "channel", "reference"]),
}


def _when(value: str) -> dt.datetime | None:
    if not value:
        return None
    stamp = dump.parse_timestamp(value)
    if stamp is not None:
        return stamp
    day = dump.parse_date(value)
    return dt.datetime.combine(day, dt.time(), dt.timezone.utc) if day else None


def _record(file: str, v: dict[str, str]) -> tuple:
    if file == "members.csv":
        return (v["legacy_id"], v["email"], v["first_name"], v["last_name"], v["phone"],
                dump.parse_date(v["birth_date"]) if v["birth_date"] else None, _when(v["enrolled_at"]), v["status"])
    if file == "balances.csv":
        return (v["legacy_id"], int(v["points_balance"]), v["tier_code"], _when(v["tier_achieved_at"]))
    return (v["legacy_txn_id"], v["legacy_id"], dump.parse_timestamp(v["occurred_at"]), v["kind"], int(v["points"]),
            v["channel"], v["reference"])


@dataclasses.dataclass
class LoadResult:
    report: ValidationReport
    loaded: dict[str, int]


class Refused(Exception):
    """The dump must not be imported: the message names the files, lines and problems."""


async def load(
    conn: asyncpg.Connection, *, import_id: uuid.UUID, now: dt.datetime, source: dump.FolderDump | None = None,
    directory: pathlib.Path | None = None, max_reject_rate: float = 1.0, progress=None, second=None,
) -> LoadResult:
    """COPY every accepted row into staging in batches; the caller's transaction makes it atomic.
    Raises Refused (the caller rolls back) when the dump cannot be read or too much of it is bad.
    `directory` is a folder in the import format, for callers that have no source object."""
    source = source or dump.FolderDump(directory)
    try:
        async with conn.transaction():  # a savepoint: a declined fast path leaves nothing behind
            fast = await bulk_load.load(conn, import_id=import_id, source=source, now=now,
                                        max_reject_rate=max_reject_rate, progress=progress, second=second)
    except bulk_load.Declined as why:
        if progress:
            progress(f"checking the dump row by row ({why})")
    else:
        if (refusal := fast.report.refusal()) is not None:
            raise Refused(refusal)
        return LoadResult(report=fast.report, loaded=fast.loaded)
    report = ValidationReport(directory=str(source.directory), max_reject_rate=max_reject_rate)
    buffers: dict[str, list[tuple]] = {f: [] for f in COLUMNS}
    rejects: list[tuple] = []
    loaded = dict.fromkeys(COLUMNS, 0)

    async def flush(file: str) -> None:
        rows = buffers[file]
        if not rows:
            return
        table, columns = COLUMNS[file]
        await conn.copy_records_to_table(table, schema_name="staging", columns=["import_id", *columns],
                                         records=[(import_id, *r) for r in rows])
        loaded[file] += len(rows)
        rows.clear()
        if progress:
            progress(f"loaded {loaded[file]:,} rows of {file}")

    async def flush_rejects() -> None:
        if rejects:
            await conn.copy_records_to_table("quarantine", schema_name="staging",
                                             columns=["import_id", "file", "line", "key", "reason"], records=rejects)
            rejects.clear()

    try:
        for item in classify(source, report, now=now):
            if isinstance(item, Accepted):
                buffers[item.file].append(_record(item.file, item.values))
                if len(buffers[item.file]) >= BATCH:
                    await flush(item.file)
            else:
                rejects.append((import_id, item.file, item.line, item.key, item.reason))
                if len(rejects) >= BATCH:
                    await flush_rejects()
    except dump.StructureError as err:
        report.structure_errors.append(str(err))
    if (refusal := report.refusal()) is not None:
        raise Refused(refusal)
    for file in COLUMNS:
        await flush(file)
    await flush_rejects()
    if report.control_stop is not None:
        # the import goes ahead with the batches before the first that breaks its control totals
        for file, (table, _) in COLUMNS.items():
            status = await conn.execute(f"DELETE FROM staging.{table} WHERE import_id = $1 AND legacy_id >= $2",
                                        import_id, report.control_stop)
            loaded[file] -= int(status.split()[-1])
    return LoadResult(report=report, loaded=loaded)


async def write_quarantine_file(conn: asyncpg.Connection, *, import_id: uuid.UUID, path: pathlib.Path) -> int:
    rows = await conn.fetch("SELECT file, line, key, reason FROM staging.quarantine WHERE import_id = $1"
                            " ORDER BY file, line", import_id)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "line", "key", "reason"])
        writer.writerows(tuple(r) for r in rows)
    return len(rows)
