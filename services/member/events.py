"""Where member events go: the points service keeps its copy of each member's status."""

from services.member.peers import PointsLedger


def handlers(points: PointsLedger) -> dict:
    async def sync_member(event: dict) -> None:
        await points.register_member(program_id=event["program_id"], member_id=event["member_id"],
                                     loyalty_number=event["loyalty_number"], status=event["status"])

    return {"LOY_OPT_IN": sync_member, "MEMBER_STATUS_CHANGED": sync_member}
