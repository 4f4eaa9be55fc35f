"""Defects found while reshaping the service, each held by a test: a void of an earn whose member
was merged away, and an earn dated further back than the expiry policy."""

import datetime as dt

from loyalty.common.v1 import program_pb2
from services.points.tests.helpers import Ledger, check_invariants

NOW = dt.datetime.now(dt.timezone.utc)


async def test_voiding_an_earn_of_a_member_merged_away_takes_the_points_from_who_holds_them(pools, admin_conn):
    # given a's earns (one pending) and a merged into b, then b into c
    ledger = await Ledger.new(pools["points"])
    a, b, c = await ledger.member(), await ledger.member(), await ledger.member()
    await ledger.earn(a, "100", "e1")
    await ledger.earn(a, "30", "e2")
    await ledger.earn(a, "5", "p1", pending=True)
    await ledger.earn(b, "10", "e3")
    await ledger.merge(a, b, "m1")
    await ledger.merge(b, c, "m2")
    assert (await ledger.summary(c)).available == 140
    # when a's earns are voided, in part and in full
    partial = await ledger.void("e2", "v1", points=10)
    voided = await ledger.void("e1", "v2")
    await ledger.void("p1", "v3")
    # then c, who holds a's points now, gives them back; a's earns show as voided
    assert (partial.points, voided.points) == (-10, -100)
    assert voided.new_balance == (await ledger.summary(c)).available == 30
    assert (await ledger.summary(c)).pending == 0
    statuses = {t.reference: t.status for t in (await ledger.history(a)).transactions}
    assert (statuses["e1"], statuses["e2"], statuses["p1"]) == ("voided", "partially_voided", "voided")
    await check_invariants(admin_conn, ledger.program_id)


async def test_an_earn_dated_past_the_expiry_policy_answers_the_balance_an_enquiry_shows(pools, admin_conn):
    # given a 30-day policy and a member with points
    ledger = await Ledger.new(pools["points"], expiry=program_pb2.ExpiryPolicy(days=30))
    number = await ledger.member()
    await ledger.earn(number, "50", "e1")
    # when a purchase of 40 days ago is earned (its lot is past its date as it is made)
    earned = await ledger.earn(number, "20", "e2", occurred_at=(NOW - dt.timedelta(days=40)).isoformat())
    # then the answer's balance is what the next enquiry shows, and so is the next earn's old balance
    assert (earned.points_earned, earned.old_balance) == (20, 50)
    assert earned.new_balance == (await ledger.summary(number)).available == 50
    again = await ledger.earn(number, "5", "e3")
    assert (again.old_balance, again.new_balance) == (50, 55)
    await check_invariants(admin_conn, ledger.program_id)
