"""The restaurant scenario of issue 6: King and Superking (15,000 points within 6 rolling months),
with an injected clock (every date is given)."""

import datetime as dt

from loyalty.tier.v1 import tier_service_pb2 as pb
from services.tier.tests.conftest import Member, earn, restaurant_slab

D = dt.date


async def outbox_events(admin_conn, program) -> list[tuple[str, dict]]:
    rows = await admin_conn.fetch(
        "SELECT event_type, payload FROM tier.outbox WHERE program_id = $1 ORDER BY id", __import__("uuid").UUID(program.program_id)
    )
    return [(r["event_type"], __import__("json").loads(r["payload"])) for r in rows]


async def test_superking_at_the_earn_that_crosses_15000_within_six_months(program, admin_conn):
    # given the restaurant's slab and a guest who earned 10,000 points in January
    await program.define(restaurant_slab())
    guest = Member()
    await program.consume(earn(program, guest, 10_000, D(2025, 1, 10)))
    assert await program.tiers(guest.number) == {"status": "KING"}

    # when the guest earns 5,000 more in June (within 6 rolling months)
    await program.consume(earn(program, guest, 5_000, D(2025, 6, 20)))

    # then the guest is a Superking at once, achieved that day, lapsing 6 months later
    reply = await program.rpc("GetMemberTiers", pb.GetMemberTiersRequest(loyalty_number=guest.number))
    (tier,) = reply.tiers
    assert (tier.tier_code, tier.level, tier.earn_multiplier) == ("SUPERKING", 1, "1.5")
    assert tier.achieved_at.startswith("2025-06-20") and tier.lapses_on == "2025-12-20"
    (change,) = await program.history(guest.number)
    assert (change.change, change.from_tier_code, change.to_tier_code, change.effective_on) == (
        "upgrade", "KING", "SUPERKING", "2025-06-20")
    assert "15000" in change.reason
    types = [t for t, _ in await outbox_events(admin_conn, program)]
    assert types.count("TIER_UPGRADE") == 1


async def test_no_superking_when_the_points_were_earned_seven_months_apart(program):
    # given a guest who earned 10,000 points in January
    await program.define(restaurant_slab())
    guest = Member()
    await program.consume(earn(program, guest, 10_000, D(2025, 1, 10)))
    # when 5,000 more come 7 months later
    await program.consume(earn(program, guest, 5_000, D(2025, 8, 10)))
    # then January's points are out of the window: still King
    assert await program.tiers(guest.number) == {"status": "KING"}
    assert await program.history(guest.number) == []


async def test_a_freeze_window_stops_a_downgrade_that_would_otherwise_happen(program):
    # given a Superking since 2025-06-20 (lapsing 2025-12-20) who earns nothing more
    await program.define(restaurant_slab())
    guest = Member()
    await program.consume(earn(program, guest, 15_000, D(2025, 6, 20)))
    assert await program.tiers(guest.number) == {"status": "SUPERKING"}
    # and a freeze for a migration over the lapse date
    await program.rpc("AddFreezeWindow", pb.AddFreezeWindowRequest(
        starts_on="2025-12-01", ends_on="2026-01-31", reason="POS migration"))

    # when the daily job runs on the lapse date and during the freeze
    for day in (D(2025, 12, 20), D(2026, 1, 31)):
        result = await program.evaluate(day)
        assert result.slabs[0].downgrades == 0
    # then the guest is still a Superking
    assert await program.tiers(guest.number) == {"status": "SUPERKING"}

    # when the freeze is over, the downgrade it held back happens
    result = await program.evaluate(D(2026, 2, 1))
    assert result.slabs[0].downgrades == 1
    assert await program.tiers(guest.number) == {"status": "KING"}
    assert [c.change for c in await program.history(guest.number)] == ["upgrade", "downgrade"]


async def test_a_superking_who_keeps_earning_has_an_anniversary(program, admin_conn):
    await program.define(restaurant_slab())
    guest = Member()
    await program.consume(earn(program, guest, 15_000, D(2025, 6, 20)))
    await program.consume(earn(program, guest, 15_000, D(2025, 11, 1)))
    result = await program.evaluate(D(2025, 12, 20))
    assert (result.slabs[0].anniversaries, result.slabs[0].downgrades) == (1, 0)
    reply = await program.rpc("GetMemberTiers", pb.GetMemberTiersRequest(loyalty_number=guest.number))
    assert (reply.tiers[0].tier_code, reply.tiers[0].lapses_on) == ("SUPERKING", "2026-06-20")
    assert "TIER_ANNIVERSARY" in [t for t, _ in await outbox_events(admin_conn, program)]


async def test_an_override_floor_holds_until_it_expires(program):
    # given a King with little activity
    await program.define(restaurant_slab())
    guest = Member()
    await program.consume(earn(program, guest, 500, D(2025, 6, 1)))
    # when staff make the guest a Superking until 2025-09-01 as a goodwill gesture
    reply = await program.rpc("SetOverride", pb.SetOverrideRequest(
        loyalty_number=guest.number, slab_code="status", tier_code="SUPERKING", reason="complaint goodwill",
        ends_on="2025-09-01", as_of="2025-07-01"))
    assert (reply.tiers[0].tier_code, reply.tiers[0].override_tier_code) == ("SUPERKING", "SUPERKING")

    # then the daily job keeps the floor while it lasts
    await program.evaluate(D(2025, 8, 31))
    assert await program.tiers(guest.number) == {"status": "SUPERKING"}
    # and when it expires, retention decides: not enough points, so back to King
    result = await program.evaluate(D(2025, 9, 1))
    assert result.slabs[0].downgrades == 1
    assert await program.tiers(guest.number) == {"status": "KING"}
    changes = await program.history(guest.number)
    assert [(c.change, c.to_tier_code) for c in changes] == [("override", "SUPERKING"), ("downgrade", "KING")]
    assert "complaint goodwill" in changes[0].reason
