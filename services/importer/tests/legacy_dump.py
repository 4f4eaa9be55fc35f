"""Generates legacy dumps with known answers: what is wrong in them, and what balances must be."""

import csv
import dataclasses
import datetime as dt
import pathlib
import random


@dataclasses.dataclass
class KnownAnswers:
    members: int = 0
    valid_members: set[str] = dataclasses.field(default_factory=set)
    balances: dict[str, int] = dataclasses.field(default_factory=dict)
    computed: dict[str, int] = dataclasses.field(default_factory=dict)  # from history alone
    points_by_kind: dict[str, int] = dataclasses.field(default_factory=dict)
    planted: dict[str, int] = dataclasses.field(default_factory=dict)   # problem -> rows


def write_dump(directory: pathlib.Path, *, members: int = 50, transactions_per_member: int = 6,
               seed: int = 7, now: dt.datetime | None = None, plant_errors: bool = True) -> KnownAnswers:
    rng = random.Random(seed)
    now = now or dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    answers = KnownAnswers(points_by_kind={"earn": 0, "burn": 0, "expire": 0, "adjust": 0})
    directory.mkdir(parents=True, exist_ok=True)
    member_rows, balance_rows, txn_rows = [], [], []
    for i in range(members):
        legacy_id = f"L{i:07d}"
        enrolled = now - dt.timedelta(days=rng.randint(200, 900))
        member_rows.append([legacy_id, f"guest{i}@example.com", f"Guest{i}", "Smith", f"+3460{i:07d}",
                            "1990-02-28", enrolled.isoformat(), "active"])
        answers.valid_members.add(legacy_id)
        balance = 0
        for t in range(transactions_per_member):
            occurred = enrolled + dt.timedelta(days=t * 20 + 1, hours=rng.randint(0, 20))
            kind = "earn" if t % 3 != 2 or balance == 0 else rng.choice(["burn", "expire"])
            points = rng.randint(50, 500) if kind == "earn" else rng.randint(1, balance)
            balance += points if kind == "earn" else -points
            answers.points_by_kind[kind] += points
            txn_rows.append([f"T{i:07d}-{t}", legacy_id, occurred.isoformat(), kind, str(points), "pos",
                             f"R{i}-{t}"])
        answers.computed[legacy_id] = balance
        legacy_balance = balance + (rng.choice([0, 0, 0, 25, -10]) if balance >= 10 else 0)
        answers.balances[legacy_id] = legacy_balance
        balance_rows.append([legacy_id, str(legacy_balance), "KING", ""])
    if plant_errors:
        planted = answers.planted
        member_rows.append(["L0000001", "dupe@example.com", "Dupe", "Id", "", "", now.isoformat(), "active"])
        planted["duplicate legacy_id"] = 1
        member_rows.append(["LDUPMAIL", "GUEST2@example.com", "Dupe", "Mail", "", "", now.isoformat(), "active"])
        planted["duplicate email"] = 1
        member_rows.append(["LBADDATE", "baddate@example.com", "Bad", "Date", "", "1990-13-45",
                            now.isoformat(), "active"])
        planted["bad date"] = 1
        txn_rows.append(["TORPHAN", "LNOBODY", now.isoformat(), "earn", "10", "pos", "x"])
        planted["orphan transaction"] = 1
        balance_rows.append(["LNOBODY", "5", "", ""])
        planted["orphan balance"] = 1
    for name, header, rows in (
        ("members.csv", ["legacy_id", "email", "first_name", "last_name", "phone", "birth_date", "enrolled_at", "status"], member_rows),
        ("balances.csv", ["legacy_id", "points_balance", "tier_code", "tier_achieved_at"], balance_rows),
        ("transactions.csv", ["legacy_txn_id", "legacy_id", "occurred_at", "kind", "points", "channel", "reference"], txn_rows),
    ):
        with (directory / name).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
    if plant_errors:
        with (directory / "members.csv").open("ab") as fh:
            fh.write(b"LLATIN1,caf\xe9@example.com,Caf\xe9,X,,,2020-01-01,active\n")
        answers.planted["bad encoding"] = 1
    answers.members = members
    return answers


def write_control_totals(directory: pathlib.Path, *, batch_members: int) -> list[tuple[str, str]]:
    """control_totals.csv for the dump in `directory`, in batches of `batch_members` legacy ids
    (as the legacy system would count them); returns each batch's (first, last) legacy id."""
    def rows(name):
        with (directory / name).open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    ids = sorted(r["legacy_id"] for r in rows("members.csv"))
    ranges = [(ids[i], ids[min(i + batch_members, len(ids)) - 1]) for i in range(0, len(ids), batch_members)]
    totals = {r: dict(members=0, transactions=0, points_credited=0, points_debited=0, points_balance=0) for r in ranges}

    def batch(legacy_id):
        return next(r for r in ranges if r[0] <= legacy_id <= r[1])
    for m in rows("members.csv"):
        totals[batch(m["legacy_id"])]["members"] += 1
    for b in rows("balances.csv"):
        totals[batch(b["legacy_id"])]["points_balance"] += int(b["points_balance"])
    for t in rows("transactions.csv"):
        found = totals[batch(t["legacy_id"])]
        found["transactions"] += 1
        found["points_debited" if t["kind"] in ("burn", "expire") else "points_credited"] += int(t["points"])
    with (directory / "control_totals.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["batch", "first_legacy_id", "last_legacy_id", "members", "transactions", "points_credited",
                    "points_debited", "points_balance"])
        for n, r in enumerate(ranges, start=1):
            w.writerow([f"{n:04d}", r[0], r[1], *totals[r].values()])
    return ranges
