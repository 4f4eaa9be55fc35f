"""A claim in three steps (reserve, the ledger's hold with no transaction open, confirm): the last unit
goes to one claim, a refused hold gives everything back, an unknown outcome is carried on by the next
attempt with the same reference or given back by the job, never claimed twice."""

import asyncio
import datetime as dt
import uuid

import pytest

from loyalty.rewards.v1 import rewards_service_pb2 as pb
from services.common.errors import DomainError, ErrorCode
from services.rewards import api, catalogue, claiming, jobs, otp, redemption
from services.rewards.peers import Peers
from services.rewards.results import Claim
from services.rewards.tests.conftest import enrol, member, passcode_in, require_holds
from services.rewards.tests.test_redemption import NO_PROFILE, POLICY, _claim, _create, _refused, claim_request
from tests.fixtures.postgres import free_port


class Watched:
    """The real ledger client; while it is asked for a hold, what the rewards side holds is recorded."""

    def __init__(self, ledger: Peers, pool, admin_conn, reward_id: uuid.UUID):
        self._ledger, self._pool, self._admin, self._reward_id = ledger, pool, admin_conn, reward_id
        self.seen: list[tuple[int, bool]] = []  # (rewards connections in use, reward row lockable)

    async def hold(self, program_id, **kwargs):
        in_use = self._pool.get_size() - self._pool.get_idle_size()
        async with self._admin.transaction():
            lockable = await self._admin.fetchval(
                "SELECT true FROM rewards.rewards WHERE id = $1 FOR UPDATE NOWAIT", self._reward_id)
        self.seen.append((in_use, bool(lockable)))
        return await self._ledger.hold(program_id, **kwargs)

    def __getattr__(self, name):
        return getattr(self._ledger, name)


def _stock(reward) -> int:
    return reward.spec.stock


async def test_no_connection_or_reward_lock_is_held_while_the_ledger_holds(pools, program, ledger, admin_conn):
    m = member()
    await enrol(ledger, program, m, points=300)
    await require_holds(ledger, program, m)
    reward = await _create(pools, program, points_cost=100, has_stock=True, stock=3)
    watched = Watched(ledger, pools["rewards"], admin_conn, uuid.UUID(reward.id))
    held = await _claim(pools, program, watched, m, reward.spec.code)
    assert held.status == "held"
    assert watched.seen == [(0, True)]


async def test_concurrent_claims_on_the_last_unit_give_it_to_one_member_and_hold_only_their_points(
        pools, program, ledger, admin_conn):
    # given a reward with one unit left and five members who can all afford it
    reward = await _create(pools, program, points_cost=100, has_stock=True, stock=1)
    members = [member() for _ in range(5)]
    for m in members:
        await enrol(ledger, program, m, points=250)
    await require_holds(ledger, program, members[0])  # holds 1 point of the first member
    before = {m.loyalty_number: await ledger.available_points(program.id, m.loyalty_number) for m in members}
    # when all five claim it at once
    results = await asyncio.gather(*(_claim(pools, program, ledger, m, reward.spec.code) for m in members),
                                   return_exceptions=True)
    # then one holds it, four are told it is out of stock
    won = [r for r in results if isinstance(r, Claim)]
    assert len(won) == 1 and won[0].status == "held"
    assert [r.code for r in results if isinstance(r, DomainError)] == [ErrorCode.OUT_OF_STOCK] * 4
    # and only the winner's points are held
    for m in members:
        spent = 100 if m.loyalty_number == won[0].loyalty_number else 0
        assert await ledger.available_points(program.id, m.loyalty_number) == before[m.loyalty_number] - spent
    row = await admin_conn.fetchrow("SELECT stock, claimed FROM rewards.rewards WHERE id = $1", uuid.UUID(reward.id))
    assert dict(row) == {"stock": 0, "claimed": 1}
    assert await admin_conn.fetchval("SELECT count(*) FROM rewards.claims WHERE reward_id = $1",
                                     uuid.UUID(reward.id)) == 1


