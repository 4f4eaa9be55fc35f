"""Expiry: dates from the program's policy (month ends, 29 February, the program's time zone) and
the expiry job with an injected clock (idempotent, resumable, a lot partly spent before it expires)."""

import datetime as dt

import pytest

from loyalty.common.v1 import program_pb2
from services.common.db import tenant_tx
from services.points import jobs
from services.points.ledger import repository
from services.points.ledger.expiry import lot_expiry
from services.points.tests.helpers import Ledger, check_invariants

UTC = dt.timezone.utc


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(("earned", "days", "month_end", "zone", "expires"), [
    # N days later, the whole last day counts, in the program's zone (Madrid is UTC+1 in winter)
    ("2025-01-10T12:00:00+00:00", 30, False, "Europe/Madrid", "2025-02-09T23:00:00+00:00"),
    # rounded to the end of the month the N days land in
    ("2025-01-10T12:00:00+00:00", 30, True, "Europe/Madrid", "2025-02-28T23:00:00+00:00"),
    # a leap year: 30 January + 30 days is 29 February
    ("2024-01-30T12:00:00+00:00", 30, False, "UTC", "2024-03-01T00:00:00+00:00"),
    ("2024-01-30T12:00:00+00:00", 30, True, "UTC", "2024-03-01T00:00:00+00:00"),
    # a month end to a shorter month
    ("2025-01-31T10:00:00+00:00", 28, True, "UTC", "2025-03-01T00:00:00+00:00"),
    # late evening in UTC is already the next day in Auckland: the local date counts
    ("2025-01-15T20:00:00+00:00", 1, False, "Pacific/Auckland", "2025-01-17T11:00:00+00:00"),
    ("2025-01-15T20:00:00+00:00", 1, False, "UTC", "2025-01-17T00:00:00+00:00"),
    # across the change to summer time in Madrid (30 March 2025)
    ("2025-03-20T12:00:00+00:00", 10, False, "Europe/Madrid", "2025-03-30T22:00:00+00:00"),
])
def test_lot_expiry_dates(earned, days, month_end, zone, expires):
    assert lot_expiry(earned_at=at(earned), days=days, round_to_month_end=month_end, timezone=zone) == at(expires)


def test_points_that_never_expire():
    assert lot_expiry(earned_at=at("2025-01-01T00:00:00+00:00"), days=0, round_to_month_end=True,
                      timezone="UTC") is None


async def test_a_lot_partly_spent_expires_its_remainder_once(pools, admin_conn):
    # given 100 points expiring in 30 days, of which 30 are spent
    ledger = await Ledger.new(pools["points"], expiry=program_pb2.ExpiryPolicy(days=30), timezone="UTC")
    number = await ledger.member()
    await ledger.earn(number, "100", "e1")
    await ledger.burn(number, 30, "b1")
    expires_at = at((await ledger.summary(number)).next_expiry_date.replace("Z", "+00:00"))
    program = [str(ledger.program_id)]

    # when the job runs a moment before the date, nothing expires
    assert await jobs.run_expire(pools["points"], now=expires_at - dt.timedelta(seconds=1), programs=program) == 0
    # when it runs at the date, the unspent 70 expire
    assert await jobs.run_expire(pools["points"], now=expires_at, programs=program) == 1
    # and a rerun changes nothing
    assert await jobs.run_expire(pools["points"], now=expires_at + dt.timedelta(days=1), programs=program) == 0
    summary = await ledger.summary(number)
    assert (summary.available, summary.expired, summary.used) == (0, 70, 30)
    await check_invariants(admin_conn, ledger.program_id)


async def test_expiry_follows_the_program_time_zone(pools, admin_conn):
    # given a program in Auckland and a lot earned on the evening of 15 January UTC (16 January there)
    ledger = await Ledger.new(pools["points"], expiry=program_pb2.ExpiryPolicy(days=1), timezone="Pacific/Auckland")
    number = await ledger.member()
    await ledger.earn(number, "10", "e1", occurred_at="2025-01-15T20:00:00+00:00")
    program = [str(ledger.program_id)]
    # then it is still good at 10:59 UTC on the 17th (23:59 in Auckland), and gone at 11:00
    assert await jobs.run_expire(pools["points"], now=at("2025-01-17T10:59:00+00:00"), programs=program) == 0
    assert await jobs.run_expire(pools["points"], now=at("2025-01-17T11:00:00+00:00"), programs=program) == 1
    assert (await ledger.summary(number)).expired == 10


async def test_a_killed_job_resumes_and_expires_everything_once(pools, admin_conn):
    # given five members with lots past their date
    ledger = await Ledger.new(pools["points"], expiry=program_pb2.ExpiryPolicy(days=30))
    numbers = [await ledger.member() for _ in range(5)]
    for i, number in enumerate(numbers):
        await ledger.earn(number, str(10 + i), f"e{i}", occurred_at="2024-02-29T12:00:00+00:00")
    now = dt.datetime.now(UTC)
    # when a run stops after its first batch of two members (as if killed)
    async with tenant_tx(pools["points"], ledger.program_id) as conn:
        assert await repository.expire_batch(conn, now=now, limit=2) == 2
    # then the rerun finishes the rest, and nobody expires twice
    assert await jobs.run_expire(pools["points"], now=now, programs=[str(ledger.program_id)], batch_members=2) == 3
    expired = [(await ledger.summary(n)).expired for n in numbers]
    assert expired == [10, 11, 12, 13, 14]
    await check_invariants(admin_conn, ledger.program_id)
    events = await admin_conn.fetchval(
        "SELECT count(*) FROM points.outbox WHERE program_id = $1 AND event_type = 'LOY_POINT_EXPIRY'",
        ledger.program_id)
    assert events == 5


async def test_extend_expiry_moves_dates_and_records_the_reason(pools, admin_conn):
    ledger = await Ledger.new(pools["points"], expiry=program_pb2.ExpiryPolicy(days=30))
    number = await ledger.member()
    await ledger.earn(number, "40", "e1")
    later = (dt.datetime.now(UTC) + dt.timedelta(days=365)).replace(microsecond=0)
    done = await ledger.extend(number, later.isoformat(), "x1", reason="store closed for works")
    assert (done.lots_extended, done.points_extended) == (1, 40)
    assert (await ledger.summary(number)).next_expiry_date == later.isoformat().replace("+00:00", "Z")
    extend = (await ledger.history(number, kinds=["EXTEND"])).transactions
    assert [t.reason for t in extend] == ["store closed for works"]
