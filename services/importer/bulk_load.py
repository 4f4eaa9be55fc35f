"""The load's fast path: each file COPYed raw and the format's row rules checked in SQL.

Python reads and checks about 40,000 rows/s (dump.read_table, validation_report.classify); the
same rules in SQL over a raw COPY run many times faster. The fast path is taken only where it
cannot differ from the line-exact reader:
- a folder dump in the import format with no control totals (mapped dumps and control totals go
  through classify);
- a byte scan finds no quote, no NUL and no CR other than CRLF line ends, and valid UTF-8, so
  PostgreSQL's CSV split is the reader's plain split on commas;
- every row passes rules at least as strict as dump.*_problem and classify's duplicate and
  orphan rules (ISO timestamps only with T and an offset, no field with whitespace at its ends,
  and so on).
Anything else (a scan that finds one of those bytes, a COPY that fails, one row the SQL does not
accept) declines: the caller's savepoint rolls back and the line-exact path loads the dump with
its exact rejections and messages. So what `run` loads never differs from what `validate` says.
"""

import asyncio
import codecs
import contextlib
import dataclasses
import datetime as dt
import uuid

import asyncpg

from services.importer import dump
from services.importer.validation_report import ValidationReport

CHUNK = 8 * 1024 * 1024

# Shapes by digit mask (translate() every digit to 0): string functions, many times cheaper than regexes
# here. A timestamp is ISO 8601 with T, seconds, 0 to 6 decimals and an offset or Z; what the mask lets
# through that the reader refuses (hour 24, second 60, year 0) is caught below, and a day or month that
# is not one fails the cast, which declines the whole fast path.
_TIMES = tuple(f"0000-00-00T00:00:00{'.' + '0' * n if n else ''}{zone}"
               for n in range(7) for zone in ("Z", "+00:00", "-00:00"))
# what str.strip() removes (chr(c).isspace()): a field that starts or ends with one of these is left to
# the reader. Written out: finding them over every code point took a tenth of a second of each command's
# start; test_bulk_load holds the list equal to that search.
WHITESPACE = (9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 133, 160, 5760, *range(8192, 8203), 8232, 8233, 8239, 8287, 12288)
_SPACES = ", ".join(map(str, WHITESPACE))


class Declined(Exception):
    """The fast path cannot vouch for this dump; the line-exact path loads it."""


def _clean(columns: list[str]) -> str:
    """No field with whitespace at its ends, and no line the reader would call too long."""
    edges = " AND ".join(f"({c} = '' OR (ascii({c}) NOT IN ({_SPACES}) AND ascii(right({c}, 1)) NOT IN ({_SPACES})))"
                         for c in columns)
    return f"{edges} AND octet_length(concat_ws(',', {', '.join(columns)})) < {dump.MAX_LINE}"


def _ts(col: str) -> str:
    return (f"(translate({col}, '0123456789', '0000000000') COLLATE \"C\" IN ({', '.join(repr(t) for t in _TIMES)})"
            f" AND left({col}, 4) <> '0000' AND substr({col}, 12, 2) COLLATE \"C\" < '24'"
            f" AND substr({col}, 18, 2) COLLATE \"C\" < '60')")


def _day(col: str) -> str:
    return f"(translate({col}, '0123456789', '0000000000') = '0000-00-00' AND left({col}, 4) <> '0000')"


def _count(col: str) -> str:
    """A whole number of 1 to 15 digits."""
    return f"({col} <> '' AND length({col}) <= 15 AND translate({col}, '0123456789', '') = '')"


def _email(col: str) -> str:
    """dump's email rule (validation._EMAIL) in string functions: its bounded repetitions made the regex
    about ten times dearer than this. A local part of the allowed characters, one @, then labels of
    letters, digits and inner hyphens, 1 to 63 long, at least two."""
    at, local, domain = f"strpos({col}, '@')", f"split_part({col}, '@', 1)", f"substr({col}, strpos({col}, '@') + 1)"
    return (f"({at} > 1 AND {local} ~ '^[A-Za-z0-9.!#$%&*+/=?^_`{{|}}~-]+$' AND {domain} ~ '^[A-Za-z0-9.-]+$'"
            f" AND strpos({domain}, '.') > 0 AND strpos({domain}, '..') = 0 AND strpos({domain}, '.-') = 0"
            f" AND strpos({domain}, '-.') = 0 AND left({domain}, 1) NOT IN ('.', '-')"
            f" AND right({domain}, 1) NOT IN ('.', '-')"
            f" AND (length({domain}) <= 63 OR {domain} !~ '[A-Za-z0-9-]{{64}}'))")


