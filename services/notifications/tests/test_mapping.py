"""Outbox rows, as their services write them, become valid catalogue events (or none)."""

import datetime as dt
import uuid

import pytest

from services.common.errors import DomainError
from services.notifications import catalogue
from services.notifications.mapping import SourceEvent, map_event
from services.points.ledger import posting

AT = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
MEMBER = {"id": uuid.uuid4(), "loyalty_number": "L-0001"}


def ledger(event_type: str, kind: str, points: int, **kw) -> SourceEvent:
    payload = posting.event(event_type, transaction_id=uuid.uuid4(), kind=kind, member=MEMBER, points=points,
                            reference="ref-1", occurred_at=AT, **kw)
    return SourceEvent("points", 1, event_type, payload, AT)


def valid(event: SourceEvent) -> list:
    mapped = map_event(event)
    for m in mapped:
        assert catalogue.validation_errors(m.name, m.data) == [], m
    return mapped


@pytest.mark.parametrize(("event_type", "kind", "points", "expected"), [
    ("LOY_POINT_ACCRUAL", "EARN", 100, "LOY_POINT_ACCRUAL"),
    ("LOY_POINT_ACCRUAL", "RETRO_CLAIM", 10, "LOY_POINT_ACCRUAL"),
    ("LOY_POINT_REDEMPTION", "BURN", -30, "LOY_POINT_REDEMPTION"),
    ("LOY_POINT_REDEMPTION", "CAPTURE", -10, "LOY_POINT_REDEMPTION"),
    ("LOY_POINT_ACCRUAL", "ADJUST", 5, "LOY_POINT_ADJUSTMENT"),
    ("LOY_POINT_ADJUSTMENT", "ADJUST", -5, "LOY_POINT_ADJUSTMENT"),
    ("LOY_POINT_ACCRUAL", "GOODWILL", 50, "LOY_POINT_GOODWILL"),
    ("LOY_POINT_ADJUSTMENT", "TRANSFER", -20, "LOY_POINT_TRANSFER"),
    ("LOY_POINT_ACCRUAL", "MERGE", 20, "LOY_POINT_TRANSFER"),
    ("LOY_POINT_EXPIRY", "EXPIRE", -7, "LOY_POINT_EXPIRY"),
])
def test_ledger_postings_become_their_catalogue_event(event_type, kind, points, expected):
    (mapped,) = valid(ledger(event_type, kind, points, amount="100.00", currency="EUR",
                             details={"partner_code": "P1", "breakdown": [{"campaign_code": "SPRING"}]}))
    assert (mapped.name, mapped.data["points"], mapped.loyalty_number) == (expected, points, "L-0001")
    assert mapped.occurred_at == AT and mapped.data["campaign_codes"] == ["SPRING"]
    if expected == "LOY_POINT_TRANSFER":
        assert mapped.data["direction"] == ("in" if points > 0 else "out")


def test_a_void_says_what_it_voided_and_imported_history_is_not_news():
    voided = {"id": uuid.uuid4(), "occurred_at": AT - dt.timedelta(days=1)}
    (mapped,) = valid(ledger("LOY_POINT_VOID", "VOID", -100, voided=voided))
    assert mapped.data["voided_transaction_id"] == str(voided["id"])
    assert map_event(ledger("LOY_POINT_ACCRUAL", "EARN", 5, details={"imported": True})) == []


def test_member_events():
    mid = str(uuid.uuid4())
    opt_in = SourceEvent("member", 1, "LOY_OPT_IN", {"member_id": mid, "loyalty_number": "L-1", "status": "active",
                                                     "opted_in_at": AT.isoformat(), "channel": "pos"}, AT)
    assert [m.name for m in valid(opt_in)] == ["LOY_OPT_IN"]
    change = {"member_id": mid, "loyalty_number": "L-1", "status": "erased", "from_status": "active",
              "changed_by": "staff:someone"}
    assert [m.name for m in valid(SourceEvent("member", 2, "MEMBER_STATUS_CHANGED", change, AT))] == [
        "MEMBER_STATUS_CHANGED", "MEMBER_ERASED"]
    out = {**change, "status": "opted_out"}
    assert [m.data for m in valid(SourceEvent("member", 3, "LOY_OPT_OUT", out, AT))] == [{"from_status": "active"}]
    merged = {"merge_id": str(uuid.uuid4()), "from_member_id": mid, "from_loyalty_number": "L-1",
              "to_member_id": str(uuid.uuid4()), "to_loyalty_number": "L-2", "reference": "m1"}
    (m,) = valid(SourceEvent("member", 4, "MEMBER_MERGED", merged, AT))
    assert (m.member_id, m.loyalty_number) == (merged["to_member_id"], "L-2")


def test_tier_events_as_the_tier_service_writes_them():
    base = {"member_id": str(uuid.uuid4()), "loyalty_number": "L-1", "slab_code": "main", "from_tier": "silver",
            "to_tier": "gold", "level": 2, "value": "1200", "effective_on": "2026-03-01", "reason": "qualified"}
    for name in ("TIER_UPGRADE", "TIER_DOWNGRADE", "TIER_ANNIVERSARY"):
        assert [m.name for m in valid(SourceEvent("tier", 1, name, base, AT))] == [name]
    close = {**base, "next_tier": "platinum", "needed": "300"}
    (m,) = valid(SourceEvent("tier", 2, "CLOSE_TO_TIER_UPGRADE", close, AT))
    assert m.data["next_tier"] == "platinum"
    override = {k: v for k, v in base.items() if k != "value"}  # members.set_override writes no value
    assert valid(SourceEvent("tier", 3, "TIER_UPGRADE", override, AT))


def test_internal_signals_become_nothing_and_an_unknown_source_is_refused():
    assert map_event(SourceEvent("member", 1, "SOMETHING_INTERNAL", {}, AT)) == []
    with pytest.raises(DomainError, match="source"):
        map_event(SourceEvent("nowhere", 1, "LOY_OPT_IN", {}, AT))
