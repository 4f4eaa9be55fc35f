"""Control totals: the legacy system's own count of what it exported, per batch of members.

An optional `control_totals.csv` in the dump (seed 003: the bank checked its migration "before,
during and after" against such totals) with the header

    batch,first_legacy_id,last_legacy_id,members,transactions,points_credited,points_debited,points_balance

Each row covers the members whose legacy_id lies between first and last (inclusive, compared
as text); ranges must not overlap. The load keeps running totals of the rows it accepts per
batch and checks them in batch order: the import goes ahead with the batches before the first
one that breaks its totals and stops there, naming the batch, its member range and each total
that differs; after the dump is fixed, `run` resumes and imports the rest.
"""

import bisect
import dataclasses
import pathlib

from services.importer import dump

FILE = "control_totals.csv"
COLUMNS = ["batch", "first_legacy_id", "last_legacy_id", "members", "transactions", "points_credited",
           "points_debited", "points_balance"]
TOTALS = COLUMNS[3:]


@dataclasses.dataclass
class Batch:
    line: int
    name: str
    first: str
    last: str
    expected: dict[str, int]
    found: dict[str, int] = dataclasses.field(default_factory=lambda: dict.fromkeys(TOTALS, 0))

    def problems(self) -> list[str]:
        return [f"{k} {self.found[k]:,} in the dump, {self.expected[k]:,} in {FILE} line {self.line}"
                for k in TOTALS if self.found[k] != self.expected[k]]


class Controls:
    def __init__(self, batches: list[Batch]):
        self.batches = sorted(batches, key=lambda b: b.first)
        self._firsts = [b.first for b in self.batches]

    def batch_of(self, legacy_id: str) -> Batch | None:
        i = bisect.bisect_right(self._firsts, legacy_id) - 1
        if i >= 0 and legacy_id <= self.batches[i].last:
            return self.batches[i]
        return None

    def count(self, file: str, values: dict[str, str]) -> bool:
        """Add an accepted row to its batch's running totals; False when it is in no batch."""
        batch = self.batch_of(values["legacy_id"])
        if batch is None:
            return False
        found = batch.found
        if file == "members.csv":
            found["members"] += 1
        elif file == "balances.csv":
            found["points_balance"] += int(values["points_balance"])
        else:
            found["transactions"] += 1
            found["points_debited" if values["kind"] in dump.DEBIT_KINDS else "points_credited"] += int(values["points"])
        return True

    def first_break(self) -> Batch | None:
        return next((b for b in self.batches if b.problems()), None)


def read(directory: pathlib.Path) -> Controls | None:
    """The dump's control totals, or None when it ships none. StructureError names line and column."""
    path = directory / FILE
    if not path.is_file():
        return None
    batches = []
    with path.open("rb") as fh:
        _, rows = dump.read_table(fh, name=FILE, columns=COLUMNS)
        for row in rows:
            if row.unreadable:
                raise dump.StructureError(FILE, row.unreadable, line=row.line)
            v = row.values
            expected = {}
            for k in TOTALS:
                if not v[k].lstrip("-").isdigit():
                    raise dump.StructureError(FILE, f"column {k}: {v[k]!r} is not a whole number", line=row.line)
                expected[k] = int(v[k])
            if not v["first_legacy_id"] or v["first_legacy_id"] > v["last_legacy_id"]:
                raise dump.StructureError(FILE, "first_legacy_id must be set and not after last_legacy_id",
                                          line=row.line)
            batches.append(Batch(line=row.line, name=v["batch"], first=v["first_legacy_id"],
                                 last=v["last_legacy_id"], expected=expected))
    controls = Controls(batches)
    for before, after in zip(controls.batches, controls.batches[1:]):
        if after.first <= before.last:
            raise dump.StructureError(FILE, f"batch {after.name} overlaps batch {before.name}", line=after.line)
    return controls


def describe(batch: Batch) -> str:
    return (f"batch {batch.name} (members {batch.first} to {batch.last}) breaks the control totals: "
            + "; ".join(batch.problems()))
