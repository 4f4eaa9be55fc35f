"""Merging duplicates: a saga that survives a failure midway, moves lots and holds exactly."""

import asyncio
import datetime as dt

import pytest

from tests.e2e.test_members_statuses import EARN, MEMBER, REDEEM, enrol, new_program

pytestmark = pytest.mark.e2e

MERGE = """
mutation($program: String!, $from: String!, $to: String!, $reason: String!) {
  mergeMembers(input: {program: $program, fromLoyaltyNumber: $from, toLoyaltyNumber: $to, reason: $reason}) {
    state reference fromMember { status mergedInto } toMember { status }
  }
}"""
ENQUIRE = """
query($program: String!, $number: String!) {
  enquire(program: $program, loyaltyNumber: $number) {
    availablePoints onHoldPoints nextExpiringPoints nextExpiryDate
  }
}"""
HOLD = """
mutation($program: String!, $number: String!, $points: Int!, $reference: String!) {
  hold(input: {program: $program, loyaltyNumber: $number, points: $points, reference: $reference,
               timeoutSeconds: 3600}) { points }
}"""
CAPTURE = """
mutation($program: String!, $reference: String!, $hold: String!) {
  captureHold(input: {program: $program, reference: $reference, holdReference: $hold}) { points }
}"""


async def test_a_merge_interrupted_midway_is_resumed_by_a_retry(admin, platform):
    # given two records of one person, both with points
    program = await new_program(admin)
    source = (await enrol(admin, program))["loyaltyNumber"]
    target = (await enrol(admin, program))["loyaltyNumber"]
    (await admin(EARN, program=program, number=source, amount="30", reference="s1")).ok()
    (await admin(EARN, program=program, number=target, amount="12", reference="t1")).ok()

    # when the points service is down during the merge
    platform.stop_service("points")
    try:
        failed = await admin(MERGE, program=program, **{"from": source, "to": target}, reason="same person")
    finally:
        platform.start_service("points")
    # then the merge is refused as unavailable, and nothing is half-done: the source is still a usable member
    assert failed.codes == ["UNAVAILABLE"]
    assert (await admin(MEMBER, program=program, number=source)).ok()["member"]["status"] == "active"

    # when staff retry (the points service is back)
    retried = None
    for _ in range(100):  # wait until the restarted service answers
        retried = await admin(MERGE, program=program, **{"from": source, "to": target}, reason="same person")
        if retried.codes != ["UNAVAILABLE"]:
            break
    merged = retried.ok()["mergeMembers"]
    # then the merge completes, the balance moved exactly, and the merged member cannot be used
    assert merged["state"] == "completed"
    assert merged["fromMember"] == {"status": "merged", "mergedInto": target}
    assert (await admin(ENQUIRE, program=program, number=target)).ok()["enquire"]["availablePoints"] == 42
    assert (await admin(ENQUIRE, program=program, number=source)).ok()["enquire"]["availablePoints"] == 0
    assert (await admin(EARN, program=program, number=source, amount="5", reference="s2")).codes == ["MEMBER_BLOCKED"]
    assert (await admin(REDEEM, program=program, number=source, points=1, reference="s3")).codes == [
        "MEMBER_BLOCKED"]
    # and a further retry is harmless: the same completed merge, nothing moved twice
    again = (await admin(MERGE, program=program, **{"from": source, "to": target}, reason="same person")).ok()
    assert again["mergeMembers"]["reference"] == merged["reference"]
    assert (await admin(ENQUIRE, program=program, number=target)).ok()["enquire"]["availablePoints"] == 42
    history = (await admin(MEMBER, program=program, number=source)).ok()["member"]["statusHistory"]
    assert history[-1]["toStatus"] == "merged" and "same person" in history[-1]["reason"]


