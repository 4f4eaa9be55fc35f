"""Events out, end to end: what members and staff do through the gateway becomes catalogue events
in the notifications service, after commit, valid against their schemas, once each."""

import asyncio
import json

import grpc
import pytest

from loyalty.member.v1 import member_service_pb2 as member_pb
from loyalty.member.v1 import member_service_pb2_grpc as member_grpc
from loyalty.notifications.v1 import notifications_service_pb2 as pb
from loyalty.notifications.v1 import notifications_service_pb2_grpc as pb_grpc
from services.common.clients import call, metadata
from services.notifications import catalogue
from tests.e2e.test_contract import new_member, new_program
from tests.e2e.test_members_statuses import CHANGE_STATUS
from tests.e2e.test_points_ledger import EARN, REDEEM
from tests.e2e.test_tiers_graphql import DEFINE_SLAB, RESTAURANT

pytestmark = pytest.mark.e2e


class Notifications:
    def __init__(self, platform):
        self._notifications = grpc.aio.insecure_channel(f"127.0.0.1:{platform.ports['notifications']}")
        self._member = grpc.aio.insecure_channel(f"127.0.0.1:{platform.ports['member']}")

    async def program_id(self, code: str) -> str:
        stub = member_grpc.MemberServiceStub(self._member)
        return (await call(stub.GetProgram(member_pb.GetProgramRequest(code=code),
                                           metadata=metadata(program_id=None, principal="test")))).id

    async def events(self, program_id: str, number: str = "") -> list[pb.Event]:
        stub = pb_grpc.NotificationsServiceStub(self._notifications)
        reply = await call(stub.ListEvents(pb.ListEventsRequest(limit=1000, loyalty_number=number),
                                           metadata=metadata(program_id=program_id, principal="test")))
        return list(reply.events)

    async def eventually(self, program_id: str, number: str, types: set[str]) -> list[pb.Event]:
        """Events leave after commit, asynchronously: wait for them (a bounded count, not a time)."""
        for _ in range(300):
            found = await self.events(program_id, number)
            if types <= {e.type for e in found}:
                return found
            await asyncio.sleep(0.1)
        raise AssertionError(f"missing {types - {e.type for e in found}}; got {[e.type for e in found]}")

    async def close(self) -> None:
        await self._notifications.close()
        await self._member.close()


@pytest.fixture
async def notifications(platform):
    made = Notifications(platform)
    yield made
    await made.close()


async def test_a_members_life_becomes_catalogue_events_in_order(admin, notifications):
    # given a program with a tier slab and an enrolled member
    program = await new_program(admin)
    (await admin(DEFINE_SLAB, program=program, tiers=RESTAURANT, window=6)).ok()
    number = await new_member(admin, program)

    # when the member earns, reaches the upper tier, redeems and opts out
    (await admin(EARN, program=program, number=number, amount="100", reference="e1")).ok()
    (await admin(EARN, program=program, number=number, amount="15000", reference="e2")).ok()
    program_id = await notifications.program_id(program)
    # (the tier service upgrades after it hears of the earn: the redemption comes after that)
    await notifications.eventually(program_id, number, {"TIER_UPGRADE"})
    (await admin(REDEEM, program=program, number=number, points=30, reference="r1")).ok()
    (await admin(CHANGE_STATUS, program=program, number=number, status="opted_out", reason="asked to")).ok()

    # then the notifications service has each as its catalogue event, valid, in the order they happened
    expected = ["LOY_OPT_IN", "LOY_POINT_ACCRUAL", "LOY_POINT_ACCRUAL", "TIER_UPGRADE", "LOY_POINT_REDEMPTION",
                "MEMBER_STATUS_CHANGED", "LOY_OPT_OUT"]
    found = await notifications.eventually(program_id, number, set(expected))
    ordered = sorted((e for e in found if e.type in expected), key=lambda e: (e.occurred_at, e.sequence))
    assert [e.type for e in ordered] == expected
    for event in found:
        assert catalogue.validation_errors(event.type, json.loads(event.data_json)) == []
        assert event.version == catalogue.CATALOGUE[event.type].version
    accruals = [json.loads(e.data_json) for e in ordered if e.type == "LOY_POINT_ACCRUAL"]
    assert [a["points"] for a in accruals] == [100, 15000] and accruals[0]["amount"] == "100"
    upgrade = json.loads(next(e for e in ordered if e.type == "TIER_UPGRADE").data_json)
    assert upgrade["to_tier"] == "SUPERKING"
    assert len({e.id for e in found}) == len(found)


async def test_a_replayed_earn_adds_no_event(admin, notifications):
    # given an earn and its replay under the same reference
    program = await new_program(admin)
    number = await new_member(admin, program)
    for _ in range(2):
        (await admin(EARN, program=program, number=number, amount="10", reference="same")).ok()
    (await admin(EARN, program=program, number=number, amount="20", reference="other")).ok()

    # then two accruals leave, not three: once the later earn's event is there, a replay's would be too
    # (a service's rows leave in the order they were written)
    program_id = await notifications.program_id(program)
    for _ in range(300):
        accruals = [json.loads(e.data_json)["points"] for e in await notifications.events(program_id, number)
                    if e.type == "LOY_POINT_ACCRUAL"]
        if 20 in accruals:
            break
        await asyncio.sleep(0.1)
    assert accruals == [10, 20]