async def test_a_refused_hold_gives_back_the_unit_the_allowance_and_the_passcode(
        pools, program, ledger, sender, smtp_server, admin_conn):
    # given a member with too few points for a one-unit, once-per-member reward, and their passcode
    m = member()
    await enrol(ledger, program, m, points=50)
    reward = await _create(pools, program, points_cost=100, has_stock=True, stock=1, per_member_limit=1)
    await otp.issue(pools["rewards"], program_id=program.id, member=m, sender=sender, policy=POLICY,
                    now=lambda: dt.datetime.now(dt.timezone.utc))
    code = passcode_in(smtp_server, m.email)
    request = pb.ClaimRequest(loyalty_number=m.loyalty_number, reward_code=reward.spec.code, reference="poor-otp",
                              otp=code)
    # when the claim is refused by the ledger
    err = await _refused(claim_request(pools, program, ledger, m, request))
    assert err.code == ErrorCode.INSUFFICIENT_POINTS
    # then no claim is left, the unit and the allowance are back, and the passcode still works
    assert (await _refused(redemption.get(pools["rewards"], program_id=program.id, reference="poor-otp"))).code \
        == ErrorCode.NOT_FOUND
    assert await admin_conn.fetchval("SELECT count(*) FROM rewards.claims WHERE reference = 'poor-otp'") == 0
    got = await catalogue.get(pools["rewards"], program_id=program.id, code=reward.spec.code)
    assert (got.spec.stock, got.claimed) == (1, 0)
    assert await admin_conn.fetchval(
        "SELECT claimed FROM rewards.member_usage WHERE reward_id = $1 AND loyalty_number = $2",
        uuid.UUID(reward.id), m.loyalty_number) == 0
    assert await otp.verify(pools["rewards"], program_id=program.id, loyalty_number=m.loyalty_number, code=code,
                            policy=POLICY, now=lambda: dt.datetime.now(dt.timezone.utc))


async def test_an_unreachable_ledger_keeps_the_reservation_and_the_same_reference_carries_it_on(
        pools, program, ledger, admin_conn):
    m = member()
    await enrol(ledger, program, m, points=500)
    await require_holds(ledger, program, m)
    before = await ledger.available_points(program.id, m.loyalty_number)
    reward = await _create(pools, program, points_cost=100, has_stock=True, stock=2)
    down = Peers(member_addr="127.0.0.1:1", points_addr=f"127.0.0.1:{free_port()}", tier_addr="127.0.0.1:1")
    try:
        # when the ledger cannot be reached, the caller hears UNAVAILABLE and the unit stays reserved
        err = await _refused(_claim(pools, program, down, m, reward.spec.code, reference="retry-1"))
        assert err.code == ErrorCode.UNAVAILABLE
    finally:
        await down.close()
    assert await admin_conn.fetchval("SELECT status FROM rewards.claims WHERE reference = 'retry-1'") == "reserved"
    assert (await _refused(redemption.get(pools["rewards"], program_id=program.id, reference="retry-1"))).code \
        == ErrorCode.NOT_FOUND  # not a claim yet
    # when the POS retries with the same reference, the claim is made once
    first = await _claim(pools, program, ledger, m, reward.spec.code, reference="retry-1")
    again = await _claim(pools, program, ledger, m, reward.spec.code, reference="retry-1")
    assert first == again and first.status == "held"
    assert await ledger.available_points(program.id, m.loyalty_number) == before - 100
    assert _stock(await catalogue.get(pools["rewards"], program_id=program.id, code=reward.spec.code)) == 1


