from loyalty.member.v1 import member_service_pb2 as member_pb
from services.common.tenancy import outgoing_metadata

from gateway.dataloader_base import PerKeyLoader
from gateway.programs.dataloaders import ProgramByCodeLoader
from gateway.services import Services, rpc


class MemberByLoyaltyNumberLoader(PerKeyLoader[tuple[str, str], member_pb.Member]):
    """Keyed by (program code, loyalty number)."""

    def __init__(self, services: Services, *, programs: ProgramByCodeLoader, principal: str):
        async def fetch(key: tuple[str, str]) -> member_pb.Member:
            code, number = key
            program = await programs.load(code)
            md = outgoing_metadata(program_id=program.id, principal=principal)
            return await rpc(
                services.member.GetMember(member_pb.GetMemberRequest(loyalty_number=number), metadata=md, timeout=5)
            )

        super().__init__(fetch)


import grpc  # noqa: E402

from loyalty.points.v1 import points_service_pb2 as points_pb  # noqa: E402
from loyalty.tier.v1 import tier_service_pb2 as tier_pb  # noqa: E402

# A part of the member view whose service cannot answer (not deployed yet, down) is left out.
_DEGRADE = (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


async def _optional(pending):
    try:
        return await pending
    except grpc.aio.AioRpcError as err:
        if err.code() in _DEGRADE:
            return None
        return await rpc(_raise(err))


async def _raise(err):
    raise err


class _ProgramKeyed(PerKeyLoader):
    """Keyed by (program code, loyalty number); `call(stub_services, request_key, metadata)`."""

    def __init__(self, services: Services, *, programs: ProgramByCodeLoader, principal: str, call):
        async def fetch(key):
            code, number = key
            program = await programs.load(code)
            return await call(services, number, outgoing_metadata(program_id=program.id, principal=principal))

        super().__init__(fetch)


class MemberTiersByLoyaltyNumberLoader(_ProgramKeyed):
    """The member's tiers; None while the tier service cannot answer."""

    def __init__(self, services: Services, *, programs: ProgramByCodeLoader, principal: str):
        async def call(s, number, md):
            return await _optional(s.tier.GetMemberTiers(tier_pb.GetMemberTiersRequest(loyalty_number=number),
                                                         metadata=md, timeout=3))

        super().__init__(services, programs=programs, principal=principal, call=call)


class RecentActivityByLoyaltyNumberLoader(_ProgramKeyed):
    """The member's last transactions; None while the ledger cannot list them."""

    def __init__(self, services: Services, *, programs: ProgramByCodeLoader, principal: str):
        async def call(s, number, md):
            return await _optional(s.points.ListTransactions(
                points_pb.ListTransactionsRequest(loyalty_number=number, page_size=10), metadata=md, timeout=3))

        super().__init__(services, programs=programs, principal=principal, call=call)


class SegmentsByLoyaltyNumberLoader(_ProgramKeyed):
    def __init__(self, services: Services, *, programs: ProgramByCodeLoader, principal: str):
        async def call(s, number, md):
            return await rpc(s.member.GetMemberSegments(
                member_pb.GetMemberSegmentsRequest(loyalty_number=number), metadata=md, timeout=5))

        super().__init__(services, programs=programs, principal=principal, call=call)


class StatusHistoryByLoyaltyNumberLoader(_ProgramKeyed):
    def __init__(self, services: Services, *, programs: ProgramByCodeLoader, principal: str):
        async def call(s, number, md):
            return await rpc(s.member.ListStatusHistory(
                member_pb.GetMemberRequest(loyalty_number=number), metadata=md, timeout=5))

        super().__init__(services, programs=programs, principal=principal, call=call)