MEMBERS = f"""
INSERT INTO staging.members(import_id, legacy_id, email, first_name, last_name, phone, birth_date, enrolled_at, status)
SELECT $1, legacy_id, email, first_name, last_name, phone,
       CASE WHEN birth_date <> '' THEN birth_date::date END,
       CASE WHEN {_ts('enrolled_at')} THEN enrolled_at::timestamptz
            ELSE enrolled_at::date::timestamp AT TIME ZONE 'UTC' END,
       status
FROM raw_members
WHERE legacy_id <> '' AND {_email('email')} AND first_name <> '' AND last_name <> ''
  AND (birth_date = '' OR ({_day('birth_date')} AND birth_date::date <= ($2::timestamptz AT TIME ZONE 'UTC')::date))
  AND ({_ts('enrolled_at')} OR {_day('enrolled_at')})
  AND status IN ('active', 'suspended', 'blacklisted')
  AND {_clean(dump.FILES['members.csv'])}
"""

BALANCES = f"""
INSERT INTO staging.balances(import_id, legacy_id, points_balance, tier_code, tier_achieved_at)
SELECT $1, b.legacy_id, b.points_balance::bigint, b.tier_code,
       CASE WHEN b.tier_achieved_at = '' THEN NULL
            WHEN {_ts('b.tier_achieved_at')} THEN b.tier_achieved_at::timestamptz
            ELSE b.tier_achieved_at::date::timestamp AT TIME ZONE 'UTC' END
FROM raw_balances b
WHERE {_count('b.points_balance')}
  AND (b.tier_achieved_at = '' OR {_ts('b.tier_achieved_at')} OR {_day('b.tier_achieved_at')})
  AND EXISTS (SELECT 1 FROM staging.members m WHERE m.import_id = $1 AND m.legacy_id = b.legacy_id)
  AND {_clean(['b.' + c for c in dump.FILES['balances.csv']])}
"""

TRANSACTIONS = f"""
INSERT INTO staging.transactions(import_id, legacy_txn_id, legacy_id, occurred_at, kind, points, channel, reference)
SELECT $1, t.legacy_txn_id, t.legacy_id, t.occurred_at::timestamptz, t.kind, t.points::bigint, t.channel,
       t.reference
FROM raw_transactions t
WHERE t.legacy_txn_id <> '' AND {_ts('t.occurred_at')} AND t.occurred_at::timestamptz <= $2
  AND t.kind IN ('earn', 'burn', 'expire', 'adjust') AND {_count('t.points')} AND t.points::bigint > 0
  AND EXISTS (SELECT 1 FROM staging.members m WHERE m.import_id = $1 AND m.legacy_id = t.legacy_id)
  AND {_clean(['t.' + c for c in dump.FILES['transactions.csv']])}
"""

DUPLICATES = {
    "members.csv": "SELECT lower(email) FROM raw_members GROUP BY 1 HAVING count(*) > 1 LIMIT 1",
    "transactions.csv": "SELECT legacy_txn_id FROM raw_transactions GROUP BY 1 HAVING count(*) > 1 LIMIT 1",
}
# Ids strictly increasing in whatever order the rows are read cannot repeat: one pass, no sort or hash
# of millions of ids (dumps are usually written in id order); otherwise the GROUP BY above decides.
INCREASING = {
    "transactions.csv": """SELECT bool_and(coalesce(prev < id, true)) FROM (
        SELECT legacy_txn_id COLLATE "C" AS id, lag(legacy_txn_id COLLATE "C") OVER () AS prev
        FROM raw_transactions) t""",
}
# each statement with whether it binds the time ($2) after the import ($1)
STATEMENTS = {"members.csv": (MEMBERS, True), "balances.csv": (BALANCES, False),
              "transactions.csv": (TRANSACTIONS, True)}


