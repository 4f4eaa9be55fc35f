"""Dual-running comparison of one member: legacy transactions against postings, by reference."""

import datetime as dt

from services.importer.compare import LegacyTxn, MemberDiff, Posting, compare_member

T0 = dt.datetime(2026, 11, 1, 12, tzinfo=dt.timezone.utc)


def at(hours: int) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def legacy(txn_id: str, kind: str, points: int, hours: int, reference: str = "") -> LegacyTxn:
    return LegacyTxn(legacy_txn_id=txn_id, kind=kind, points=points, occurred_at=at(hours), reference=reference)


def posting(kind: str, reference: str, points: int, hours: int, status: str = "posted") -> Posting:
    return Posting(kind=kind, reference=reference, points=points, occurred_at=at(hours), status=status)


def test_matching_pairs_by_pos_reference_or_imported_id_are_clean():
    diff = compare_member(MemberDiff("L1", matched_by="map", legacy_balance=70, platform_balance=70), legacy=[
        legacy("T1", "earn", 100, 0),
        legacy("T2", "burn", -30, 1, reference="POS-2"),
    ], postings=[posting("EARN", "legacy:T1", 100, 0), posting("BURN", "POS-2", -30, 1)], since=at(0))
    assert diff.clean and (diff.missing, diff.extra, diff.different) == ([], [], [])


def test_missing_extra_different_and_drift_are_each_reported():
    diff = compare_member(MemberDiff("L1", matched_by="email", legacy_balance=500, platform_balance=420), legacy=[
        legacy("T1", "earn", 100, 0, reference="POS-1"),    # missing here
        legacy("T2", "earn", 80, 1, reference="POS-2"),     # 60 here
        legacy("T3", "burn", -20, 2, reference="POS-3"),    # voided here
        legacy("T4", "earn", 10, 3, reference="POS-4"),     # a burn here
    ], postings=[
        posting("EARN", "POS-2", 60, 1),
        posting("BURN", "POS-3", -20, 2, status="voided"), posting("VOID", "void-POS-3", 20, 2),
        posting("BURN", "POS-4", -10, 3),
        posting("EARN", "POS-9", 40, 4),                    # extra here
        posting("EARN", "POS-0", 40, -5),                   # before the window: not extra
        posting("REMEDIATION", "legacy-remediation:x", 5, 4),
    ], since=at(0))
    assert [m["legacy_txn_id"] for m in diff.missing] == ["T1"]
    assert [e["reference"] for e in diff.extra] == ["POS-9"]
    assert {d["legacy_txn_id"]: d["problems"] for d in diff.different} == {
        "T2": ["points +80 there, +60 here"],
        "T3": ["voided here"],
        "T4": ["kind earn there, BURN here", "points +10 there, -10 here"],
    }
    assert diff.drift == 80 and not diff.clean


def test_a_member_not_found_here_is_never_clean():
    assert not MemberDiff("L1", legacy_balance=0).clean
