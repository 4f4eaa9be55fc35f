"""Two gateway replicas over one Ignite node: what one replica's callers change, the other's see."""

import asyncio

import pytest

from tests.e2e.test_contract import CREATE_API_KEY, EARN, ENQUIRE, new_member, new_program
from tests.fixtures.graphql import unique

pytestmark = pytest.mark.e2e

POS_SCOPES = ["member.read", "points.read", "points.earn", "points.redeem", "rewards.redeem"]
CARD = """
query($program: String!, $number: String!) {
  enquire(program: $program, loyaltyNumber: $number) { availablePoints lifetimeEarned lastPurchaseAt }
}"""


async def test_an_earn_on_one_replica_is_seen_at_once_by_an_enquire_on_the_other(admins, replicas):
    admin_a, admin_b = admins
    program = await new_program(admin_a)
    number = await new_member(admin_a, program)
    # the card is cached by the first read (on replica B)
    assert (await admin_b(ENQUIRE, program=program, number=number)).ok()["enquire"]["availablePoints"] == 0
    for i in range(1, 6):
        earned = (await admin_a(EARN, program=program, number=number, amount="10", currency="EUR",
                                reference=unique("till"))).ok()["earn"]
        # read-your-writes: the other replica's very next enquire shows the new balance
        seen = (await admin_b(CARD, program=program, number=number)).ok()["enquire"]
        assert seen["availablePoints"] == earned["newBalance"] == 10 * i
        assert seen["lifetimeEarned"] == 10 * i and seen["lastPurchaseAt"]


async def test_enquires_are_answered_from_the_card_in_ignite(admins, replicas):
    admin_a, admin_b = admins
    program = await new_program(admin_a)
    number = await new_member(admin_a, program)
    await admin_a(EARN, program=program, number=number, amount="25", currency="EUR", reference=unique("till"))
    # the points service's GetSummary is not asked when the card is there: stop it, the enquire still answers
    stopped = replicas.processes["points"]
    stopped.terminate()
    stopped.wait(timeout=15)
    try:
        for admin in admins:
            assert (await admin(ENQUIRE, program=program, number=number)).ok()["enquire"]["availablePoints"] == 25
    finally:
        from tests.fixtures.platform import _spawn
        ports = {"points": int(replicas.env["POINTS_ADDR"].rsplit(":", 1)[1])}
        replicas.processes["points"] = _spawn("points", replicas.env, ports, replicas.logs_dir.parent / "spans",
                                              replicas.logs_dir)
        await _until_serving(admin_a, program, number)


async def _until_serving(admin, program, number):
    for _ in range(600):  # a readiness wait for the restarted points service, not a timed assertion
        result = await admin(EARN, program=program, number=number, amount="1", currency="EUR",
                             reference=unique("probe"))
        if not result.errors:
            return
        await asyncio.sleep(0.2)
    raise AssertionError("points service did not come back")
