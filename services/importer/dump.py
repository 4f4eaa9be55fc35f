"""The legacy dump contract: three UTF-8 CSV files with a header row (see README, 'Import format').

Reading is streaming and line-based so a 10-million-row file never sits in memory, and every
rejected row is reported with its file, line and reason.
"""

import contextlib
import csv
import dataclasses
import datetime as dt
import pathlib
import re
from collections.abc import Iterator
from typing import BinaryIO

from services.common.validation import _EMAIL  # the same email rule as enrolment

FILES = {
    "members.csv": ["legacy_id", "email", "first_name", "last_name", "phone", "birth_date", "enrolled_at", "status"],
    "balances.csv": ["legacy_id", "points_balance", "tier_code", "tier_achieved_at"],
    "transactions.csv": ["legacy_txn_id", "legacy_id", "occurred_at", "kind", "points", "channel", "reference"],
}
MEMBER_STATUSES = frozenset({"active", "suspended", "blacklisted"})
KINDS = frozenset({"earn", "burn", "expire", "adjust"})
DEBIT_KINDS = frozenset({"burn", "expire"})


class StructureError(Exception):
    """The dump cannot be read: no folder, a missing or empty file, a wrong header, a line that
    is not text. Names the file and, where there is one, the line."""

    def __init__(self, file: str, problem: str, *, line: int | None = None):
        self.file, self.line, self.problem = file, line, problem
        super().__init__(f"{file} line {line}: {problem}" if line else f"{file}: {problem}")


@dataclasses.dataclass(frozen=True)
class Rejection:
    file: str
    line: int
    key: str
    reason: str


@dataclasses.dataclass
class Row:
    line: int
    values: dict[str, str]
    unreadable: str | None = None  # why the row could not be read at all


MAX_LINE = 64 * 1024  # no row of the format comes near this; a longer "line" is not a row
ENCODING_HINT = "the format is UTF-8 (a Latin-1 or Windows-1252 file must be converted, e.g. iconv -f CP1252 -t UTF-8)"


