"""`loyalty-import validate DIR`: the pre-migration report, and whether the dump can be imported.

`classify` is the one pass over a dump that both the report and the load use: it yields every
accepted row and every rejection with its reason, so what validate reports is what run loads.
"""

import collections
import dataclasses
import datetime as dt
import json
import pathlib
from collections.abc import Callable, Iterator

from services.importer import control, dump


@dataclasses.dataclass(frozen=True)
class Accepted:
    file: str
    values: dict[str, str]


@dataclasses.dataclass
class ValidationReport:
    directory: str
    row_counts: dict[str, int] = dataclasses.field(default_factory=dict)
    points_by_kind: dict[str, int] = dataclasses.field(default_factory=dict)
    sum_of_balances: int = 0
    duplicate_legacy_ids: list[str] = dataclasses.field(default_factory=list)
    duplicate_emails: list[str] = dataclasses.field(default_factory=list)
    duplicate_transaction_ids: list[str] = dataclasses.field(default_factory=list)
    orphan_transactions: int = 0
    orphan_balances: int = 0
    bad_dates: int = 0
    bad_encodings: int = 0
    negative_balances: int = 0
    rejections: list[dump.Rejection] = dataclasses.field(default_factory=list)
    structure_errors: list[str] = dataclasses.field(default_factory=list)
    max_reject_rate: float = 0.01
    control_batches: int = 0             # batches in control_totals.csv (0: the dump has none)
    control_batches_ok: int = 0          # batches before the first that breaks its totals
    control_break: str | None = None     # that batch, its member range and what differs
    control_stop: str | None = None      # its first legacy_id: the load keeps only members before it

    @property
    def rows_total(self) -> int:
        return sum(self.row_counts.values())

    @property
    def reject_rate(self) -> float:
        return len(self.rejections) / self.rows_total if self.rows_total else 0.0

    @property
    def importable(self) -> bool:
        return self.refusal() is None and self.control_break is None

    def refusal(self) -> str | None:
        """Why this dump must not be imported, naming files, lines and problems; None when it may."""
        if self.structure_errors:
            return "; ".join(self.structure_errors)
        members = next(iter(self.row_counts), "members.csv")
        if not self.row_counts.get(members):
            return f"{members}: the file has no member rows"
        first = "; ".join(f"{r.file} line {r.line}: {r.reason}" for r in self.rejections[:5])
        per_file = collections.Counter(r.file for r in self.rejections)
        for name, rows in self.row_counts.items():
            if rows and per_file[name] == rows:
                hint = f" ({dump.ENCODING_HINT})" if all(r.reason.startswith("not valid UTF-8") for r in
                                                         self.rejections if r.file == name) else ""
                return f"{name}: none of its {rows:,} rows can be imported{hint}; first: {first}"
        if self.reject_rate > self.max_reject_rate:
            return (f"{len(self.rejections):,} of {self.rows_total:,} rows rejected ({self.reject_rate:.2%}, more than"
                    f" the {self.max_reject_rate:.2%} allowed by --max-reject-rate); first: {first}")
        return None

    def to_json(self) -> dict:
        body = dataclasses.asdict(self)
        body["rejections"] = [dataclasses.asdict(r) for r in self.rejections[:1000]]
        body["rejections_total"] = len(self.rejections)
        body["reject_rate"] = round(self.reject_rate, 6)
        body["importable"] = self.importable
        body["refusal"] = self.refusal()
        return body


