"""Paying with points: no rewards connection is held while the ledger burns; a refused burn leaves the
passcode usable; an unknown outcome keeps the reference, and the same reference burns once."""

import asyncio
import datetime as dt

from loyalty.rewards.v1 import rewards_service_pb2 as pb
from services.common.errors import ErrorCode
from services.rewards import api, otp, points_redemption
from services.rewards.peers import Peers
from services.rewards.results import PointsRedeemed
from services.rewards.tests.conftest import enrol, member, passcode_in
from services.rewards.tests.test_redemption import POLICY, _refused
from tests.fixtures.postgres import free_port


def _now():
    return dt.datetime.now(dt.timezone.utc)


async def _redeem(pools, program, ledger, request: pb.RedeemPointsRequest) -> PointsRedeemed:
    return await points_redemption.redeem_points(
        pools["rewards"], program_id=program.id, command=api.redeem_points_command(request), ledger=ledger,
        policy=POLICY, now=_now, replay=api.replay(request, pb.RedeemPointsResponse, PointsRedeemed))


class Watched:
    """The real ledger client; records the rewards connections in use while it burns."""

    def __init__(self, ledger: Peers, pool):
        self._ledger, self._pool = ledger, pool
        self.in_use: list[int] = []

    async def burn(self, program_id, **kwargs):
        self.in_use.append(self._pool.get_size() - self._pool.get_idle_size())
        return await self._ledger.burn(program_id, **kwargs)

    def __getattr__(self, name):
        return getattr(self._ledger, name)


async def _passcode(pools, program, m, sender, smtp_server) -> str:
    await otp.issue(pools["rewards"], program_id=program.id, member=m, sender=sender, policy=POLICY, now=_now)
    return passcode_in(smtp_server, m.email)


async def test_no_connection_is_held_while_the_ledger_burns(pools, program, ledger):
    m = member()
    await enrol(ledger, program, m, points=100)
    watched = Watched(ledger, pools["rewards"])
    done = await _redeem(pools, program, watched, pb.RedeemPointsRequest(
        loyalty_number=m.loyalty_number, points=40, reference="burn-watch", otp_bypass=True))
    assert (done.points, done.new_balance, done.otp_bypassed) == (-40, 60, True)
    assert watched.in_use == [0]


async def test_a_refused_burn_leaves_the_passcode_and_the_reference_usable(pools, program, ledger, sender,
                                                                           smtp_server):
    m = member()
    await enrol(ledger, program, m, points=30)
    code = await _passcode(pools, program, m, sender, smtp_server)
    request = pb.RedeemPointsRequest(loyalty_number=m.loyalty_number, points=50, reference="too-much", otp=code)
    assert (await _refused(_redeem(pools, program, ledger, request))).code == ErrorCode.INSUFFICIENT_POINTS
    request.points = 20  # the same reference, now for what the member has, with the same passcode
    done = await _redeem(pools, program, ledger, request)
    assert (done.points, done.new_balance, done.otp_bypassed) == (-20, 10, False)


async def test_an_unreachable_ledger_keeps_the_reference_and_the_retry_burns_once(pools, program, ledger, sender,
                                                                                 smtp_server):
    m = member()
    await enrol(ledger, program, m, points=100)
    code = await _passcode(pools, program, m, sender, smtp_server)
    request = pb.RedeemPointsRequest(loyalty_number=m.loyalty_number, points=25, reference="retry-burn", otp=code)
    down = Peers(member_addr="127.0.0.1:1", points_addr=f"127.0.0.1:{free_port()}", tier_addr="127.0.0.1:1")
    try:
        assert (await _refused(_redeem(pools, program, down, request))).code == ErrorCode.UNAVAILABLE
    finally:
        await down.close()
    # the passcode was spent by the first attempt; the same reference carries on without it (twice at once)
    answers = await asyncio.gather(*(_redeem(pools, program, ledger, request) for _ in range(2)))
    assert answers[0] == answers[1] and (answers[0].points, answers[0].new_balance) == (-25, 75)
    assert await ledger.available_points(program.id, m.loyalty_number) == 75
    # a different request under the reference conflicts
    other = pb.RedeemPointsRequest(loyalty_number=m.loyalty_number, points=5, reference="retry-burn", otp=code)
    assert (await _refused(_redeem(pools, program, ledger, other))).code == ErrorCode.IDEMPOTENCY_CONFLICT