async def test_an_attempt_that_died_after_the_hold_is_carried_on_without_holding_twice(pools, program, ledger):
    # given an attempt that reserved and got its hold, then died before confirming
    m = member()
    await enrol(ledger, program, m, points=500)
    await require_holds(ledger, program, m)
    before = await ledger.available_points(program.id, m.loyalty_number)
    reward = await _create(pools, program, points_cost=100, has_stock=True, stock=5)
    request = pb.ClaimRequest(loyalty_number=m.loyalty_number, reward_code=reward.spec.code, reference="died-1",
                              otp_bypass=True)
    replay = api.replay(request, pb.RewardClaim, Claim)
    now = lambda: dt.datetime.now(dt.timezone.utc)  # noqa: E731

    async def profile_of():
        return NO_PROFILE

    reservation = await claiming._reserve(
        pools["rewards"], program_id=program.id, command=api.claim_command(request), principal="pos", member=m,
        reward={"tier_codes": [], "segment_codes": []}, profile_of=profile_of, policy=POLICY, now=now,
        fingerprint=replay.fingerprint)
    await claiming._hold(pools["rewards"], program_id=program.id, reservation=reservation, ledger=ledger)
    assert await ledger.available_points(program.id, m.loyalty_number) == before - 100
    # when the POS retries with the same reference (twice at once)
    answers = await asyncio.gather(*(claim_request(pools, program, ledger, m, request) for _ in range(2)))
    # then both hear the same claim, and the ledger held the points once
    assert answers[0] == answers[1] and answers[0].status == "held" and answers[0].hold_expires_at
    assert await ledger.available_points(program.id, m.loyalty_number) == before - 100
    assert _stock(await catalogue.get(pools["rewards"], program_id=program.id, code=reward.spec.code)) == 4
    # and the same reference for another reward is a conflict
    other = await _create(pools, program, points_cost=10)
    err = await _refused(_claim(pools, program, ledger, m, other.spec.code, reference="died-1"))
    assert err.code == ErrorCode.IDEMPOTENCY_CONFLICT


async def test_the_job_gives_back_a_stale_reservation_and_releases_its_hold(pools, program, ledger, admin_conn):
    # given an attempt that reserved and got its hold, then died
    m = member()
    await enrol(ledger, program, m, points=500)
    await require_holds(ledger, program, m)
    before = await ledger.available_points(program.id, m.loyalty_number)
    reward = await _create(pools, program, points_cost=100, has_stock=True, stock=1)
    request = pb.ClaimRequest(loyalty_number=m.loyalty_number, reward_code=reward.spec.code, reference="stale-1",
                              otp_bypass=True)

    async def profile_of():
        return NO_PROFILE

    reservation = await claiming._reserve(
        pools["rewards"], program_id=program.id, command=api.claim_command(request), principal="pos", member=m,
        reward={"tier_codes": [], "segment_codes": []}, profile_of=profile_of, policy=POLICY,
        now=lambda: dt.datetime.now(dt.timezone.utc),
        fingerprint=api.replay(request, pb.RewardClaim, Claim).fingerprint)
    await claiming._hold(pools["rewards"], program_id=program.id, reservation=reservation, ledger=ledger)
    # when the job runs before the reservation is stale, it is left alone
    assert await jobs.run_expire_claims(pools["rewards"], ledger=ledger, programs=[str(program.id)]) == 0
    # and when it runs after, the unit and the points come back
    later = dt.datetime.now(dt.timezone.utc) + claiming.RESERVATION_TTL + dt.timedelta(seconds=1)
    assert await jobs.run_expire_claims(pools["rewards"], ledger=ledger, now=lambda: later,
                                        programs=[str(program.id)]) == 1
    assert await ledger.available_points(program.id, m.loyalty_number) == before
    assert _stock(await catalogue.get(pools["rewards"], program_id=program.id, code=reward.spec.code)) == 1
    assert await admin_conn.fetchval("SELECT count(*) FROM rewards.claims WHERE reference = 'stale-1'") == 0
    # and a new attempt with the reference claims afresh
    assert (await claim_request(pools, program, ledger, m, request)).status == "held"
    assert await ledger.available_points(program.id, m.loyalty_number) == before - 100


@pytest.mark.parametrize("status", ["held", "settled"])
async def test_a_claim_answers_the_same_after_it_moved_on(pools, program, ledger, status):
    offer = await _create(pools, program, type="offer", points_cost=0)
    m = member()
    first = await _claim(pools, program, ledger, m, offer.spec.code, reference=f"moved-{status}")
    if status == "settled":
        await redemption.settle(pools["rewards"], program_id=program.id, reference=f"moved-{status}", ledger=ledger,
                                now=lambda: dt.datetime.now(dt.timezone.utc))
    assert await _claim(pools, program, ledger, m, offer.spec.code, reference=f"moved-{status}") == first
