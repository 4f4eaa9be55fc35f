"""ConsumeLedgerEvents, the contract the points service delivers to: at least once, deduped by
event_id; voids subtract from the voided earn's day; imported history counts with its dates."""

import datetime as dt
import json
import uuid

import pytest

from loyalty.common.v1 import events_pb2
from loyalty.tier.v1 import tier_service_pb2 as pb
from services.common.errors import DomainError
from services.tier.tests.conftest import Member, earn, restaurant_slab, void

D = dt.date


async def activity(admin_conn, program, member) -> list[tuple]:
    rows = await admin_conn.fetch(
        "SELECT day, points, spend, transactions FROM tier.activity WHERE program_id = $1 AND member_id = $2"
        " ORDER BY day", uuid.UUID(program.program_id), uuid.UUID(member.id))
    return [(r["day"], r["points"], format(r["spend"].normalize(), "f"), r["transactions"]) for r in rows]


async def test_redelivered_events_count_once(program, admin_conn):
    await program.define(restaurant_slab())
    guest = Member()
    first = earn(program, guest, 8_000, D(2025, 3, 1), amount="80.00")
    # when the same events are delivered twice, and once more inside one batch
    assert await program.consume(first) == 1
    assert await program.consume(first, first) == 2
    # then they count once
    assert await activity(admin_conn, program, guest) == [(D(2025, 3, 1), 8_000, "80", 1)]
    second = earn(program, guest, 8_000, D(2025, 3, 2))
    await program.consume(second)
    await program.consume(second)
    assert await program.tiers(guest.number) == {"status": "SUPERKING"}
    assert len(await program.history(guest.number)) == 1


async def test_voids_subtract_from_the_voided_earns_day(program, admin_conn):
    await program.define(restaurant_slab())
    guest = Member()
    big = earn(program, guest, 10_000, D(2025, 1, 10), amount="100.00")
    await program.consume(big, earn(program, guest, 2_000, D(2025, 2, 1)))
    # a partial void in April of January's earn, then the rest
    await program.consume(void(program, guest, big, 4_000, D(2025, 4, 1)))
    assert (await activity(admin_conn, program, guest))[0] == (D(2025, 1, 10), 6_000, "60", 1)
    await program.consume(void(program, guest, big, 6_000, D(2025, 4, 2)))
    assert (await activity(admin_conn, program, guest))[0] == (D(2025, 1, 10), 0, "0", 0)
    # and a void of something that never qualified changes nothing
    await program.consume(void(program, guest, earn(program, guest, 1, D(2025, 1, 1), kind="GOODWILL"), 5, D(2025, 4, 3)))
    assert await activity(admin_conn, program, guest) == [(D(2025, 1, 10), 0, "0", 0), (D(2025, 2, 1), 2_000, "2000", 1)]
    # so 13,000 more in June is not enough for Superking
    await program.consume(earn(program, guest, 12_999, D(2025, 6, 1)))
    assert await program.tiers(guest.number) == {"status": "KING"}


async def test_imported_history_counts_on_its_dates_and_other_postings_do_not(program, admin_conn):
    await program.define(restaurant_slab())
    guest = Member()
    base = dict(program_id=program.program_id, member_id=guest.id, loyalty_number=guest.number, currency="EUR")
    others = [events_pb2.LedgerEvent(event_id=uuid.uuid4().hex, event_type=t, transaction_kind=k, points=p,
                                     occurred_at="2025-05-02T10:00:00+00:00", **base)
              for t, k, p in [("LOY_POINT_REDEMPTION", "BURN", -500), ("LOY_POINT_ACCRUAL", "GOODWILL", 9_000),
                              ("LOY_POINT_ACCRUAL", "ADJUST", 9_000), ("LOY_POINT_EXPIRY", "EXPIRE", -10)]]
    await program.consume(earn(program, guest, 7_000, D(2025, 1, 5), imported=True), *others)
    assert await activity(admin_conn, program, guest) == [(D(2025, 1, 5), 7_000, "7000", 1)]
    await program.consume(earn(program, guest, 8_000, D(2025, 5, 1)))
    assert await program.tiers(guest.number) == {"status": "SUPERKING"}


async def test_local_day_is_the_programs_time_zone(program, admin_conn):
    # Europe/Madrid: 23:30 UTC on 31 January is 1 February there
    await program.define(restaurant_slab())
    guest = Member()
    late = earn(program, guest, 100, D(2025, 1, 31))
    late.occurred_at = "2025-01-31T23:30:00+00:00"
    await program.consume(late)
    assert (await activity(admin_conn, program, guest))[0][0] == D(2025, 2, 1)


async def test_events_of_another_program_are_refused(program, tier_stub):
    guest = Member()
    stranger = earn(program, guest, 100, D(2025, 1, 1))
    stranger.program_id = str(uuid.uuid4())
    with pytest.raises(DomainError) as caught:
        await program.consume(stranger)
    assert (caught.value.code.value, caught.value.field) == ("INVALID_INPUT", "events[0].program_id")
    with pytest.raises(DomainError) as caught:
        await program.consume(events_pb2.LedgerEvent(event_id="x", occurred_at="yesterday"))
    assert caught.value.field == "events[0].occurred_at"