def _physical_lines(fh: BinaryIO, name: str) -> Iterator[tuple[int, bytes | None]]:
    """(line number, raw bytes without the line end); None for a line over MAX_LINE, whose rest
    is skipped so the next line is read where it starts."""
    number = 0
    while True:
        raw = fh.readline(MAX_LINE + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
            if number == 1 and b"\r" in raw:
                raise StructureError(name, "lines end with a bare CR (carriage return); the format needs LF or CRLF"
                                     " line ends", line=1)
            while (rest := fh.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                pass
            yield number, None
            continue
        yield number, raw.rstrip(b"\n").removesuffix(b"\r")


def _fields(text: str, delimiter: str) -> list[str] | str:
    """The fields of one line, or why it cannot be read. A field never spans lines in this format,
    so a quote left open is this line's problem, not a reason to swallow the lines after it."""
    if "\x00" in text:
        return "contains a NUL byte (binary data, not CSV text)"
    if "\r" in text:
        return "contains a stray carriage return (CR) inside the line"
    if '"' not in text:
        return text.split(delimiter)
    try:
        return next(csv.reader((text,), delimiter=delimiter, strict=True))
    except csv.Error as err:
        if "unexpected end of data" in str(err):
            return "a quote opened on this line is not closed (unterminated quote; a field cannot span lines)"
        return f"not valid CSV: {err}"


def _header_problem(found: list[str], expected: list[str], raw: str) -> str:
    for sep, label in ((";", "';'"), ("\t", "tab"), ("|", "'|'")):
        if sep in raw and [h.strip() for h in raw.split(sep)][:len(expected)] == expected:
            return f"the file is {label}-delimited; the import format is comma-separated (header: {raw[:200]!r})"
    extra = [h for h in found if h not in expected]
    missing = [h for h in expected if h not in found]
    if extra and not missing:
        return f"header has extra column(s) {', '.join(extra)}; expected exactly {','.join(expected)}"
    if missing and not extra:
        return f"header lacks column(s) {', '.join(missing)}; expected exactly {','.join(expected)}"
    if not extra and not missing:
        return f"header columns are in the wrong order; expected {','.join(expected)}"
    return f"header must be {','.join(expected)}, found {raw[:200]!r}"


def read_table(
    fh: BinaryIO, *, name: str, columns: list[str] | None = None, delimiter: str = ",", encoding: str = "utf-8",
) -> tuple[list[str], Iterator[Row]]:
    """The header and a stream of rows of one delimited text file. With `columns`, the header
    must be exactly those. Raises StructureError when the file cannot be read as such a table;
    a single bad line becomes a Row with `unreadable` set, so no line is ever lost or merged."""
    lines = _physical_lines(fh, name)
    first = next(lines, None)
    if first is None:
        raise StructureError(name, "the file is empty (no header row)")
    number, raw = first
    if raw is None:
        raise StructureError(name, f"the first line is over {MAX_LINE:,} bytes: not a CSV header", line=1)
    try:
        text = raw.decode(encoding).lstrip("\ufeff")
    except UnicodeDecodeError as err:
        raise StructureError(name, f"the header is not valid {encoding} (byte 0x{raw[err.start]:02x} at column"
                             f" {err.start + 1}): not a CSV text file or the wrong encoding", line=1) from None
    fields = _fields(text, delimiter)
    if isinstance(fields, str):
        if "carriage return" in fields:
            raise StructureError(name, "lines end with a bare CR (carriage return); the format needs LF or CRLF"
                                 " line ends", line=1)
        raise StructureError(name, f"header {fields}", line=1)
    header = [h.strip() for h in fields]
    if columns is not None and header != columns:
        raise StructureError(name, _header_problem(header, columns, text), line=1)
    if len(set(header)) != len(header):
        raise StructureError(name, f"header names a column twice: {text[:200]!r}", line=1)
    return header, _rows(lines, header=header, delimiter=delimiter, encoding=encoding)


def _rows(lines, *, header: list[str], delimiter: str, encoding: str) -> Iterator[Row]:
    width, empty = len(header), dict.fromkeys(header, "")
    for number, raw in lines:
        if raw is None:
            yield Row(line=number, values=empty, unreadable=f"the line is over {MAX_LINE:,} bytes long")
            continue
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as err:
            yield Row(line=number, values=empty, unreadable=f"not valid {encoding.upper()} (byte 0x{raw[err.start]:02x}"
                                                            f" at column {err.start + 1})")
            continue
        if not text.strip():
            continue
        fields = _fields(text, delimiter)
        if isinstance(fields, str):
            yield Row(line=number, values=empty, unreadable=fields)
        elif len(fields) != width:
            yield Row(line=number, values=empty, unreadable=f"expected {width} fields, found {len(fields)}")
        else:
            yield Row(line=number, values=dict(zip(header, (f.strip() for f in fields))))


def read_rows(directory: pathlib.Path, name: str) -> Iterator[Row]:
    """Rows of one file of the import format in `directory`, checked against its header."""
    path = directory / name
    if not directory.is_dir():
        raise StructureError(str(directory), "the folder does not exist")
    if not path.is_file():
        raise StructureError(name, f"the file is missing from {directory}")
    with path.open("rb") as fh:
        _, rows = read_table(fh, name=name, columns=FILES[name])
        yield from rows


class FolderDump:
    """A dump in the import format: the three files in one folder."""

    def __init__(self, directory: pathlib.Path):
        self.directory = directory

    def rows(self, name: str) -> Iterator[Row]:
        return read_rows(self.directory, name)

    def file_name(self, name: str) -> str:
        return name

    def column_of(self, name: str, target: str) -> str | None:
        return None

    def controls(self):
        from services.importer import control  # control reads tables with this module
        return control.read(self.directory)

    def check(self) -> None:
        """What `run` checks before it records anything: the folder, each file and its header."""
        for name in FILES:
            with contextlib.closing(self.rows(name)) as rows:
                next(rows, None)


def parse_timestamp(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


_POSITIVE_INT = re.compile(r"^[0-9]{1,15}$")
_SIGNED_INT = re.compile(r"^-?[0-9]{1,15}$")


def member_problem(values: dict[str, str], *, today: dt.date) -> str | None:
    if not values["legacy_id"]:
        return "legacy_id is empty"
    if not _EMAIL.match(values["email"]):
        return f"email {values['email']!r} is not a valid address"
    if not values["first_name"] or not values["last_name"]:
        return "first_name and last_name are required"
    if values["birth_date"]:
        born = parse_date(values["birth_date"])
        if born is None:
            return f"birth_date {values['birth_date']!r} is not an ISO 8601 date"
        if born > today:
            return "birth_date is in the future"
    enrolled = parse_timestamp(values["enrolled_at"]) or (
        dt.datetime.combine(d, dt.time(), dt.timezone.utc) if (d := parse_date(values["enrolled_at"])) else None)
    if enrolled is None:
        return f"enrolled_at {values['enrolled_at']!r} is not an ISO 8601 date or timestamp"
    if values["status"] not in MEMBER_STATUSES:
        return f"status {values['status']!r} is not one of active, suspended, blacklisted"
    return None


def balance_problem(values: dict[str, str]) -> str | None:
    if not _SIGNED_INT.match(values["points_balance"]):
        return f"points_balance {values['points_balance']!r} is not a whole number"
    if int(values["points_balance"]) < 0:
        return "points_balance is negative"
    if values["tier_achieved_at"] and parse_timestamp(values["tier_achieved_at"]) is None \
            and parse_date(values["tier_achieved_at"]) is None:
        return f"tier_achieved_at {values['tier_achieved_at']!r} is not an ISO 8601 date"
    return None


def transaction_problem(values: dict[str, str], *, now: dt.datetime) -> str | None:
    if not values["legacy_txn_id"]:
        return "legacy_txn_id is empty"
    occurred = parse_timestamp(values["occurred_at"])
    if occurred is None:
        return f"occurred_at {values['occurred_at']!r} is not an ISO 8601 timestamp with offset"
    if occurred > now:
        return "occurred_at is in the future"
    if values["kind"] not in KINDS:
        return f"kind {values['kind']!r} is not one of earn, burn, expire, adjust"
    if not _POSITIVE_INT.match(values["points"]) or int(values["points"]) == 0:
        return f"points {values['points']!r} is not a positive whole number"
    return None
