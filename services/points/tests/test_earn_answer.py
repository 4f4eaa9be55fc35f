"""The earn's answer kept by its posting's own statement (repository.post_earn, migration 0111): the
answer's bytes without the balances, and the balances beside them. A replay answers as the first
call did, for a key kept that way and for one kept before the migration (the whole answer in its
bytes, the balance columns NULL), whatever the earn was."""

import datetime as dt

import pytest

from loyalty.common.v1 import program_pb2
from loyalty.points.v1 import points_service_pb2 as pb
from services.points import api
from services.points.ledger import commands, earning, results
from services.points.ledger.earn_policy import FlatRatePolicy
from services.points.tests.helpers import Ledger, check_invariants

KEY = "SELECT response, old_balance, new_balance FROM points.idempotency_keys" \
      " WHERE program_id = $1 AND operation = 'earn' AND key = $2"
EARNS = {  # reference: the request's own fields
    "plain": {"amount": "40"},
    "pending": {"amount": "25", "pending": True},
    "nothing": {"amount": "0.50"},  # 0 points: nothing posted, the whole answer kept
    "born-stale": {"amount": "7", "occurred_at": "2020-01-01T10:00:00Z"},  # a lot already past its date
    "partner": {"amount": "12", "partner_code": "p1", "location_code": "l1"},
}


def request(ledger: Ledger, number: str, reference: str) -> pb.EarnRequest:
    return pb.EarnRequest(loyalty_number=number, currency=ledger.spec.currency, reference=reference,
                          **EARNS[reference])


async def keep_as_before_0111(admin_conn, ledger: Ledger, reference: str, first: pb.EarnResponse) -> None:
    """What the key held when the answer was its own UPDATE after the posting: the whole answer, encoded
    by the same codec, no balance columns."""
    stored = api.replay(request(ledger, "", reference), pb.EarnResponse, results.Earned)
    await admin_conn.execute(
        "UPDATE points.idempotency_keys SET response = $3, old_balance = NULL, new_balance = NULL"
        " WHERE program_id = $1 AND operation = 'earn' AND key = $2",
        ledger.program_id, reference, stored.encode(api.answer(results.Earned, first)))


@pytest.mark.parametrize("old_format", [False, True], ids=["kept-by-the-posting", "kept-before-0111"])
async def test_a_replay_answers_as_the_first_call_in_either_format(pools, admin_conn, old_format):
    ledger = await Ledger.new(pools["points"], expiry=program_pb2.ExpiryPolicy(days=30))
    number = await ledger.member()
    await ledger.earn(number, "100", "opening")
    first = {}
    for reference in EARNS:
        first[reference] = await ledger.call(earning.earn, request(ledger, number, reference), pb.EarnResponse,
                                             results.Earned, policy=FlatRatePolicy())
    balances = {r: (await admin_conn.fetchrow(KEY, ledger.program_id, r))[1:] for r in EARNS}
    # the posting's statement kept the balances beside the answer; an earn of nothing kept its whole answer
    assert balances == {r: (None, None) if r == "nothing" else (first[r].old_balance, first[r].new_balance)
                        for r in EARNS}
    assert first["plain"].old_balance == 100 and first["plain"].new_balance == 140
    assert first["born-stale"].new_balance == first["born-stale"].old_balance  # its lot is already past
    if old_format:
        for reference in EARNS:
            await keep_as_before_0111(admin_conn, ledger, reference, first[reference])
    for reference in EARNS:
        again = await ledger.call(earning.earn, request(ledger, number, reference), pb.EarnResponse,
                                  results.Earned, policy=FlatRatePolicy())
        assert again == first[reference], reference
    assert await admin_conn.fetchval(
        "SELECT count(*) FROM points.transactions WHERE program_id = $1 AND kind = 'EARN'",
        ledger.program_id) == len(EARNS)  # the opening one, and every earn but the one of nothing
    await check_invariants(admin_conn, ledger.program_id)


async def test_an_earn_made_inside_the_service_replays_its_json_answer_with_the_kept_balances(pools, admin_conn):
    ledger = await Ledger.new(pools["points"])
    number = await ledger.member()
    command = commands.Earn(loyalty_number=number, amount="9", currency=ledger.spec.currency, reference="inside",
                            occurred_at=dt.datetime.now(dt.timezone.utc))
    first = await earning.earn(ledger.pool, program_id=ledger.program_id, command=command, policy=FlatRatePolicy())
    assert (first.old_balance, first.new_balance, first.points_earned) == (0, 9, 9)
    assert await earning.earn(ledger.pool, program_id=ledger.program_id, command=command,
                              policy=FlatRatePolicy()) == first