def _scan(path, *, split_at: int | None = None) -> tuple[int, int]:
    """The file's data lines, and of them those before byte `split_at` (a line start); Declined when the
    plain split could read it differently from the line-exact reader (a `\\.` line would even end COPY's
    data early)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    crs = crlfs = lines = 0
    before = None
    previous = b""
    with path.open("rb") as fh:
        header = fh.readline(dump.MAX_LINE + 1)
        fh.seek(0)
        text = header.decode("utf-8", "replace").lstrip("\ufeff").rstrip("\r\n")
        if [h.strip() for h in text.split(",")] != dump.FILES[path.name]:
            raise Declined(f"{path.name}: header")
        position = 0
        while chunk := fh.read(CHUNK):
            if b'"' in chunk or b"\x00" in chunk or b"\\." in previous + chunk:
                raise Declined(f"{path.name}: a quote, NUL or backslash-dot")
            if split_at is not None and before is None and position + len(chunk) >= split_at:
                before = lines + chunk.count(b"\n", 0, split_at - position) - 1  # less the header
            lines += chunk.count(b"\n")
            crs += chunk.count(b"\r")
            crlfs += chunk.count(b"\r\n") + (previous == b"\r" and chunk[:1] == b"\n")
            previous = chunk[-1:]
            position += len(chunk)
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                raise Declined(f"{path.name}: not UTF-8") from None
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise Declined(f"{path.name}: not UTF-8") from None
    if crs != crlfs:
        raise Declined(f"{path.name}: a bare CR")
    data = lines - 1 + (previous not in (b"", b"\n"))  # less the header; a last line without LF counts
    return data, data if before is None else before


def _line_start(path, at: int) -> int | None:
    """The first line start at or after byte `at` (None: no line starts there before the end)."""
    with path.open("rb") as fh:
        fh.seek(max(at - 1, 0))
        while chunk := fh.read(64 * 1024):
            if (n := chunk.find(b"\n")) >= 0:
                start = fh.tell() - len(chunk) + n + 1
                return start if start < path.stat().st_size else None
    return None


async def _byte_range(path, start: int, end: int | None):
    with path.open("rb") as fh:
        fh.seek(start)
        left = None if end is None else end - start
        while chunk := fh.read(CHUNK if left is None else min(CHUNK, left)):
            yield chunk
            if left is not None:
                left -= len(chunk)
                if not left:
                    return


@dataclasses.dataclass
class Loaded:
    report: ValidationReport
    loaded: dict[str, int]


# A transactions file this long is loaded in two parts side by side, each on its own connection and core
# (at 10,000,000 rows the checked INSERT is most of the load, on one core of the database).
PARTS_FROM_BYTES = 64 * 1024 * 1024
# Ids strictly increasing within a part, and from the first part's last to the second's first.
_PART_ORDER = """SELECT bool_and(coalesce(prev < id, true)), min(id) FILTER (WHERE prev IS NULL), max(id)
    FROM (SELECT legacy_txn_id COLLATE "C" AS id, lag(legacy_txn_id COLLATE "C") OVER () AS prev
          FROM raw_transactions) t"""
_MEMBER_STAGED = "EXISTS (SELECT 1 FROM staging.members m WHERE m.import_id = $1 AND m.legacy_id = t.legacy_id)"
assert _MEMBER_STAGED in TRANSACTIONS
# The second part's connection cannot see the members staged in the first's transaction: it checks against
# the members file itself, which in this path is staged whole or not at all. It keeps its rows aside until
# the first part's are in: staged in file order, a member's rows stay together on disk (the history's
# batches read them by member; interleaved parts made their planner scan all of staging per batch).
_STAGING_INSERT = "INSERT INTO staging.transactions("
assert TRANSACTIONS.count(_STAGING_INSERT) == 1
TRANSACTIONS_BESIDE = TRANSACTIONS.replace(
    _MEMBER_STAGED, "EXISTS (SELECT 1 FROM raw_member_ids m WHERE m.legacy_id = t.legacy_id)").replace(
    _STAGING_INSERT, "INSERT INTO checked_transactions(")


class _Abandon(Exception):
    """The second part rolls back: the first declined, or the parts are not in id order."""


@dataclasses.dataclass
class _SecondPart:
    """The later part of a transactions file, loaded on a second connection while the first does the rest;
    it commits only when told to (runner.py deletes what a load refused later leaves)."""

    checked: asyncio.Future  # (increasing, first id, last id) once COPYed and checked
    inserted: asyncio.Future  # rows that passed the rules, kept aside
    go: asyncio.Future  # True: stage them (the first part's are in) and commit; False: roll back
    staged: asyncio.Future  # staged and committed
    task: asyncio.Task | None = None

    async def run(self, second, *, import_id, directory, start: int, lines: int, now) -> None:
        try:
            async with second() as conn, conn.transaction():
                await conn.execute("SET LOCAL jit = off")
                await _raw(conn, "members.csv", "raw_member_ids", directory / "members.csv", header=True)
                await conn.execute("ANALYZE raw_member_ids")
                rows = await _raw(conn, "transactions.csv", "raw_transactions",
                                  _byte_range(directory / "transactions.csv", start, None), header=False)
                if rows != lines:
                    raise Declined(f"transactions.csv: {lines} lines after byte {start}, {rows} rows copied")
                self.checked.set_result(tuple(await conn.fetchrow(_PART_ORDER)))
                await conn.execute("ANALYZE raw_transactions")
                await conn.execute("CREATE TEMP TABLE checked_transactions (LIKE staging.transactions) ON COMMIT DROP")
                self.inserted.set_result(await _insert(conn, "transactions.csv", TRANSACTIONS_BESIDE, import_id, now,
                                                       rows=rows))
                if not await self.go:
                    raise _Abandon
                await conn.execute("INSERT INTO staging.transactions SELECT * FROM checked_transactions")
            self.staged.set_result(True)
        except BaseException as err:
            for future in (self.checked, self.inserted, self.staged):
                if not future.done():
                    future.set_exception(err if isinstance(err, Exception) else Declined("the second part stopped"))
            if not isinstance(err, (_Abandon, Declined)):
                raise

    async def stop(self) -> None:
        if not self.go.done():
            self.go.set_result(False)
            if self.task is not None:
                self.task.cancel()  # mid-statement: not waited for
        if self.task is not None:
            with contextlib.suppress(BaseException):
                await self.task
        for future in (self.checked, self.inserted, self.staged):
            if future.done() and not future.cancelled():
                future.exception()  # retrieved: the first part's own error is the one to report


async def _raw(conn, name: str, table: str, source, *, header: bool) -> int:
    columns = dump.FILES[name]
    await conn.execute(f"CREATE TEMP TABLE {table} ({', '.join(c + ' text' for c in columns)}) ON COMMIT DROP")
    try:
        status = await conn.copy_to_table(table, source=source, format="csv", header=header, force_not_null=columns)
    except (asyncpg.DataError, asyncpg.PostgresSyntaxError, asyncpg.UndefinedColumnError,
            asyncpg.ProgramLimitExceededError) as err:
        raise Declined(f"{name}: {err}") from None
    return int(status.split()[-1])


async def _insert(conn, name: str, sql: str, import_id, now, *, rows: int, timed: bool = True) -> int:
    try:
        # the rules' many string tests make the planner expect a row or two, so it checked each row's
        # member with an index probe (1M probes: a third of the statement); by hash it is one pass
        await conn.execute("SET LOCAL enable_nestloop = off")
        inserted = int((await conn.execute(sql, import_id, *([now] if timed else []))).split()[-1])
        await conn.execute("SET LOCAL enable_nestloop TO DEFAULT")
    except (asyncpg.DataError, asyncpg.UniqueViolationError) as err:
        raise Declined(f"{name}: {err}") from None
    if inserted != rows:
        raise Declined(f"{name}: {rows - inserted} rows the SQL rules do not accept")
    return inserted


async def load(
    conn: asyncpg.Connection, *, import_id: uuid.UUID, source: dump.FolderDump, now: dt.datetime,
    max_reject_rate: float, progress=None, second=None,
) -> Loaded:
    """Load `source` into staging in the caller's transaction, or raise Declined (the caller rolls
    back to its savepoint and takes the line-exact path). `second` (a callable giving an async context
    manager of a connection) lets a transactions file of PARTS_FROM_BYTES or more load in two parts."""
    if type(source) is not dump.FolderDump:
        raise Declined("a mapped dump")
    try:
        if source.controls() is not None:
            raise Declined("control totals")
    except dump.StructureError:
        raise Declined("control totals") from None
    directory = source.directory
    for name in dump.FILES:
        if not (directory / name).is_file():
            raise Declined(f"{name}: missing")
    split_at = None
    transactions = directory / "transactions.csv"
    if second is not None and transactions.stat().st_size >= PARTS_FROM_BYTES:
        # the first part's connection also loads members and balances: it takes less of the transactions
        others = sum((directory / n).stat().st_size for n in dump.FILES if n != "transactions.csv")
        split_at = _line_start(transactions, max(transactions.stat().st_size - others, 0) // 2)
    lines, first_lines = {}, 0
    for name in dump.FILES:
        lines[name], before = _scan(directory / name, split_at=split_at if name == "transactions.csv" else None)
        if name == "transactions.csv":
            first_lines = before
    part = None
    if split_at is not None and 0 < first_lines < lines["transactions.csv"]:
        loop = asyncio.get_running_loop()
        part = _SecondPart(checked=loop.create_future(), inserted=loop.create_future(), go=loop.create_future(),
                           staged=loop.create_future())
        part.task = asyncio.create_task(part.run(second, import_id=import_id, directory=directory, start=split_at,
                                                 lines=lines["transactions.csv"] - first_lines, now=now))
    try:
        return await _load_files(conn, import_id=import_id, directory=directory, now=now, lines=lines,
                                 max_reject_rate=max_reject_rate, progress=progress, part=part, split_at=split_at,
                                 first_lines=first_lines)
    finally:
        if part is not None:
            await part.stop()


async def _load_files(
    conn: asyncpg.Connection, *, import_id: uuid.UUID, directory, now: dt.datetime, lines: dict[str, int],
    max_reject_rate: float, progress, part: _SecondPart | None, split_at: int | None, first_lines: int,
) -> Loaded:
    report = ValidationReport(directory=str(directory), max_reject_rate=max_reject_rate)
    loaded = {}
    for name, columns in dump.FILES.items():
        table = "raw_" + name.removesuffix(".csv")
        path = directory / name
        sql, timed = STATEMENTS[name]
        in_parts = part is not None and name == "transactions.csv"
        if in_parts:
            rows = await _raw(conn, name, table, _byte_range(path, 0, split_at), header=True)
            if rows != first_lines:
                raise Declined(f"{name}: {first_lines} lines before byte {split_at}, {rows} rows copied")
            increasing, _, last = await conn.fetchrow(_PART_ORDER)
            later_increasing, later_first, _ = await part.checked
            if not (increasing and later_increasing and last < later_first):
                # not in id order: the duplicate check needs every id in one place, so one connection loads it
                await part.stop()
                part = None
                await conn.execute(f"DROP TABLE {table}")
                in_parts = False
        if not in_parts:
            rows = await _raw(conn, name, table, path, header=True)
            if rows != lines[name]:
                raise Declined(f"{name}: {lines[name]} lines, {rows} rows copied")
            increasing = name in INCREASING and await conn.fetchval(INCREASING[name])
            if name in DUPLICATES and not increasing and await conn.fetchval(DUPLICATES[name]) is not None:
                raise Declined(f"{name}: a duplicate")
        await conn.execute(f"ANALYZE {table}")
        inserted = await _insert(conn, name, sql, import_id, now, rows=rows, timed=timed)
        if in_parts:
            inserted += await part.inserted
            part.go.set_result(True)
            await part.staged  # committed: this connection's statements below see its rows
        report.row_counts[name] = inserted
        loaded[name] = inserted
        await conn.execute(f"DROP TABLE {table}")  # not kept to the end of the load's transaction
        if progress:
            progress(f"loaded {inserted:,} rows of {name} (checked in SQL{', in two parts' if in_parts else ''})")
    report.sum_of_balances = await conn.fetchval(
        "SELECT coalesce(sum(points_balance), 0)::bigint FROM staging.balances WHERE import_id = $1", import_id)
    report.points_by_kind = {r["kind"]: r["points"] for r in await conn.fetch(
        "SELECT kind, sum(points)::bigint AS points FROM staging.transactions WHERE import_id = $1"
        " GROUP BY kind ORDER BY kind", import_id)}
    return Loaded(report=report, loaded=loaded)
