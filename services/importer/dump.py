"""The legacy dump contract: three UTF-8 CSV files with a header row (see README, 'Import format').

Reading is streaming and line-based so a 10-million-row file never sits in memory, and every
rejected row is reported with its file, line and reason.
"""

import csv
import dataclasses
import datetime as dt
import pathlib
import re
from collections.abc import Iterator

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
    """The dump cannot be read at all: a missing file or a wrong header."""


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


def _decoded_lines(path: pathlib.Path, bad: list[int]) -> Iterator[str]:
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                bad.append(number)
                yield "\x00BAD-ENCODING\x00\n"


def read_rows(directory: pathlib.Path, name: str) -> Iterator[Row]:
    path = directory / name
    if not path.is_file():
        raise StructureError(f"{name} is missing from {directory}")
    bad_lines: list[int] = []
    lines = _decoded_lines(path, bad_lines)
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None or [h.strip().lstrip("\ufeff") for h in header] != FILES[name]:
        raise StructureError(f"{name}: header must be {','.join(FILES[name])}, found {','.join(header or [])}")
    width = len(FILES[name])
    for fields in reader:
        line = reader.line_num
        if not fields:
            continue
        if fields[0].startswith("\x00BAD-ENCODING"):
            yield Row(line=line, values=dict.fromkeys(FILES[name], ""), unreadable="not valid UTF-8")
            continue
        if len(fields) != width:
            yield Row(line=line, values=dict.fromkeys(FILES[name], ""),
                      unreadable=f"expected {width} fields, found {len(fields)}")
            continue
        yield Row(line=line, values=dict(zip(FILES[name], (f.strip() for f in fields))))


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
