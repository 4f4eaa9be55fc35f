"""Bad slab, override and freeze input: clear errors naming the field, nothing half-written."""

import datetime as dt

import pytest

from loyalty.tier.v1 import tier_service_pb2 as pb
from services.common.errors import DomainError
from services.tier.tests.conftest import Member, earn, restaurant_slab


async def refused(program, method, request) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await program.rpc(method, request)
    return caught.value


def tiers(*thresholds: str) -> list[pb.Tier]:
    return [pb.Tier(code="BASE", name="Base")] + [
        pb.Tier(code=f"T{i}", name=f"T{i}", threshold=t, validity_months=6) for i, t in enumerate(thresholds, 1)]


@pytest.mark.parametrize(("slab", "field", "words"), [
    (restaurant_slab(tiers=tiers("15000", "15000")), "slab.tiers[2].threshold", "overlap"),
    (restaurant_slab(tiers=tiers("15000", "9000")), "slab.tiers[2].threshold", "overlap"),
    (restaurant_slab(window_length=0), "slab.windowLength", "window of zero"),
    (restaurant_slab(window_unit="fortnight"), "slab.windowUnit", "fortnight"),
    (restaurant_slab(metric="balance"), "slab.metric", "balance"),
    (restaurant_slab(downgrade="sideways"), "slab.downgrade", "sideways"),
    (restaurant_slab(tiers=tiers()), "slab.tiers", "base tier"),
    (restaurant_slab(tiers=[pb.Tier(code="B", name="B", threshold="10"), *tiers("5")[1:]]), "slab.tiers[0].threshold",
     "base"),
    (restaurant_slab(tiers=[pb.Tier(code="B", name="B"), pb.Tier(code="B", name="again", threshold="5",
                                                                   validity_months=1)]), "slab.tiers[1].code", "twice"),
    (restaurant_slab(tiers=[pb.Tier(code="B", name="B"), pb.Tier(code="S", name="S", threshold="-5",
                                                                   validity_months=1)]), "slab.tiers[1].threshold", ""),
    (restaurant_slab(tiers=[pb.Tier(code="B", name="B"), pb.Tier(code="S", name="S", threshold="100",
                                                                   retention_threshold="200", validity_months=1)]),
     "slab.tiers[1].retentionThreshold", "exceed"),
    (restaurant_slab(tiers=[pb.Tier(code="B", name="B"), pb.Tier(code="S", name="S", threshold="100")]),
     "slab.tiers[1].validityMonths", "months"),
    (restaurant_slab(tiers=[pb.Tier(code="B", name="B"), pb.Tier(code="S", name="S", threshold="1",
                                                                   earn_multiplier="0", validity_months=1)]),
     "slab.tiers[1].earnMultiplier", ""),
])
async def test_bad_slabs_are_refused_with_the_field(program, slab, field, words):
    err = await refused(program, "DefineSlab", pb.DefineSlabRequest(slab=slab))
    assert (err.code.value, err.field) == ("INVALID_INPUT", field)
    assert words in err.message
    assert (await program.rpc("ListSlabs", pb.ListSlabsRequest())).slabs == []


async def test_redefining_a_slab_is_idempotent_and_keeps_held_levels(program):
    three = restaurant_slab(tiers=[*restaurant_slab().tiers, pb.Tier(code="EMPEROR", name="Emperor",
                                                                     threshold="30000", validity_months=6)])
    first = await program.define(three)
    assert await program.define(three) == first
    guest = Member()
    await program.consume(earn(program, guest, 40_000, dt.date(2025, 3, 1)))
    assert await program.tiers(guest.number) == {"status": "EMPEROR"}
    # removing the tier a member holds is refused; the old definition stays
    err = await refused(program, "DefineSlab", pb.DefineSlabRequest(slab=restaurant_slab()))
    assert (err.code.value, err.field) == ("INVALID_INPUT", "slab.tiers")
    assert "level 2" in err.message
    (slab,) = (await program.rpc("ListSlabs", pb.ListSlabsRequest())).slabs
    assert [t.code for t in slab.tiers] == ["KING", "SUPERKING", "EMPEROR"] and slab.tiers[1].threshold == "15000"


async def test_unknown_tier_and_slab_codes_are_clear_errors(program):
    await program.define(restaurant_slab())
    guest = Member()
    err = await refused(program, "SetOverride", pb.SetOverrideRequest(
        loyalty_number=guest.number, member_id=guest.id, slab_code="status", tier_code="EMPEROR", reason="x"))
    assert (err.code.value, err.field) == ("INVALID_INPUT", "tierCode")
    assert "EMPEROR" in err.message and "SUPERKING" in err.message
    err = await refused(program, "SetOverride", pb.SetOverrideRequest(
        loyalty_number=guest.number, member_id=guest.id, slab_code="nope", tier_code="KING", reason="x"))
    assert err.code.value == "NOT_FOUND" and "nope" in err.message
    err = await refused(program, "SetOverride", pb.SetOverrideRequest(
        loyalty_number=guest.number, member_id=guest.id, slab_code="status", tier_code="SUPERKING", reason=""))
    assert err.field == "reason"
    err = await refused(program, "SetOverride", pb.SetOverrideRequest(
        loyalty_number=guest.number, member_id=guest.id, slab_code="status", tier_code="SUPERKING", reason="r",
        as_of="2025-05-01", ends_on="2025-04-01"))
    assert err.field == "endsOn"
    err = await refused(program, "GetReport", pb.GetReportRequest(slab_code="gold", **{"from": "2025-01-01"},
                                                                  to="2025-02-01"))
    assert err.code.value == "NOT_FOUND"
    # nothing was half-written: the guest is unknown and in the base tier
    assert await program.tiers(guest.number) == {"status": "KING"}
    assert await program.history(guest.number) == []


@pytest.mark.parametrize(("starts", "ends", "reason", "field"), [
    ("2025-02-01", "2025-01-01", "r", "endsOn"), ("01/02/2025", "2025-03-01", "r", "startsOn"),
    ("2025-01-01", "2025-03-01", " ", "reason"),
])
async def test_bad_freeze_windows(program, starts, ends, reason, field):
    err = await refused(program, "AddFreezeWindow", pb.AddFreezeWindowRequest(starts_on=starts, ends_on=ends,
                                                                              reason=reason))
    assert (err.code.value, err.field) == ("INVALID_INPUT", field)


async def test_freeze_windows_are_listed_and_removed(program):
    made = await program.rpc("AddFreezeWindow", pb.AddFreezeWindowRequest(
        starts_on="2025-01-01", ends_on="2025-01-31", reason="migration"))
    listed = (await program.rpc("ListFreezeWindows", pb.ListFreezeWindowsRequest())).windows
    assert [(w.id, w.reason, w.created_by) for w in listed] == [(made.id, "migration", "test")]
    await program.rpc("RemoveFreezeWindow", pb.RemoveFreezeWindowRequest(id=made.id))
    assert (await program.rpc("ListFreezeWindows", pb.ListFreezeWindowsRequest())).windows == []
    err = await refused(program, "RemoveFreezeWindow", pb.RemoveFreezeWindowRequest(id=made.id))
    assert err.code.value == "NOT_FOUND"
