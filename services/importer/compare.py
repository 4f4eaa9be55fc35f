"""`loyalty-import compare`: while the legacy system still takes transactions (dual running), match
a fresh legacy dump against the ledger, member by member, so a team decides the cut-over with
evidence.

Members are found here by the import's map (legacy id), else by email, else by phone (seed 001:
guests authenticate with their email in both systems during the migration). Transactions match
postings by reference: the legacy `reference` (the POS transaction id both systems receive), or
`legacy:<legacy_txn_id>` for history the import brought over. Per member the report lists:
- missing: legacy transactions with no posting here;
- extra: postings here, inside the dump's time window, that the legacy system does not have;
- different: matched pairs whose points or kind disagree, or whose posting was voided here;
- drift: the legacy balance minus the balance here.
"""

import asyncio
import collections
import dataclasses
import datetime as dt
import re
import uuid

import asyncpg

from services.importer import dump, validation_report
from services.importer.peers import Peers, Posting

PRINCIPAL = "loyalty-import:compare"
FAMILIES = {  # a legacy kind and the posting kinds that can stand for it here
    "earn": {"EARN", "RETRO_CLAIM", "GOODWILL", "TRANSFER", "ACTIVATE"},
    "burn": {"BURN", "CAPTURE", "HOLD"},
    "expire": {"EXPIRE"},
    "adjust": {"ADJUST", "GOODWILL", "REMEDIATION"},
}
NOT_EXTRA = {"REMEDIATION", "VOID", "RELEASE", "MERGE", "EXTEND"}  # bookkeeping of this ledger, not activity


@dataclasses.dataclass(frozen=True)
class LegacyTxn:
    legacy_txn_id: str
    kind: str
    points: int          # signed: credits positive
    occurred_at: dt.datetime
    reference: str


@dataclasses.dataclass
class MemberDiff:
    legacy_id: str
    loyalty_number: str = ""
    matched_by: str = ""   # map, email, phone; empty: not found here
    legacy_balance: int | None = None
    platform_balance: int | None = None
    missing: list[dict] = dataclasses.field(default_factory=list)
    extra: list[dict] = dataclasses.field(default_factory=list)
    different: list[dict] = dataclasses.field(default_factory=list)

    @property
    def drift(self) -> int:
        return (self.legacy_balance or 0) - (self.platform_balance or 0)

    @property
    def clean(self) -> bool:
        return bool(self.matched_by) and not (self.missing or self.extra or self.different or self.drift)


def signed(kind: str, points: int) -> int:
    return -points if kind in dump.DEBIT_KINDS else points


def compare_member(
    diff: MemberDiff, *, legacy: list[LegacyTxn], postings: list[Posting], since: dt.datetime | None,
) -> MemberDiff:
    """Fill `diff` with what differs between one member's legacy transactions and postings."""
    by_reference: dict[str, list[Posting]] = collections.defaultdict(list)
    for p in postings:
        by_reference[p.reference].append(p)
    used: set[int] = set()
    for t in sorted(legacy, key=lambda t: (t.occurred_at, t.legacy_txn_id)):
        candidates = [p for key in (t.reference, f"legacy:{t.legacy_txn_id}") if key
                      for p in by_reference.get(key, []) if id(p) not in used and p.kind != "VOID"]
        match = next((p for p in candidates if p.kind in FAMILIES[t.kind]), candidates[0] if candidates else None)
        entry = {"legacy_txn_id": t.legacy_txn_id, "reference": t.reference, "kind": t.kind, "points": t.points,
                 "occurred_at": t.occurred_at.isoformat()}
        if match is None:
            diff.missing.append(entry)
            continue
        used.add(id(match))
        problems = []
        if match.kind not in FAMILIES[t.kind]:
            problems.append(f"kind {t.kind} there, {match.kind} here")
        if match.points != t.points:
            problems.append(f"points {t.points:+d} there, {match.points:+d} here")
        if match.status in ("voided", "partially_voided", "released"):
            problems.append(f"{match.status} here")
        if problems:
            diff.different.append(entry | {"posting_kind": match.kind, "posting_points": match.points,
                                           "problems": problems})
    for p in postings:
        if id(p) in used or p.kind in NOT_EXTRA or (since is not None and p.occurred_at < since):
            continue
        if p.reference in {f"legacy:{t.legacy_txn_id}" for t in legacy} | {t.reference for t in legacy}:
            continue  # a second posting under a matched reference (a void's partner, a capture's hold)
        diff.extra.append({"reference": p.reference, "kind": p.kind, "points": p.points,
                           "occurred_at": p.occurred_at.isoformat(), "status": p.status})
    return diff


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


