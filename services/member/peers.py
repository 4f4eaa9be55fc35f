"""What the member service asks the points service: its copy of a member, and a merge's points.

The service's one client module: besides the api modules and the assembly, the only one that
reads or writes protos.
"""

import uuid

import grpc

from loyalty.points.v1 import points_service_pb2 as points_pb
from loyalty.points.v1 import points_service_pb2_grpc as points_grpc
from services.common.clients import call, metadata

TIMEOUT = 5.0
MERGE_TIMEOUT = 30.0  # a merge moves every lot, hold and history item of a member


class PointsLedger:
    def __init__(self, channel: grpc.aio.Channel):
        self._points = points_grpc.PointsServiceStub(channel)

    async def register_member(self, *, program_id: uuid.UUID | str, member_id: str, loyalty_number: str,
                              status: str) -> None:
        """The ledger's copy of the member (its status decides what the ledger lets them do)."""
        await call(self._points.RegisterMember(
            points_pb.RegisterMemberRequest(member_id=member_id, loyalty_number=loyalty_number, status=status),
            metadata=metadata(program_id=program_id, principal="service:member"), timeout=TIMEOUT))

    async def merge_members(self, *, program_id: uuid.UUID, from_loyalty_number: str, to_loyalty_number: str,
                            reference: str, requested_by: str) -> None:
        """Move every lot, hold and history item; idempotent by the merge's reference."""
        await call(self._points.MergeMembers(
            points_pb.MergeMembersRequest(from_loyalty_number=from_loyalty_number,
                                          to_loyalty_number=to_loyalty_number, reference=reference),
            metadata=metadata(program_id=program_id, principal=f"service:member:{requested_by}",
                              idempotency_key=reference),
            timeout=MERGE_TIMEOUT))
