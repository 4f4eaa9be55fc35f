"""Where member events go: the points service keeps its copy of each member's status."""

from loyalty.points.v1 import points_service_pb2 as points_pb
from loyalty.points.v1 import points_service_pb2_grpc as points_grpc
from services.common.clients import call, metadata


def handlers(points: points_grpc.PointsServiceStub) -> dict:
    async def sync_member(event: dict) -> None:
        await call(
            points.RegisterMember(
                points_pb.RegisterMemberRequest(
                    member_id=event["member_id"], loyalty_number=event["loyalty_number"], status=event["status"]
                ),
                metadata=metadata(program_id=event["program_id"], principal="service:member"),
                timeout=5,
            )
        )

    return {"LOY_OPT_IN": sync_member, "MEMBER_STATUS_CHANGED": sync_member}
