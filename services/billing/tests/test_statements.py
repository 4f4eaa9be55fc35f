"""A generated month of ledger events across three partners: statements tie out to the events exactly."""

import asyncio
import collections
import datetime as dt
import random
import zoneinfo
from decimal import Decimal

import asyncpg
import pytest

from services.billing import invoicing, partners, statements
from services.billing.tests.helpers import add_card, add_partner, event, feed, new_program, void_of
from services.common.db import tenant_tx

MADRID = zoneinfo.ZoneInfo("Europe/Madrid")
LOCATIONS = {"A-1": "A", "A-2": "A", "B-1": "B", "C-1": "C"}
RATES = {  # (partner, campaign) -> (issue, redeem); B and C share their segment's card
    ("A", ""): (Decimal("0.010"), Decimal("0.008")),
    ("A", "SPRING"): (Decimal("0.020"), Decimal("0.008")),
    ("B", ""): (Decimal("0.005"), Decimal("0.004")),
    ("C", ""): (Decimal("0.005"), Decimal("0.004")),
}


async def three_partners(pool):
    program_id = await new_program(pool)
    await partners.create_segment(pool, program_id, segment_code="FUEL", name="Fuel stations")
    await add_partner(pool, program_id, "A", locations=("A-1", "A-2"))
    await add_partner(pool, program_id, "B", segment="FUEL", locations=("B-1",))
    await add_partner(pool, program_id, "C", segment="FUEL", locations=("C-1",))
    await add_card(pool, program_id, partner="A", issue="0.010", redeem="0.008")
    await add_card(pool, program_id, partner="A", campaign="SPRING", issue="0.020", redeem="0.008")
    await add_card(pool, program_id, segment="FUEL", issue="0.005", redeem="0.004")
    return program_id


def local(year, month, day, hour=12, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=MADRID)


def random_instant(rng, year, month):
    days = 30 if month in (4, 6) else 31
    return local(year, month, rng.randint(1, days), rng.randint(0, 23), rng.randint(0, 59))


