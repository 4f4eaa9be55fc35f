"""Many operations at once on one member, against the real PostgreSQL: nothing overspent, nothing doubled."""

import asyncio
import datetime as dt
import json

from google.protobuf import json_format

from loyalty.common.v1 import program_pb2
from services.common.errors import DomainError
from services.points import jobs
from services.points.tests.helpers import Ledger, check_invariants


async def _outcome(coro):
    try:
        return await coro
    except DomainError as err:
        return err.code.value


async def test_200_concurrent_redeems_never_overspend(pools, admin_conn):
    # given a balance B = 1000
    ledger = await Ledger.new(pools["points"])
    number = await ledger.member()
    await ledger.earn(number, "1000", "seed")

    # when 200 redeems of a = 7 run at once
    results = await asyncio.gather(*(_outcome(ledger.burn(number, 7, f"b{i}")) for i in range(200)))

    # then exactly floor(B / a) succeed and the rest are refused
    successes = [r for r in results if not isinstance(r, str)]
    assert len(successes) == 1000 // 7
    assert {r for r in results if isinstance(r, str)} == {"INSUFFICIENT_POINTS"}
    assert await ledger.available(number) == 1000 - 7 * (1000 // 7)
    assert sorted(r.new_balance for r in successes) == sorted(1000 % 7 + 7 * i for i in range(1000 // 7))
    await check_invariants(admin_conn, ledger.program_id)


async def test_100_concurrent_replays_post_once_with_identical_answers(pools, admin_conn):
    ledger = await Ledger.new(pools["points"])
    number = await ledger.member()
    await ledger.earn(number, "500", "seed")

    results = await asyncio.gather(*(ledger.burn(number, 40, "same") for _ in range(100)))

    answers = {json.dumps(json_format.MessageToDict(r), sort_keys=True) for r in results}
    assert len(answers) == 1
    assert await ledger.available(number) == 460
    postings = await admin_conn.fetchval(
        "SELECT count(*) FROM points.transactions WHERE program_id = $1 AND kind = 'BURN'", ledger.program_id)
    assert postings == 1


async def test_concurrent_earn_redeem_void_and_expiry_keep_the_invariants(pools, admin_conn):
    # given a member with lots already past their date and fresh ones
    ledger = await Ledger.new(pools["points"], expiry=program_pb2.ExpiryPolicy(days=30))
    number = await ledger.member()
    long_ago = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=90)).isoformat()
    for i in range(5):
        await ledger.earn(number, "20", f"old{i}", occurred_at=long_ago)
        await ledger.earn(number, "50", f"fresh{i}")

    # when earns, redeems, voids, holds and the expiry job all run at once
    work = []
    for i in range(20):
        work.append(ledger.earn(number, "10", f"e{i}"))
        work.append(ledger.burn(number, 15, f"b{i}"))
        work.append(ledger.void(f"fresh{i % 5}", f"v{i}", points=5))
        work.append(ledger.hold(number, 5, f"h{i}"))
        if i % 5 == 0:
            work.append(jobs.run_expire(pools["points"], now=dt.datetime.now(dt.timezone.utc),
                                        programs=[str(ledger.program_id)]))
    results = await asyncio.gather(*(_outcome(w) for w in work))

    # then every refusal is a business refusal, and the ledger is consistent
    assert set(r for r in results if isinstance(r, str)) <= {"INSUFFICIENT_POINTS", "ALREADY_VOIDED",
                                                              "INVALID_INPUT"}
    await check_invariants(admin_conn, ledger.program_id)
    summary = await ledger.summary(number)
    assert summary.expired == 100  # the old lots expired exactly once, none of them spent
    assert summary.available >= 0
