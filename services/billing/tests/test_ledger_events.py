"""The ConsumeLedgerEvents contract: dedupe, attribution, tenancy, what is and is not billed."""

import uuid
from decimal import Decimal

import pytest

from services.billing import statements
from services.billing.tests.helpers import add_card, add_partner, event, feed, local, new_program, void_of
from services.common.db import tenant_tx
from services.common.errors import DomainError


async def test_attribution_by_partner_or_location_and_what_is_never_billed(pools):
    # given partner A with a location and a card
    pool = pools["billing"]
    program_id = await new_program(pool)
    await add_partner(pool, program_id, "A", locations=("A-1",))
    await add_card(pool, program_id, partner="A", issue="0.01")
    activated = event(kind="ACTIVATE", points=30, at=local(2026, 4, 4), partner="A")
    imported = event(kind="EARN", points=999, at=local(2026, 4, 5), partner="A")
    imported.imported = True
    earn = event(kind="EARN", points=100, at=local(2026, 4, 6), location="A-1", amount="50.00")

    # when a pending earn's activation, an imported earn, an earn at A's location, goodwill at A,
    # a partial void and an earn at an unknown partner arrive
    await feed(pool, program_id, [
        activated, imported, earn, event(kind="GOODWILL", points=50, at=local(2026, 4, 7), partner="A"),
        event(kind="VOID", points=-40, at=local(2026, 4, 8), voided=earn.transaction_id,
              voided_at=local(2026, 4, 6)),
        event(kind="EARN", points=7, at=local(2026, 4, 9), partner="ZZ"),
    ])

    # then A is billed for the activation, the location earn and the partial void, nothing else
    a = await statements.get(pool, program_id, partner_code="A", period="2026-04", include_lines=True)
    assert [(x["kind"], x["points"], x["value"], x["purchase_amount"]) for x in a.lines] == [
        ("ISSUE", 30, Decimal("0.300000"), 0), ("ISSUE", 100, Decimal("1.000000"), Decimal("50.0000")),
        ("VOID_ISSUE", -40, Decimal("-0.400000"), Decimal("-20.0000"))]
    # and an unknown partner's points still tie out, unpriced, under its code
    zz = await statements.get(pool, program_id, partner_code="ZZ", period="2026-04", include_lines=False)
    assert zz.totals["issued_points"] == 7 and zz.totals["net_value"] == 0


async def test_redelivery_and_duplicates_in_a_batch_apply_once(pools):
    pool = pools["billing"]
    program_id = await new_program(pool)
    await add_partner(pool, program_id, "A")
    e = event(kind="EARN", points=10, at=local(2026, 4, 1), partner="A")
    assert await feed(pool, program_id, [e, e, void_of(e, local(2026, 4, 2))]) == 2
    assert await feed(pool, program_id, [e]) == 0
    a = await statements.get(pool, program_id, partner_code="A", period="2026-04", include_lines=False)
    assert a.totals["line_count"] == 2 and a.totals["issued_points"] == 0


async def test_events_stay_in_their_program(pools):
    pool = pools["billing"]
    mine, theirs = await new_program(pool), await new_program(pool)
    await add_partner(pool, mine, "A")
    await add_partner(pool, theirs, "A")
    e = event(kind="EARN", points=10, at=local(2026, 4, 1), partner="A")
    e.program_id = str(mine)
    with pytest.raises(DomainError) as err:
        await feed(pool, theirs, [e])  # the metadata names another program than the event
    assert err.value.field == "events[0].program_id"
    await feed(pool, mine, [e])
    assert (await statements.get(pool, theirs, partner_code="A", period="2026-04", include_lines=False)).totals is None
    with pytest.raises(DomainError):
        await feed(pool, uuid.uuid4(), [event(kind="EARN", points=1, at=local(2026, 4, 1))])  # not provisioned
    with pytest.raises(DomainError) as err:
        await feed(pool, mine, [event(kind="EARN", points=1, at=local(2026, 4, 1)).__class__(event_id="x")])
    assert err.value.field == "events[0].occurred_at"


async def lots_and_breakage(pool, program_id) -> tuple[list, list]:
    async with tenant_tx(pool, program_id) as conn:
        lots = await conn.fetch("SELECT member_id, transaction_id, partner_code, issue_rate, expires_at, points,"
                                " remaining FROM member_lots ORDER BY id")
        breakage = await conn.fetch("SELECT b.partner_code, b.points, b.value, l.transaction_id FROM breakage b"
                                    " JOIN member_lots l ON l.id = b.lot_id ORDER BY b.id")
    return [tuple(r) for r in lots], [tuple(r) for r in breakage]


async def test_one_delivery_of_many_events_keeps_the_lots_one_event_at_a_time_would(pools):
    """A batch's new lots are written together, before anything in it reads lots: its burns, voids
    and expiries must draw exactly what they would have drawn event by event."""
    pool = pools["billing"]
    one_by_one, batched = await new_program(pool, expiry_days=30), await new_program(pool, expiry_days=30)
    for program_id in (one_by_one, batched):
        for code in ("A", "B"):
            await add_partner(pool, program_id, code)
            await add_card(pool, program_id, partner=code, issue="0.01" if code == "A" else "0.02")
    first = event(kind="EARN", points=100, at=local(2026, 4, 1), partner="A")
    second = event(kind="EARN", points=50, at=local(2026, 4, 2), partner="B")
    other = event(kind="EARN", points=70, at=local(2026, 4, 2), partner="B", member="m2")
    burn = event(kind="BURN", points=-120, at=local(2026, 4, 3))  # all of the first lot, 20 of the second
    events = [first, other, second, burn, void_of(burn, local(2026, 4, 4)), void_of(second, local(2026, 4, 5)),
              event(kind="EARN", points=30, at=local(2026, 4, 6), partner="A"),
              event(kind="BURN", points=-10, at=local(2026, 4, 6)),
              event(kind="EXPIRE", points=-90, at=local(2026, 5, 2)),  # what is left of the first lot
              event(kind="EXPIRE", points=-70, at=local(2026, 5, 3), member="m2")]
    for e in events:
        e.program_id = ""
        assert await feed(pool, one_by_one, [e]) == 1
    assert await feed(pool, batched, events) == len(events)

    lots, breakage = await lots_and_breakage(pool, one_by_one)
    assert [(lot[0], lot[2], lot[5], lot[6]) for lot in lots] == [
        ("m1", "A", 100, 0), ("m2", "B", 70, 0), ("m1", "B", 50, 0), ("m1", "A", 30, 30)]
    assert [(b[0], b[1]) for b in breakage] == [("A", 90), ("B", 70)]
    assert await lots_and_breakage(pool, batched) == (lots, breakage)