def generate(rng):
    """April and May 2026: earns and burns at three partners, voids crossing the month end."""
    events, april_earns, april_burns, may_earns = [], [], [], []
    for month, count in ((4, 300), (5, 200)):
        for _ in range(count):
            partner = rng.choice("ABC")
            by_location = rng.random() < 0.3
            location = rng.choice([c for c, p in LOCATIONS.items() if p == partner])
            campaign = "SPRING" if partner == "A" and rng.random() < 0.2 else ""
            e = event(kind="EARN", points=rng.randint(1, 500), at=random_instant(rng, 2026, month),
                      member=f"m{rng.randint(1, 30)}", partner="" if by_location else partner, location=location,
                      campaign=campaign, amount=f"{rng.randint(100, 99999) / 100:.2f}")
            events.append(e)
            (april_earns if month == 4 else may_earns).append(e)
        for _ in range(count // 5):
            e = event(kind="BURN", points=-rng.randint(1, 200), at=random_instant(rng, 2026, month),
                      member=f"m{rng.randint(1, 30)}", partner=rng.choice("ABC"))
            events.append(e)
            if month == 4:
                april_burns.append(e)
    # month-end edges: 23:30 on 30 April in Madrid is 21:30 UTC, still April
    edge = event(kind="EARN", points=77, at=local(2026, 4, 30, 23, 30), partner="A", amount="7.70")
    events.append(edge)
    april_earns.append(edge)
    # earns no partner funds: never on a statement
    events += [event(kind="EARN", points=10, at=random_instant(rng, 2026, 4)) for _ in range(20)]
    # voids in May of April business (corrections) and of May business (not)
    for original in rng.sample(april_earns, 30) + rng.sample(april_burns, 10) + rng.sample(may_earns, 10):
        events.append(void_of(original, random_instant(rng, 2026, 5).replace(day=31, hour=10)))
    events.sort(key=lambda e: e.occurred_at)
    return events


def month(instant: str) -> str:
    return dt.datetime.fromisoformat(instant).astimezone(MADRID).strftime("%Y-%m")


def expected_statements(events):
    """Independently of the service: totals per (period, partner) from the generated events."""
    totals = collections.defaultdict(lambda: collections.Counter())
    originals = {}
    for e in events:
        if e.transaction_kind in ("EARN", "BURN"):
            partner = e.partner_code or LOCATIONS.get(e.location_code, "")
            if not partner:
                continue
            issue, redeem = RATES.get((partner, e.campaign_code), RATES[(partner, "")])
            rate = issue if e.transaction_kind == "EARN" else redeem
            originals[e.transaction_id] = (partner, rate, e.transaction_kind, month(e.occurred_at))
            key, kind, correction = (month(e.occurred_at), partner), e.transaction_kind, False
        else:
            if e.voided_transaction_id not in originals:
                continue
            partner, rate, kind, original_month = originals[e.voided_transaction_id]
            key = (month(e.occurred_at), partner)
            correction = original_month != key[0]
        t = totals[key]
        value = e.points * rate
        if kind == "EARN":
            t["issued_points"] += e.points
            t["issued_value"] += value
        else:
            t["redeemed_points"] -= e.points
            t["redeemed_value"] -= value
        if correction:
            t["correction_points"] += e.points
            t["correction_value"] += value
        t["net_value"] += value
        t["line_count"] += 1
    return totals


FIELDS = ("issued_points", "issued_value", "redeemed_points", "redeemed_value", "correction_points",
          "correction_value", "net_value", "line_count")


def as_dict(totals):
    return {f: totals[f] for f in FIELDS}


async def test_statements_tie_out_to_the_ledger_per_partner_and_overall(pools):
    # given three partners (two sharing a segment card, one with a campaign rate) and two months of events
    pool = pools["billing"]
    program_id = await three_partners(pool)
    events = generate(random.Random(10))

    # when the events arrive in batches, each batch delivered twice (at least once)
    for i in range(0, len(events), 97):
        chunk = events[i:i + 97]
        assert await feed(pool, program_id, chunk) == len(chunk)
        assert await feed(pool, program_id, chunk) == 0

    # then every partner's statement equals the generated events exactly, and so does the total
    expected = expected_statements(events)
    grand = collections.Counter()
    for period in ("2026-04", "2026-05"):
        closed, found = await statements.list_for_period(pool, program_id, period=period)
        assert not closed
        assert sorted(s.partner_code for s in found) == ["A", "B", "C"]
        for s in found:
            assert as_dict(s.totals) == as_dict(expected[(period, s.partner_code)]), (period, s.partner_code)
            grand.update({f: s.totals[f] for f in FIELDS})
    overall = collections.Counter()
    for t in expected.values():
        overall.update(as_dict(t))
    assert as_dict(grand) == as_dict(overall)
    # April has no corrections; May's corrections are exactly the voids of April business
    assert all(expected[("2026-04", p)]["correction_points"] == 0 for p in "ABC")
    may_a = await statements.get(pool, program_id, partner_code="A", period="2026-05", include_lines=True)
    corrections = [line for line in may_a.lines if line["correction"]]
    assert corrections and all(line["kind"].startswith("VOID_") for line in corrections)
    assert {line["reference_period"].isoformat() for line in corrections} == {"2026-04-01"}


async def test_a_closed_period_never_changes_and_late_events_land_in_the_next_open_one(pools):
    # given April and May with activity, and April closed
    pool = pools["billing"]
    program_id = await three_partners(pool)
    april_earn = event(kind="EARN", points=100, at=local(2026, 4, 10), partner="A", amount="10.00")
    await feed(pool, program_id, [april_earn, event(kind="EARN", points=40, at=local(2026, 5, 3), partner="B")])
    _, closed_now, issued = await invoicing.close_period(pool, program_id, period="2026-04")
    assert closed_now and [i["partner_code"] for i in issued] == ["A"]
    before = await statements.get(pool, program_id, partner_code="A", period="2026-04", include_lines=True)

    # when a late April earn and a May void of the April earn arrive
    late = event(kind="EARN", points=5, at=local(2026, 4, 29), partner="A", amount="1.00")
    await feed(pool, program_id, [late, void_of(april_earn, local(2026, 5, 2))])

    # then April is as it was, and both land in May as corrections referring to April
    after = await statements.get(pool, program_id, partner_code="A", period="2026-04", include_lines=True)
    assert after.closed and as_dict(after.totals) == as_dict(before.totals) and after.lines == before.lines
    may = await statements.get(pool, program_id, partner_code="A", period="2026-05", include_lines=True)
    assert [(line["kind"], line["points"], line["correction"], line["reference_period"].isoformat())
            for line in may.lines] == [("ISSUE", 5, True, "2026-04-01"), ("VOID_ISSUE", -100, True, "2026-04-01")]
    assert may.totals["issued_points"] == -95 and may.totals["net_value"] == Decimal("-0.95")

    # and once May is closed too, a late April event goes to June
    await invoicing.close_period(pool, program_id, period="2026-05")
    await feed(pool, program_id, [event(kind="EARN", points=3, at=local(2026, 4, 1), partner="C")])
    june = await statements.get(pool, program_id, partner_code="C", period="2026-06", include_lines=True)
    assert [(line["points"], line["correction"]) for line in june.lines] == [(3, True)]
    may_c = await statements.get(pool, program_id, partner_code="C", period="2026-05", include_lines=False)
    assert may_c.totals is None  # C had nothing in May and its closed statement stays empty


async def test_a_statement_line_cannot_be_edited_in_the_database(pools):
    pool = pools["billing"]
    program_id = await three_partners(pool)
    await feed(pool, program_id, [event(kind="EARN", points=1, at=local(2026, 4, 1), partner="A")])
    with pytest.raises(asyncpg.CheckViolationError):
        async with tenant_tx(pool, program_id) as conn:
            await conn.execute("UPDATE billing_lines SET points = 2")


async def test_events_racing_a_close_are_never_lost_nor_slip_into_the_closed_month(pools):
    # given April activity for A
    pool = pools["billing"]
    program_id = await three_partners(pool)
    await feed(pool, program_id, [event(kind="EARN", points=10, at=local(2026, 4, 1), partner="A")])
    late = [[event(kind="EARN", points=i + 1, at=local(2026, 4, 20), partner="A")] for i in range(30)]

    # when thirty late April earns arrive while April is being closed
    results = await asyncio.gather(invoicing.close_period(pool, program_id, period="2026-04"),
                                   *(feed(pool, program_id, batch) for batch in late))

    # then the frozen April statement is exactly the lines left in April, and the rest are May corrections
    assert results[0][1]
    april = await statements.get(pool, program_id, partner_code="A", period="2026-04", include_lines=True)
    may = await statements.get(pool, program_id, partner_code="A", period="2026-05", include_lines=True)
    assert april.totals["issued_points"] == sum(line["points"] for line in april.lines)
    assert april.totals["line_count"] == len(april.lines)
    assert all(line["correction"] for line in may.lines)
    assert april.totals["issued_points"] + (may.totals["issued_points"] if may.totals else 0) == 10 + sum(
        range(1, 31))
