"""Partners, segments and rate cards: validation, clear errors, tenancy."""

import pytest

from services.billing import partners, rate_cards
from services.billing.tests.helpers import add_card, add_partner, new_program
from services.common.errors import DomainError, ErrorCode


async def refused(call) -> DomainError:
    with pytest.raises(DomainError) as err:
        await call
    return err.value


async def test_partner_with_contacts_locations_and_segment(pools):
    pool = pools["billing"]
    program_id = await new_program(pool)
    await partners.create_segment(pool, program_id, segment_code="FUEL", name="Fuel")
    created = await add_partner(pool, program_id, "SHELL", segment="FUEL", locations=("S-1", "S-2"))
    assert created["segment_code"] == "FUEL" and [loc["code"] for loc in created["locations"]] == ["S-1", "S-2"]
    assert created["contacts"][0]["email"] == "billing@shell.example"

    updated = await partners.update(pool, program_id, partner_code="SHELL", fields=["status", "locations"], name="",
                                    status="SUSPENDED", segment_code="", contacts=[],
                                    locations=[partners.Location(code="S-3", name="Highway")])
    assert updated["status"] == "SUSPENDED" and updated["name"] == "Partner SHELL"
    assert [loc["code"] for loc in updated["locations"]] == ["S-3"]
    assert [p["code"] for p in await partners.list_partners(pool, program_id, status="SUSPENDED")] == ["SHELL"]
    segments = await partners.list_segments(pool, program_id)
    assert [(s["code"], list(s["partner_codes"])) for s in segments] == [("FUEL", ["SHELL"])]


async def test_bad_partner_input(pools):
    pool = pools["billing"]
    program_id = await new_program(pool)
    await add_partner(pool, program_id, "A", locations=("L-1",))
    err = await refused(add_partner(pool, program_id, "A"))
    assert err.code == ErrorCode.DUPLICATE_PARTNER
    err = await refused(add_partner(pool, program_id, "B", locations=("L-1",)))
    assert err.code == ErrorCode.INVALID_INPUT and err.field == "locations[0].code" and "'A'" in err.message
    err = await refused(add_partner(pool, program_id, "bad code!"))
    assert err.field == "code"
    err = await refused(partners.create(pool, program_id, partner_code="C", name="C", segment_code="",
                                        contacts=[partners.Contact(name="x", email="not-an-email")], locations=[]))
    assert err.field == "contacts[0].email"
    err = await refused(add_partner(pool, program_id, "D", segment="NOPE"))
    assert err.code == ErrorCode.NOT_FOUND and err.field == "segmentCode"
    err = await refused(partners.update(pool, program_id, partner_code="A", fields=["status"], name="", status="GONE",
                                        segment_code="", contacts=[], locations=[]))
    assert err.field == "status"
    err = await refused(partners.get(pool, program_id, "ZZZ"))
    assert err.code == ErrorCode.NOT_FOUND


async def test_rate_card_errors_are_clear(pools):
    pool = pools["billing"]
    program_id = await new_program(pool)
    await add_partner(pool, program_id, "A")
    await add_card(pool, program_id, partner="A", valid_from="2026-01-01", valid_to="2026-06-30")

    # overlapping dates for the same partner and campaign
    err = await refused(add_card(pool, program_id, partner="A", valid_from="2026-06-30"))
    assert err.code == ErrorCode.RATE_CARD_OVERLAP and "2026-01-01..2026-06-30" in err.message
    # the day after is fine, and so is a campaign card over the same dates
    await add_card(pool, program_id, partner="A", valid_from="2026-07-01")
    await add_card(pool, program_id, partner="A", campaign="SPRING", valid_from="2026-03-01", valid_to="2026-05-31")
    # unknown partner
    err = await refused(add_card(pool, program_id, partner="NOPE"))
    assert err.code == ErrorCode.NOT_FOUND and err.field == "partnerCode"
    # negative and malformed rates, bad dates and currency
    for kwargs, field in [({"issue": "-0.01"}, "issueRate"), ({"redeem": "-1"}, "redeemRate"),
                          ({"issue": "abc"}, "issueRate"), ({"issue": "0.0000001"}, "issueRate"),
                          ({"valid_from": "2027-02-30"}, "validFrom"),
                          ({"valid_from": "2027-02-01", "valid_to": "2027-01-01"}, "validTo"),
                          ({"currency": "EURO"}, "currency")]:
        err = await refused(add_card(pool, program_id, partner="A", **{"valid_from": "2030-01-01", **kwargs}))
        assert err.code == ErrorCode.INVALID_INPUT and err.field == field, (kwargs, err)
    err = await refused(rate_cards.create(pool, program_id, partner_code="A", segment_code="S", campaign_code="",
                                          valid_from="2030-01-01", valid_to="", issue_rate="1", redeem_rate="1",
                                          currency="EUR"))
    assert err.field == "partnerCode"
    assert len(await rate_cards.list_cards(pool, program_id, partner_code="A")) == 3


async def test_programs_do_not_see_each_others_partners(pools):
    pool = pools["billing"]
    mine, theirs = await new_program(pool), await new_program(pool)
    await add_partner(pool, mine, "A")
    assert await partners.list_partners(pool, theirs) == []
    err = await refused(partners.get(pool, theirs, "A"))
    assert err.code == ErrorCode.NOT_FOUND
    # the same code may be assigned to the other program as its own record
    await add_partner(pool, theirs, "A")