@dataclasses.dataclass
class LegacyDump:
    members: dict[str, dict[str, str]]
    balances: dict[str, int]
    transactions: dict[str, list[LegacyTxn]]
    rejected: int
    since: dt.datetime | None


def read_legacy(source, *, now: dt.datetime) -> LegacyDump:
    """The dump's accepted rows, grouped by member (a dual-running extract: weeks, not years)."""
    report = validation_report.ValidationReport(directory=str(source.directory), max_reject_rate=1.0)
    members, balances, txns = {}, {}, collections.defaultdict(list)
    for item in validation_report.classify(source, report, now=now):
        if not isinstance(item, validation_report.Accepted):
            continue
        v = item.values
        if item.file == "members.csv":
            members[v["legacy_id"]] = v
        elif item.file == "balances.csv":
            balances[v["legacy_id"]] = int(v["points_balance"])
        else:
            txns[v["legacy_id"]].append(LegacyTxn(
                legacy_txn_id=v["legacy_txn_id"], kind=v["kind"], points=signed(v["kind"], int(v["points"])),
                occurred_at=dump.parse_timestamp(v["occurred_at"]), reference=v["reference"]))
    first = min((t.occurred_at for ts in txns.values() for t in ts), default=None)
    return LegacyDump(members=members, balances=balances, transactions=txns, rejected=len(report.rejections),
                      since=first)


async def _find(peers: Peers, program_id: uuid.UUID, *, legacy: dict[str, str],
                mapped: dict[str, str]) -> tuple[str, str]:
    if legacy["legacy_id"] in mapped:
        return mapped[legacy["legacy_id"]], "map"
    for field, value, same in (
        ("email", legacy["email"], lambda m: m.email.lower() == legacy["email"].lower()),
        ("phone", legacy["phone"], lambda m: _digits(m.phone) == _digits(legacy["phone"])),
    ):
        if not value or (field == "phone" and len(_digits(value)) < 6):
            continue
        found = await peers.search_members(program_id, principal=PRINCIPAL, query=value, field=field)
        hits = [m for m in found if same(m) and not m.merged_into]
        if len(hits) == 1:
            return hits[0].loyalty_number, field
    return "", ""


async def compare(
    peers: Peers, staging: asyncpg.Pool, *, program_id: uuid.UUID, legacy: LegacyDump, since: dt.datetime | None,
    concurrency: int = 8,
) -> list[MemberDiff]:
    """One MemberDiff per legacy member, in legacy id order."""
    async with staging.acquire() as conn:
        mapped = {r["legacy_id"]: r["loyalty_number"] for r in await conn.fetch(
            "SELECT legacy_id, loyalty_number FROM member_map WHERE program_id = $1", program_id)}
    gate = asyncio.Semaphore(concurrency)
    window = since or legacy.since

    async def one(legacy_id: str) -> MemberDiff:
        diff = MemberDiff(legacy_id=legacy_id, legacy_balance=legacy.balances.get(legacy_id))
        async with gate:
            diff.loyalty_number, diff.matched_by = await _find(peers, program_id, legacy=legacy.members[legacy_id],
                                                               mapped=mapped)
            if not diff.matched_by:
                diff.missing = [{"legacy_txn_id": t.legacy_txn_id, "reference": t.reference, "kind": t.kind,
                                 "points": t.points} for t in legacy.transactions.get(legacy_id, [])]
                return diff
            diff.platform_balance = await peers.available_points(program_id, principal=PRINCIPAL,
                                                                 loyalty_number=diff.loyalty_number)
            postings = await peers.postings(program_id, principal=PRINCIPAL, loyalty_number=diff.loyalty_number)
        return compare_member(diff, legacy=legacy.transactions.get(legacy_id, []), postings=postings, since=window)

    return list(await asyncio.gather(*(one(i) for i in sorted(legacy.members))))


def summarise(diffs: list[MemberDiff], *, legacy: LegacyDump) -> dict:
    found = collections.Counter(d.matched_by or "not_found" for d in diffs)
    return {
        "members": len(diffs),
        "identified": {k: found[k] for k in ("map", "email", "phone", "not_found")},
        "members_clean": sum(d.clean for d in diffs),
        "members_with_differences": sum(not d.clean for d in diffs),
        "missing": sum(len(d.missing) for d in diffs),
        "extra": sum(len(d.extra) for d in diffs),
        "different": sum(len(d.different) for d in diffs),
        "members_drifting": sum(1 for d in diffs if d.matched_by and d.drift),
        "balance_drift_total": sum(d.drift for d in diffs if d.matched_by),
        "legacy_rows_rejected": legacy.rejected,
        "window_from": legacy.since.isoformat() if legacy.since else None,
    }
