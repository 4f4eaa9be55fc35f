"""Bad input and refusals: each a clear code naming the field, and nothing written."""

import datetime as dt
import uuid

import pytest

from services.common.errors import DomainError
from services.points.tests.helpers import Ledger, check_invariants


async def _written(admin_conn, program_id: uuid.UUID) -> tuple[int, int, int]:
    return tuple(await admin_conn.fetchrow(
        "SELECT (SELECT count(*) FROM points.transactions WHERE program_id = $1),"
        " (SELECT count(*) FROM points.idempotency_keys WHERE program_id = $1),"
        " (SELECT count(*) FROM points.outbox WHERE program_id = $1)", program_id))


async def _refused(coro) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await coro
    return caught.value


@pytest.fixture
async def funded(pools):
    ledger = await Ledger.new(pools["points"])
    a, b = await ledger.member(), await ledger.member()
    await ledger.earn(a, "100", "seed-a", order_reference="order-a")
    await ledger.earn(b, "100", "seed-b")
    return ledger, a, b


@pytest.mark.parametrize("points", [0, -5])
async def test_zero_or_negative_points(funded, admin_conn, points):
    ledger, a, b = funded
    before = await _written(admin_conn, ledger.program_id)
    for attempt in (ledger.burn(a, points, "x"), ledger.hold(a, points, "x"), ledger.goodwill(a, points, "x"),
                    ledger.transfer(a, b, points, "x")):
        err = await _refused(attempt)
        assert (err.code.value, err.field) == ("INVALID_INPUT", "points")
    assert (await _refused(ledger.adjust(a, 0, "x"))).field == "points"
    assert await _written(admin_conn, ledger.program_id) == before


async def test_unknown_member_and_reference(funded, admin_conn):
    ledger, a, _ = funded
    before = await _written(admin_conn, ledger.program_id)
    assert (await _refused(ledger.burn("999999999999", 5, "x"))).code.value == "NOT_FOUND"
    err = await _refused(ledger.void("no-such-reference", "x"))
    assert (err.code.value, err.field) == ("NOT_FOUND", "targetReference")
    assert (await _refused(ledger.capture("no-such-hold", "x"))).code.value == "NOT_FOUND"
    assert (await _refused(ledger.activate("no-such-earn", "x"))).code.value == "NOT_FOUND"
    assert await _written(admin_conn, ledger.program_id) == before


async def test_void_of_another_members_or_programs_transaction(funded, pools, admin_conn):
    ledger, a, b = funded
    other = await Ledger.new(pools["points"])
    c = await other.member()
    before = await _written(admin_conn, ledger.program_id)
    # a's earn, voided on behalf of b: not found for b
    err = await _refused(ledger.void("seed-a", "x", loyalty_number=b))
    assert (err.code.value, err.field) == ("NOT_FOUND", "targetReference")
    # another program cannot see this program's transactions or members at all
    assert (await _refused(other.void("seed-a", "x"))).code.value == "NOT_FOUND"
    assert (await _refused(other.burn(a, 5, "x"))).code.value == "NOT_FOUND"
    assert (await _refused(ledger.transfer(a, c, 5, "x"))).code.value == "NOT_FOUND"
    assert await _written(admin_conn, ledger.program_id) == before
    assert await ledger.available(a) == 100


async def test_voids_refused(funded, admin_conn):
    ledger, a, _ = funded
    await ledger.void("seed-a", "v1", points=40)
    err = await _refused(ledger.void("seed-a", "v2", points=61))
    assert (err.code.value, err.field) == ("INVALID_INPUT", "points")
    assert (await _refused(ledger.void("v1", "v3"))).code.value == "NOT_VOIDABLE"
    await ledger.void("seed-a", "v4")
    assert (await _refused(ledger.void("seed-a", "v5"))).code.value == "ALREADY_VOIDED"
    assert await ledger.available(a) == 0
    await check_invariants(admin_conn, ledger.program_id)


async def test_blocked_and_merged_members_cannot_earn_or_burn(funded, admin_conn):
    ledger, a, b = funded
    await ledger.set_status(a, "suspended")
    assert (await _refused(ledger.burn(a, 5, "x"))).code.value == "MEMBER_BLOCKED"
    assert (await _refused(ledger.earn(a, "5", "x"))).code.value == "MEMBER_BLOCKED"
    await ledger.set_status(a, "active")
    # when b merges into a, b's points move and b can no longer earn or burn
    await ledger.merge(b, a, "m1")
    assert await ledger.available(a) == 200
    assert (await _refused(ledger.earn(b, "5", "x"))).code.value == "MEMBER_BLOCKED"
    assert (await _refused(ledger.burn(b, 5, "x"))).code.value == "MEMBER_BLOCKED"
    # the merge is idempotent by reference and shows in both histories
    again = await ledger.merge(b, a, "m1")
    assert again.points == -100
    assert [t.points for t in (await ledger.history(a, kinds=["MERGE"])).transactions] == [100]
    assert [t.points for t in (await ledger.history(b, kinds=["MERGE"])).transactions] == [-100]
    await check_invariants(admin_conn, ledger.program_id)


