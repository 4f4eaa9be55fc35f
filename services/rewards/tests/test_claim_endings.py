"""Settle, void, void of the order, voucher pickup and the expire job ask the ledger with no rewards
connection held; a settle and a void racing on one claim end in one state the ledger agrees with."""

import asyncio
import datetime as dt

from services.common.errors import DomainError, ErrorCode
from services.rewards import commands, jobs, redemption, vouchers
from services.rewards.peers import Peers
from services.rewards.tests.conftest import enrol, member, require_holds
from services.rewards.tests.test_redemption import _claim, _create


def _now():
    return dt.datetime.now(dt.timezone.utc)


class Watched:
    """The real ledger client; records the rewards connections in use at each call that moves points."""

    def __init__(self, ledger: Peers, pool):
        self._ledger, self._pool = ledger, pool
        self.in_use: dict[str, list[int]] = {}

    def _watch(self, name):
        async def call(*args, **kwargs):
            self.in_use.setdefault(name, []).append(self._pool.get_size() - self._pool.get_idle_size())
            return await getattr(self._ledger, name)(*args, **kwargs)
        return call

    def __getattr__(self, name):
        if name in ("capture", "release", "void"):
            return self._watch(name)
        return getattr(self._ledger, name)


async def test_no_connection_is_held_while_the_ledger_captures_releases_or_voids(pools, program, ledger):
    m = member()
    await enrol(ledger, program, m, points=1000)
    await require_holds(ledger, program, m)
    reward = await _create(pools, program, points_cost=100, issues_voucher=True)
    watched = Watched(ledger, pools["rewards"])
    for ref in ("w-settle", "w-void", "w-voucher", "w-lapse"):
        await _claim(pools, program, ledger, m, reward.spec.code, reference=ref, order_reference=f"o-{ref}",
                     hold_timeout_seconds=60 if ref == "w-lapse" else 0)
    await redemption.settle(pools["rewards"], program_id=program.id, reference="w-settle", ledger=watched, now=_now)
    await redemption.void(pools["rewards"], program_id=program.id, reference="w-settle", reason="", ledger=watched,
                          now=_now)
    await redemption.void(pools["rewards"], program_id=program.id, reference="w-void", reason="", ledger=watched,
                          now=_now)
    code = (await redemption.get(pools["rewards"], program_id=program.id, reference="w-voucher")).voucher_code
    await vouchers.consume(pools["rewards"], program_id=program.id, ledger=watched, now=_now,
                           command=commands.ConsumeVoucher(code=code, reference="till-1"))
    await redemption.void_order(pools["rewards"], program_id=program.id, order_reference="o-w-voucher", reason="",
                                ledger=watched, now=_now)
    later = _now() + dt.timedelta(minutes=2)
    assert await jobs.run_expire_claims(pools["rewards"], ledger=watched, now=lambda: later,
                                        programs=[str(program.id)]) == 1
    assert set(watched.in_use) == {"capture", "release", "void"}
    assert all(n == 0 for calls in watched.in_use.values() for n in calls), watched.in_use


async def test_a_settle_and_a_void_racing_end_in_one_state_the_ledger_agrees_with(pools, program, ledger):
    m = member()
    await enrol(ledger, program, m, points=2000)
    await require_holds(ledger, program, m)
    reward = await _create(pools, program, points_cost=100)
    start = await ledger.available_points(program.id, m.loyalty_number)
    settled = 0
    for i in range(8):
        await _claim(pools, program, ledger, m, reward.spec.code, reference=f"race-{i}")
        outcomes = await asyncio.gather(
            redemption.settle(pools["rewards"], program_id=program.id, reference=f"race-{i}", ledger=ledger,
                              now=_now),
            redemption.void(pools["rewards"], program_id=program.id, reference=f"race-{i}", reason="race",
                            ledger=ledger, now=_now),
            return_exceptions=True)
        for outcome in outcomes:  # a loser hears that the claim ended, nothing else
            assert not isinstance(outcome, Exception) or (
                isinstance(outcome, DomainError) and outcome.code == ErrorCode.CLAIM_NOT_ACTIVE), outcome
        final = await redemption.get(pools["rewards"], program_id=program.id, reference=f"race-{i}")
        assert final.status in ("settled", "voided")
        settled += final.status == "settled"
        # the balance is the start less exactly the settled claims' points
        assert await ledger.available_points(program.id, m.loyalty_number) == start - 100 * settled
