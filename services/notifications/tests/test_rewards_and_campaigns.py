"""Rewards' outbox rows (services/rewards/events.py) and the campaign job's window edges become
valid catalogue events; the campaign job stores each edge once however often it runs."""

import datetime as dt
import uuid
from types import SimpleNamespace

import pytest

from services.notifications import campaigns, catalogue, events
from services.notifications.mapping import SourceEvent, map_event

AT = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.timezone.utc)
CLAIM = {"member_id": str(uuid.uuid4()), "loyalty_number": "L1", "claim_id": str(uuid.uuid4()),
         "reward_code": "coffee", "points": 200, "reference": "pos-1", "order_reference": "o-1", "status": "held",
         "reason": ""}


@pytest.mark.parametrize(("event_type", "extra"), [
    ("REWARD_CLAIMED", {}), ("REWARD_SETTLED", {"status": "settled"}),
    ("REWARD_VOIDED", {"status": "voided", "reason": "order cancelled"}), ("VOUCHER_ISSUED", {"voucher_code": "ABCD"}),
])
def test_reward_rows_become_valid_events(event_type, extra):
    [mapped] = map_event(SourceEvent("rewards", 7, event_type, {**CLAIM, **extra}, AT))
    assert mapped.name == event_type and mapped.loyalty_number == "L1"
    assert catalogue.validation_errors(event_type, mapped.data) == []
    assert catalogue.CATALOGUE[event_type].emitted
    if event_type == "VOUCHER_ISSUED":
        assert mapped.data["voucher_id"] == "ABCD" and mapped.data["redemption_id"] == CLAIM["claim_id"]
    else:
        assert (mapped.data["redemption_id"], mapped.data["points"]) == (CLAIM["claim_id"], 200)
    if event_type == "REWARD_VOIDED":
        assert mapped.data["reason"] == "order cancelled"


def campaign(code="spring", starts="2026-12-03T09:00:00Z", ends="2026-12-03T11:00:00Z", archived=False):
    return SimpleNamespace(code=code, name="Spring", starts_at=starts, ends_at=ends, archived=archived)


def test_each_passed_window_edge_is_due_once_with_a_stable_row():
    now, day = AT, dt.timedelta(days=1)
    due = campaigns.due_events([campaign(), campaign("later", starts="2026-12-04T00:00:00Z", ends=""),
                                campaign("old", starts="2026-01-01T00:00:00Z", ends="2026-02-01T00:00:00Z"),
                                campaign("gone", archived=True)], now=now, lookback=day)
    assert [(e.event_type, e.payload["campaign_code"]) for e in due] == [("CAMPAIGN_STARTED", "spring")]
    ended = campaigns.due_events([campaign()], now=AT + dt.timedelta(hours=2), lookback=day)
    assert [e.event_type for e in ended] == ["CAMPAIGN_STARTED", "CAMPAIGN_ENDED"]
    assert ended[0].outbox_id == due[0].outbox_id > 0
    for event in ended:
        [mapped] = map_event(event)
        assert catalogue.validation_errors(mapped.name, mapped.data) == []
    assert map_event(ended[1])[0].occurred_at == dt.datetime(2026, 12, 3, 11, 0, tzinfo=dt.timezone.utc)
    # a window moved later is a new window: its start is news again
    moved = campaigns.due_events([campaign(starts="2026-12-03T09:30:00Z")], now=now, lookback=day)
    assert moved[0].outbox_id != due[0].outbox_id


async def test_the_campaign_job_stores_each_edge_once_across_runs(pools):
    pool, program_id = pools["notifications"], uuid.uuid4()
    found = [campaign()]
    for _ in range(3):
        await campaigns.emit(pool, program_id=program_id, campaigns=found, now=AT + dt.timedelta(hours=1),
                             lookback=dt.timedelta(days=1))
    await campaigns.emit(pool, program_id=program_id, campaigns=found, now=AT + dt.timedelta(hours=3),
                         lookback=dt.timedelta(days=1))
    stored = await events.list_events(pool, program_id=program_id, after_sequence=0, limit=100)
    assert [e.type for e in stored] == ["CAMPAIGN_STARTED", "CAMPAIGN_ENDED"]
    assert stored[0].member_id is None and stored[0].data["campaign_code"] == "spring"
