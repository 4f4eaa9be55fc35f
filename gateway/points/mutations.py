import strawberry

from loyalty.points.v1 import points_service_pb2 as points_pb

from gateway.context import Info
from gateway.permissions import Allow
from gateway.points.types import EarnInput, EarnPayload
from gateway.services import rpc


@strawberry.type
class PointsMutations:
    @strawberry.mutation(permission_classes=[Allow("points.earn")])
    async def earn(self, info: Info, input: EarnInput) -> EarnPayload:
        md = await info.context.metadata(input.program, idempotency_key=input.reference)
        result = await rpc(info.context.services.points.Earn(
            points_pb.EarnRequest(
                loyalty_number=input.loyalty_number, amount=input.amount, currency=input.currency,
                reference=input.reference, pending=input.pending, partner_code=input.partner_code or "",
                location_code=input.location_code or "", channel=input.channel or "",
            ),
            metadata=md, timeout=10,
        ))
        return EarnPayload(
            transaction_id=result.transaction_id or None, old_balance=result.old_balance,
            points_earned=result.points_earned, new_balance=result.new_balance, pending=result.pending,
        )
