"""The expire-claims job: a claim not picked up in time gives its points and stock back, once."""

import datetime as dt

from services.rewards import catalogue, jobs, redemption
from services.rewards.tests.conftest import enrol, member, require_holds
from services.rewards.tests.test_redemption import _claim, _create


async def test_lapsed_claims_are_released_and_given_back_once(pools, program, ledger, admin_conn):
    # given a held claim with a one-minute hold
    m = member()
    await enrol(ledger, program, m, points=300)
    await require_holds(ledger, program, m)
    reward = await _create(pools, program, points_cost=100, has_stock=True, stock=2)
    await _claim(pools, program, ledger, m, reward.spec.code, reference="lapse-1", hold_timeout_seconds=60)
    await _claim(pools, program, ledger, m, reward.spec.code, reference="keep-1", hold_timeout_seconds=3600)
    before = await ledger.available_points(program.id, m.loyalty_number)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=2)
    # when the job runs two minutes later
    ended = await jobs.run_expire_claims(pools["rewards"], ledger=ledger, now=lambda: later,
                                         programs=[str(program.id)])
    # then only the lapsed claim ended, its points and its unit came back
    assert ended == 1
    assert (await redemption.get(pools["rewards"], program_id=program.id, reference="lapse-1")).status == "expired"
    assert (await redemption.get(pools["rewards"], program_id=program.id, reference="keep-1")).status == "held"
    assert await ledger.available_points(program.id, m.loyalty_number) == before + 100
    assert (await catalogue.get(pools["rewards"], program_id=program.id, code=reward.spec.code)).spec.stock == 1
    # and a rerun changes nothing
    assert await jobs.run_expire_claims(pools["rewards"], ledger=ledger, now=lambda: later,
                                        programs=[str(program.id)]) == 0
    # the program is known to the job without a program filter
    assert await admin_conn.fetchval("SELECT 1 FROM rewards.known_programs WHERE id = $1", program.id) == 1