async def test_tenants_do_not_see_each_others_members(program, tier_stub, admin_conn):
    from services.tier.tests.conftest import TierClient
    from tests.fixtures.postgres import program_spec
    from loyalty.common.v1 import program_pb2
    from services.common.clients import call

    await program.define(restaurant_slab())
    guest = Member()
    await program.consume(earn(program, guest, 20_000, D(2025, 3, 1)))
    spec = program_spec()
    await call(tier_stub.ProvisionProgram(program_pb2.ProvisionProgramRequest(spec=spec), timeout=10))
    other = TierClient(tier_stub, spec.id)
    await other.define(restaurant_slab())
    # the other program sees no such member: base tier, no history, no progress
    assert await other.tiers(guest.number) == {"status": "KING"}
    by_id = await other.rpc("GetMemberTiers", pb.GetMemberTiersRequest(member_id=guest.id))
    assert by_id.tiers[0].tier_code == "KING"
    assert await other.history(guest.number) == []


async def test_unknown_members_are_in_the_base_tier(program):
    await program.define(restaurant_slab())
    reply = await program.rpc("GetMemberTiers", pb.GetMemberTiersRequest(loyalty_number="99999999999"))
    assert [(t.tier_code, t.level, t.earn_multiplier, t.achieved_at) for t in reply.tiers] == [("KING", 0, "1", "")]


async def test_spend_and_transaction_slabs_and_close_to_upgrade(program, admin_conn):
    # given two more slabs: spend within 30 days, and visits within 3 months
    await program.define(restaurant_slab())
    await program.define(restaurant_slab(code="spend", metric="spend", window_length=30, window_unit="day",
                                         close_to_upgrade_percent=80, tiers=[
        pb.Tier(code="GUEST", name="Guest"), pb.Tier(code="BIG", name="Big spender", threshold="500", validity_months=1)]))
    await program.define(restaurant_slab(code="visits", metric="transactions", window_length=3, tiers=[
        pb.Tier(code="NEW", name="New"), pb.Tier(code="REGULAR", name="Regular", threshold="3", validity_months=3)]))
    guest = Member()
    await program.consume(earn(program, guest, 100, D(2025, 3, 1), amount="300.00"))
    await program.consume(earn(program, guest, 10, D(2025, 3, 2), amount="120.00"))
    # then 420 of 500 (84%) is close to Big spender: one CLOSE_TO_TIER_UPGRADE, not two
    events = await admin_conn.fetch("SELECT event_type, payload FROM tier.outbox WHERE program_id = $1 ORDER BY id",
                                    uuid.UUID(program.program_id))
    close = [json.loads(e["payload"]) for e in events if e["event_type"] == "CLOSE_TO_TIER_UPGRADE"]
    assert [(c["slab_code"], c["next_tier"], c["needed"]) for c in close] == [("spend", "BIG", "80.0000")]
    progress = await program.rpc("GetProgress", pb.GetProgressRequest(loyalty_number=guest.number, as_of="2025-03-02"))
    spend = next(p for p in progress.slabs if p.slab_code == "spend")
    assert (spend.current_value, spend.next_tier_code, spend.needed, spend.close_to_upgrade) == ("420", "BIG", "80", True)
    assert (spend.window_from, spend.window_to) == ("2025-02-01", "2025-03-02")
    await program.consume(earn(program, guest, 10, D(2025, 3, 20), amount="90.00"))
    assert await program.tiers(guest.number) == {"status": "KING", "spend": "BIG", "visits": "REGULAR"}
    # and the progress of a Superking shows what keeps the tier
    status = next(p for p in (await program.rpc("GetProgress", pb.GetProgressRequest(
        loyalty_number=guest.number, as_of="2025-03-20"))).slabs if p.slab_code == "visits")
    assert (status.tier_code, status.achieved_on, status.lapses_on, status.retention_needed) == (
        "REGULAR", "2025-03-20", "2025-06-20", "0")


async def test_reports_count_members_spend_and_changes(program):
    await program.define(restaurant_slab())
    a, b, c = Member(), Member(), Member()
    await program.consume(earn(program, a, 16_000, D(2025, 1, 5), amount="160"),
                          earn(program, b, 200, D(2025, 1, 6), amount="2"),
                          earn(program, c, 15_000, D(2025, 2, 7), amount="150"))
    await program.evaluate(D(2025, 7, 5))  # a lapses and is downgraded
    report = await program.rpc("GetReport", pb.GetReportRequest(slab_code="status", **{"from": "2025-01-01"},
                                                                to="2025-12-31"))
    assert [(t.tier_code, t.members, t.spend) for t in report.tiers] == [("KING", 2, "162"), ("SUPERKING", 1, "150")]
    assert [(p.period, p.upgrades, p.downgrades) for p in report.periods] == [
        ("2025-01", 1, 0), ("2025-02", 1, 0), ("2025-07", 0, 1)]
