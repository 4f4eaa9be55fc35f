"""The program-wide reads behind the staff console: every member's transactions (newest first, keyset
pages, one program only) and the activity report (earned, used, expired per period, counted as each
member's summary counts them, and what members hold now)."""

import datetime as dt

import pytest

from loyalty.common.v1 import program_pb2
from loyalty.points.v1 import points_service_pb2 as pb
from services.common.errors import DomainError
from services.points import api
from services.points.ledger import commands, summary
from services.points.tests.helpers import Ledger


async def program_page(ledger: Ledger, **kw) -> pb.ListTransactionsResponse:
    request = pb.ListProgramTransactionsRequest(**kw)
    return api.response(pb.ListTransactionsResponse, await summary.program_history(
        ledger.pool, program_id=ledger.program_id, command=api.command(commands.ListProgramTransactions, request)))


async def activity(ledger: Ledger, **kw) -> pb.ActivityReport:
    return api.response(pb.ActivityReport, await summary.activity(
        ledger.pool, program_id=ledger.program_id, command=api.command(commands.GetActivity, pb.GetActivityRequest(**kw))))


async def busy_program(pools, **spec) -> tuple[Ledger, str, str]:
    ledger = await Ledger.new(pools["points"], **spec)
    a, b = await ledger.member(), await ledger.member()
    await ledger.earn(a, "100", "e1")
    await ledger.earn(b, "40", "e2")
    await ledger.burn(a, 30, "b1")
    await ledger.goodwill(b, 5, "g1")
    await ledger.void("e2", "v1", points=10)
    await ledger.transfer(a, b, 20, "t1")
    return ledger, a, b


async def test_every_members_transactions_newest_first_in_pages(pools):
    ledger, a, b = await busy_program(pools)
    other, _, _ = await busy_program(pools)  # another tenant's rows never show

    whole = (await program_page(ledger, page_size=100)).transactions
    assert [t.reference for t in whole] == ["t1", "v1", "g1", "b1", "e2", "e1"]
    assert [t.loyalty_number for t in whole] == [a, b, b, a, b, a]
    assert whole[0].counterparty_loyalty_number == b and whole[0].points == -20

    paged, token = [], ""
    while True:
        page = await program_page(ledger, page_size=4, page_token=token)
        paged += page.transactions
        token = page.next_page_token
        if not token:
            break
    assert [t.id for t in paged] == [t.id for t in whole]

    earns = (await program_page(ledger, kinds=["earn"], page_size=100)).transactions
    assert [(t.reference, t.status) for t in earns] == [("e2", "partially_voided"), ("e1", "posted")]
    future = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).date().isoformat()
    assert (await program_page(ledger, **{"from": future})).transactions == []


async def test_bad_filters_name_the_field(pools):
    ledger = await Ledger.new(pools["points"])
    with pytest.raises(DomainError, match="kinds: unknown kinds"):
        await program_page(ledger, kinds=["SPEND"])
    with pytest.raises(DomainError, match="period: must be day, week or month"):
        await activity(ledger, period="year")
    with pytest.raises(DomainError, match="to: must be after from"):
        await activity(ledger, **{"from": "2026-05-01", "to": "2026-04-01"})


async def test_activity_agrees_with_the_members_summaries(pools, admin_conn):
    ledger, a, b = await busy_program(pools, expiry=program_pb2.ExpiryPolicy(days=45))

    report = await activity(ledger, period="day")
    members = [await ledger.summary(n) for n in (a, b)]
    assert sum(r.points_earned for r in report.rows) == sum(m.lifetime_earned for m in members) == 135
    assert sum(r.points_used for r in report.rows) == sum(m.used for m in members) == 30
    assert sum(r.points_expired for r in report.rows) == 0
    assert sum(r.transactions for r in report.rows) == 6
    assert max(r.active_members for r in report.rows) == 2
    assert report.outstanding_points == sum(m.available for m in members) == 105
    assert report.members_with_points == 2

    # every lot expires in 45 days: none within 30, all within 60 and 90
    held = await admin_conn.fetchval(
        "SELECT sum(remaining) FROM points.lots WHERE program_id = $1 AND remaining > 0", ledger.program_id)
    assert (report.expiring_in_30_days, report.expiring_in_60_days, report.expiring_in_90_days) == (0, held, held)

    by_month = await activity(ledger)
    assert [r.period for r in by_month.rows] == [report.rows[0].period[:7]]
    assert by_month.rows[0].points_earned == 135


async def lots(ledger: Ledger, number: str, **kw) -> pb.ListLotsResponse:
    request = pb.ListLotsRequest(loyalty_number=number, **kw)
    return api.response(pb.ListLotsResponse, await summary.lots(
        ledger.pool, program_id=ledger.program_id, command=api.command(commands.ListLots, request)))


async def test_a_members_lots_open_first_with_what_is_left_and_the_posting_that_made_each(pools):
    ledger, a, b = await busy_program(pools)
    # a: earned 100 (e1), spent 30 then transferred 20 away: one lot, 50 left
    [lot] = (await lots(ledger, a)).lots
    assert (lot.kind, lot.reference, lot.points, lot.remaining) == ("EARN", "e1", 100, 50)
    assert lot.earned_at  # the default spec never expires: expires_at is empty
    # b: e2 partly voided, goodwill g1, and the 20 moved in by t1
    open_lots = (await lots(ledger, b)).lots
    assert sum(x.remaining for x in open_lots) == await ledger.available(b)
    assert {x.reference for x in open_lots} >= {"g1"}
    await ledger.burn(a, 50, "b2")
    assert (await lots(ledger, a)).lots == []
    [spent] = (await lots(ledger, a, include_closed=True)).lots
    assert (spent.reference, spent.remaining) == ("e1", 0)