async def test_merge_moves_holds_and_lots_about_to_expire(admin):
    # given a program whose points expire after 30 days, and a duplicate with points earned 29 days ago
    program = await new_program(admin, expiry_days=30)
    source = (await enrol(admin, program))["loyaltyNumber"]
    target = (await enrol(admin, program))["loyaltyNumber"]
    earned_at = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=29)).isoformat()
    (await admin(EARN, program=program, number=source, amount="40", reference="old", occurredAt=earned_at)).ok()
    (await admin(EARN, program=program, number=target, amount="100", reference="new")).ok()
    before = (await admin(ENQUIRE, program=program, number=source)).ok()["enquire"]
    # and 15 of its points on hold for an order
    (await admin(HOLD, program=program, number=source, points=15, reference="order-1")).ok()

    # when the duplicate is merged
    merged = (await admin(MERGE, program=program, **{"from": source, "to": target}, reason="duplicate")).ok()
    assert merged["mergeMembers"]["state"] == "completed"

    # then every point is with the remaining member: available, on hold, and the soon-expiring lot keeps its date
    after = (await admin(ENQUIRE, program=program, number=target)).ok()["enquire"]
    assert after["availablePoints"] == 100 + 40 - 15
    assert after["onHoldPoints"] == 15
    assert after["nextExpiringPoints"] == 40 - 15
    assert after["nextExpiryDate"] == before["nextExpiryDate"]
    gone = (await admin(ENQUIRE, program=program, number=source)).ok()["enquire"]
    assert (gone["availablePoints"], gone["onHoldPoints"]) == (0, 0)
    # and the hold taken on the merged member settles on the remaining one
    (await admin(CAPTURE, program=program, reference="pickup-1", hold="order-1")).ok()
    assert (await admin(ENQUIRE, program=program, number=target)).ok()["enquire"]["onHoldPoints"] == 0


async def test_merge_refusals(admin):
    program = await new_program(admin)
    a = (await enrol(admin, program))["loyaltyNumber"]
    b = (await enrol(admin, program))["loyaltyNumber"]
    c = (await enrol(admin, program))["loyaltyNumber"]
    assert (await admin(MERGE, program=program, **{"from": a, "to": a}, reason="x")).codes == ["INVALID_INPUT"]
    assert (await admin(MERGE, program=program, **{"from": a, "to": b}, reason="")).codes == ["INVALID_INPUT"]
    assert (await admin(MERGE, program=program, **{"from": a, "to": "12345678903"}, reason="x")).codes == [
        "NOT_FOUND"]
    (await admin(MERGE, program=program, **{"from": a, "to": b}, reason="dup")).ok()
    # a merged member cannot be merged again elsewhere, nor receive a merge
    assert (await admin(MERGE, program=program, **{"from": a, "to": c}, reason="x")).codes == ["INVALID_INPUT"]
    assert (await admin(MERGE, program=program, **{"from": c, "to": a}, reason="x")).codes == ["MEMBER_BLOCKED"]


async def test_a_merge_whose_answer_was_lost_completes_without_moving_twice(admin, platform, admin_conn):
    """The points service moved the points but the member service never heard back (crash, timeout)."""
    import grpc

    from loyalty.points.v1 import points_service_pb2 as points_pb
    from loyalty.points.v1 import points_service_pb2_grpc as points_grpc
    from services.common.clients import metadata

    program = await new_program(admin)
    source = (await enrol(admin, program))["loyaltyNumber"]
    target = (await enrol(admin, program))["loyaltyNumber"]
    (await admin(EARN, program=program, number=source, amount="25", reference="s1")).ok()
    # given a merge recorded while the points service was down
    platform.stop_service("points")
    try:
        assert (await admin(MERGE, program=program, **{"from": source, "to": target}, reason="dup")).codes == [
            "UNAVAILABLE"]
    finally:
        platform.start_service("points")
    row = await admin_conn.fetchrow(
        "SELECT m.program_id, m.reference, m.state FROM member.merges m JOIN member.members f"
        " ON f.program_id = m.program_id AND f.id = m.from_member_id WHERE f.loyalty_number = $1", source)
    assert row["state"] == "pending"
    # and the points move then happened, its answer lost
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.ports['points']}") as channel:
        await points_grpc.PointsServiceStub(channel).MergeMembers(
            points_pb.MergeMembersRequest(from_loyalty_number=source, to_loyalty_number=target,
                                          reference=row["reference"]),
            metadata=metadata(program_id=row["program_id"], principal="test"), timeout=30, wait_for_ready=True)
    # when staff retry, the saga finishes and the points are not moved twice (the member service's
    # channel to the restarted points service may still be in its reconnect backoff: staff retry)
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        reply = await admin(MERGE, program=program, **{"from": source, "to": target}, reason="dup")
        if reply.codes != ["UNAVAILABLE"] or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.5)
    merged = reply.ok()
    assert merged["mergeMembers"]["state"] == "completed"
    assert (await admin(ENQUIRE, program=program, number=target)).ok()["enquire"]["availablePoints"] == 25