def classify(
    source: "dump.FolderDump", report: ValidationReport, *, now: dt.datetime,
    progress: Callable[[str], None] | None = None,
) -> Iterator[Accepted | dump.Rejection]:
    """Yield accepted rows (members, then balances, then transactions) and rejections, and fill
    the report's counts on the way. Raises dump.StructureError for an unreadable dump."""

    def rejected(name: str, row: dump.Row, key: str, reason: str) -> dump.Rejection:
        if "date" in reason or "occurred_at" in reason or "enrolled_at" in reason:
            report.bad_dates += 1
        if reason.startswith("not valid UTF-8"):
            report.bad_encodings += 1
        field = reason.split(" ", 1)[0]
        if (column := source.column_of(name, field)) is not None:
            reason = f"{reason} (column {column})"  # a mapped dump: name the source system's column
        rejection = dump.Rejection(source.file_name(name), row.line, key, reason)
        report.rejections.append(rejection)
        return rejection

    controls = source.controls()

    def outside(name: str, row: dump.Row, key: str) -> dump.Rejection | None:
        """Count an accepted row in its control batch; a row in no batch is rejected."""
        if controls is None or controls.count(name, row.values):
            return None
        return rejected(name, row, key, f"legacy_id {row.values['legacy_id']!r} is in no batch of {control.FILE}")

    legacy_ids: set[str] = set()
    seen_emails: dict[str, str] = {}
    count = 0
    for row in source.rows("members.csv"):
        count += 1
        v = row.values
        problem = row.unreadable or dump.member_problem(v, today=now.date())
        email = v["email"].lower()
        if problem:
            yield rejected("members.csv", row, v["legacy_id"], problem)
        elif v["legacy_id"] in legacy_ids:
            report.duplicate_legacy_ids.append(v["legacy_id"])
            yield rejected("members.csv", row, v["legacy_id"], "duplicate legacy_id")
        elif email in seen_emails:
            report.duplicate_emails.append(v["email"])
            yield rejected("members.csv", row, v["legacy_id"], f"email already used by legacy_id {seen_emails[email]}")
        elif miss := outside("members.csv", row, v["legacy_id"]):
            yield miss
        else:
            legacy_ids.add(v["legacy_id"])
            seen_emails[email] = v["legacy_id"]
            yield Accepted("members.csv", v)
    report.row_counts[source.file_name("members.csv")] = count

    count, balance_ids = 0, set()
    for row in source.rows("balances.csv"):
        count += 1
        v = row.values
        problem = row.unreadable or dump.balance_problem(v)
        if problem:
            if "negative" in problem:
                report.negative_balances += 1
            yield rejected("balances.csv", row, v["legacy_id"], problem)
        elif v["legacy_id"] not in legacy_ids:
            report.orphan_balances += 1
            yield rejected("balances.csv", row, v["legacy_id"], "balance of an unknown member")
        elif v["legacy_id"] in balance_ids:
            yield rejected("balances.csv", row, v["legacy_id"], "duplicate balance row")
        else:
            balance_ids.add(v["legacy_id"])
            report.sum_of_balances += int(v["points_balance"])
            outside("balances.csv", row, v["legacy_id"])
            yield Accepted("balances.csv", v)
    report.row_counts[source.file_name("balances.csv")] = count

    count, txn_ids = 0, set()
    by_kind: collections.Counter = collections.Counter()
    for row in source.rows("transactions.csv"):
        count += 1
        if progress and count % 500_000 == 0:
            progress(f"read {count:,} transactions")
        v = row.values
        problem = row.unreadable or dump.transaction_problem(v, now=now)
        if problem:
            yield rejected("transactions.csv", row, v["legacy_txn_id"], problem)
        elif v["legacy_id"] not in legacy_ids:
            report.orphan_transactions += 1
            yield rejected("transactions.csv", row, v["legacy_txn_id"], "transaction of an unknown member")
        elif v["legacy_txn_id"] in txn_ids:
            report.duplicate_transaction_ids.append(v["legacy_txn_id"])
            yield rejected("transactions.csv", row, v["legacy_txn_id"], "duplicate legacy_txn_id")
        else:
            txn_ids.add(v["legacy_txn_id"])
            by_kind[v["kind"]] += int(v["points"])
            outside("transactions.csv", row, v["legacy_txn_id"])
            yield Accepted("transactions.csv", v)
    report.row_counts[source.file_name("transactions.csv")] = count
    report.points_by_kind = dict(sorted(by_kind.items()))
    if controls is not None:
        report.control_batches = len(controls.batches)
        broken = controls.first_break()
        report.control_batches_ok = controls.batches.index(broken) if broken else len(controls.batches)
        if broken:
            report.control_break, report.control_stop = control.describe(broken), broken.first


def validate(source: "dump.FolderDump | pathlib.Path", *, max_reject_rate: float = 0.01,
             now: dt.datetime | None = None, progress=None) -> ValidationReport:
    if isinstance(source, pathlib.Path):
        source = dump.FolderDump(source)
    report = ValidationReport(directory=str(source.directory), max_reject_rate=max_reject_rate)
    try:
        for _ in classify(source, report, now=now or dt.datetime.now(dt.timezone.utc), progress=progress):
            pass
    except dump.StructureError as exc:
        report.structure_errors.append(str(exc))
    return report


def write_report(report: ValidationReport, path: pathlib.Path) -> None:
    path.write_text(json.dumps(report.to_json(), indent=2, default=str))


def summary_lines(report: ValidationReport) -> list[str]:
    lines = [f"dump: {report.directory}"]
    lines += [f"  {name}: {n:,} rows" for name, n in report.row_counts.items()]
    lines.append(f"  points by kind: {report.points_by_kind}")
    lines.append(f"  sum of balances: {report.sum_of_balances:,}")
    lines.append(f"  duplicates: {len(report.duplicate_legacy_ids)} legacy ids, {len(report.duplicate_emails)} emails,"
                 f" {len(report.duplicate_transaction_ids)} transaction ids")
    lines.append(f"  orphans: {report.orphan_transactions} transactions, {report.orphan_balances} balances")
    lines.append(f"  bad dates: {report.bad_dates}, bad encodings: {report.bad_encodings},"
                 f" negative balances: {report.negative_balances}")
    lines.append(f"  rows to quarantine: {len(report.rejections):,} ({report.reject_rate:.4%})")
    lines += [f"  STRUCTURE: {e}" for e in report.structure_errors]
    if report.control_batches:
        lines.append(f"  control totals: {report.control_batches_ok} of {report.control_batches} batches match"
                     + (f"; {report.control_break}" if report.control_break else ""))
    refusal = report.refusal()
    if refusal is not None:
        lines.append(f"  importable: NO: {refusal}")
    elif report.control_break:
        lines.append(f"  importable: up to batch {report.control_stop!r} only (control totals)")
    else:
        lines.append("  importable: yes")
    return lines
