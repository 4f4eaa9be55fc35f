"""Breakage and liability from events, attributed to the partners that funded the points (FIFO lots)."""

from decimal import Decimal

import pytest

from services.billing import programs, reports
from services.billing.tests.helpers import add_card, add_partner, event, feed, local, new_program, void_of
from services.common.errors import DomainError


def rows(found, *fields):
    return [tuple(r[f] if not hasattr(r[f], "strftime") else r[f].strftime("%Y-%m") for f in fields) for r in found]


async def test_breakage_goes_to_the_partner_whose_points_expired(pools):
    # given points expire 30 days after earning; A funded 100 on 1 Jan, B 50 on 5 Jan
    pool = pools["billing"]
    program_id = await new_program(pool, expiry_days=30)
    for code, rate in (("A", "0.01"), ("B", "0.02")):
        await add_partner(pool, program_id, code)
        await add_card(pool, program_id, partner=code, issue=rate)
    earn_a = event(kind="EARN", points=100, at=local(2026, 1, 1), partner="A")
    earn_b = event(kind="EARN", points=50, at=local(2026, 1, 5), partner="B")
    burn = event(kind="BURN", points=-120, at=local(2026, 1, 20), partner="A")
    # when 120 are redeemed (A's lot first: it expires first), then voided and redeemed again, then 30 expire
    await feed(pool, program_id, [earn_a, earn_b, burn, void_of(burn, local(2026, 1, 21)),
                                  event(kind="BURN", points=-120, at=local(2026, 1, 22), partner="A"),
                                  event(kind="EXPIRE", points=-30, at=local(2026, 2, 5, 0, 5))])

    # then the 30 expired points were B's, in February, at B's rate
    found = await reports.breakage(pool, program_id)
    assert rows(found, "period", "partner_code", "points", "value") == [("2026-02", "B", 30, Decimal("0.6"))]
    assert await reports.breakage(pool, program_id, from_period="2026-03") == []
    assert await reports.breakage(pool, program_id, partner_code="A") == []


async def test_liability_by_expiry_month_at_the_point_value(pools):
    # given 180 days, rounded to the month's end; a point is worth 0.005 EUR
    pool = pools["billing"]
    program_id = await new_program(pool, expiry_days=180, round_to_month_end=True)
    await add_partner(pool, program_id, "A")
    await programs.set_point_value(pool, program_id, point_value="0.005", currency="EUR")
    await feed(pool, program_id, [
        event(kind="EARN", points=1000, at=local(2026, 1, 10), partner="A", member="m1"),
        event(kind="EARN", points=200, at=local(2026, 3, 10), member="m1"),
        event(kind="BURN", points=-300, at=local(2026, 3, 11), partner="A", member="m1"),
        event(kind="EARN", points=40, at=local(2026, 3, 12), partner="A", member="m2"),
    ])
    # when the liability is reported
    found, point_value, currency = await reports.liability(pool, program_id)
    # then 10 Jan + 180 days = 9 Jul (July's end), 10/12 Mar + 180 = September
    assert rows(found, "expiry_period", "partner_code", "points") == [
        ("2026-07", "A", 700), ("2026-09", "", 200), ("2026-09", "A", 40)]
    assert point_value == Decimal("0.005") and currency == "EUR"
    filtered, _, _ = await reports.liability(pool, program_id, from_period="2026-08", to_period="2026-12")
    assert sum(r["points"] for r in filtered) == 240
    with pytest.raises(DomainError) as err:
        await reports.liability(pool, program_id, from_period="2026-08", to_period="2026-01")
    assert err.value.field == "toPeriod"


async def test_a_transfer_keeps_the_funding_partner_of_the_points_it_moves(pools):
    # given m1 earned 100 at A; points expire after 30 days
    pool = pools["billing"]
    program_id = await new_program(pool, expiry_days=30)
    await add_partner(pool, program_id, "A")
    await add_card(pool, program_id, partner="A", issue="0.01")
    await feed(pool, program_id, [event(kind="EARN", points=100, at=local(2026, 1, 1), partner="A", member="m1")])

    # when m1 transfers 60 to m2 (a debit and a credit in one transaction) and m2's points expire
    transfer = "t-" + "1" * 8
    await feed(pool, program_id, [
        event(kind="TRANSFER", points=-60, at=local(2026, 1, 5), member="m1", transaction_id=transfer),
        event(kind="TRANSFER", points=60, at=local(2026, 1, 5), member="m2", transaction_id=transfer),
        event(kind="EXPIRE", points=-60, at=local(2026, 2, 1, 0, 5), member="m2"),
    ])

    # then the breakage is still A's, and m1's remaining 40 are A's liability
    found = await reports.breakage(pool, program_id)
    assert rows(found, "period", "partner_code", "points", "value") == [("2026-02", "A", 60, Decimal("0.6"))]
    liability, _, _ = await reports.liability(pool, program_id)
    assert rows(liability, "expiry_period", "partner_code", "points") == [("2026-01", "A", 40)]