async def test_merge_keeps_expiry_dates_and_traces_every_lot(pools, admin_conn):
    from loyalty.common.v1 import program_pb2

    ledger = await Ledger.new(pools["points"], expiry=program_pb2.ExpiryPolicy(days=60))
    a, b = await ledger.member(), await ledger.member()
    await ledger.earn(b, "30", "e1", occurred_at=(dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=10)).isoformat())
    await ledger.earn(b, "20", "e2")
    await ledger.earn(b, "5", "p1", pending=True)
    await ledger.hold(b, 10, "h1")
    before = (await ledger.summary(b)).next_expiry_date
    await ledger.merge(b, a, "m1")
    s = await ledger.summary(a)
    assert (s.available, s.pending, s.on_hold, s.next_expiry_date) == (40, 5, 10, before)
    moved = await admin_conn.fetch(
        "SELECT l.expires_at = s.expires_at AS same, l.points FROM points.lots l"
        " JOIN points.lots s ON s.id = l.source_lot_id WHERE l.program_id = $1", ledger.program_id)
    assert sorted(r["points"] for r in moved) == [20, 20] and all(r["same"] for r in moved)
    # the hold moved with the points: capturing it now redeems a's held points
    await ledger.capture("h1", "c1")
    assert (await ledger.summary(a)).on_hold == 0
    await check_invariants(admin_conn, ledger.program_id)


async def test_adjust_and_goodwill_need_a_reason(funded, admin_conn):
    ledger, a, _ = funded
    assert (await _refused(ledger.adjust(a, 5, "x", reason=""))).field == "reason"
    assert (await _refused(ledger.goodwill(a, 5, "x", reason=" "))).field == "reason"


async def test_same_reference_for_another_operation_conflicts(funded):
    ledger, a, _ = funded
    assert (await _refused(ledger.burn(a, 5, "seed-a"))).code.value == "IDEMPOTENCY_CONFLICT"
    await ledger.burn(a, 5, "b1")
    assert (await _refused(ledger.burn(a, 6, "b1"))).code.value == "IDEMPOTENCY_CONFLICT"


async def test_retro_claim_window_and_once_per_receipt(funded, admin_conn):
    ledger, a, _ = funded
    now = dt.datetime.now(dt.timezone.utc)
    first = await ledger.retro_claim(a, "rcpt-1", "25", (now - dt.timedelta(days=3)).isoformat())
    assert first.points_earned == 25
    # the same claim again returns the first answer; a different claim for that receipt conflicts
    assert await ledger.retro_claim(a, "rcpt-1", "25", (now - dt.timedelta(days=3)).isoformat()) == first
    err = await _refused(ledger.retro_claim(a, "rcpt-1", "26", (now - dt.timedelta(days=3)).isoformat()))
    assert err.code.value == "IDEMPOTENCY_CONFLICT"
    # a receipt the POS already earned on cannot be claimed again
    assert (await _refused(ledger.retro_claim(a, "seed-a", "5", now.isoformat()))).code.value == \
        "IDEMPOTENCY_CONFLICT"
    # past the program's window (30 days by default)
    err = await _refused(ledger.retro_claim(a, "rcpt-2", "25", (now - dt.timedelta(days=31)).isoformat()))
    assert (err.code.value, err.field) == ("RETRO_CLAIM_WINDOW_CLOSED", "purchasedAt")
    assert await ledger.available(a) == 125


async def test_hold_timeout_releases_before_spending(pools, admin_conn):
    ledger = await Ledger.new(pools["points"])
    a = await ledger.member()
    await ledger.earn(a, "50", "e1")
    await ledger.hold(a, 50, "h1", timeout_seconds=1)
    assert (await _refused(ledger.burn(a, 10, "b0"))).code.value == "INSUFFICIENT_POINTS"
    await admin_conn.execute("UPDATE points.holds SET expires_at = now() - interval '1 second'"
                             " WHERE program_id = $1", ledger.program_id)  # time passes
    # an expired hold never blocks spending: the burn releases it first
    assert (await ledger.burn(a, 10, "b1")).new_balance == 40
    assert (await _refused(ledger.capture("h1", "c1"))).code.value == "HOLD_NOT_ACTIVE"
    await check_invariants(admin_conn, ledger.program_id)


async def test_release_holds_job(pools, admin_conn):
    from services.points import jobs

    ledger = await Ledger.new(pools["points"])
    a = await ledger.member()
    await ledger.earn(a, "50", "e1")
    await ledger.hold(a, 20, "h1")
    await admin_conn.execute("UPDATE points.holds SET expires_at = now() - interval '1 second'"
                             " WHERE program_id = $1", ledger.program_id)
    assert await jobs.run_release_holds(pools["points"], programs=[str(ledger.program_id)]) == 1
    s = await ledger.summary(a)
    assert (s.available, s.on_hold) == (50, 0)
    assert await jobs.run_release_holds(pools["points"], programs=[str(ledger.program_id)]) == 0
