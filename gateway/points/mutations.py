import strawberry

from loyalty.points.v1 import points_service_pb2 as points_pb
from loyalty.rewards.v1 import rewards_service_pb2 as rewards_pb

from gateway.context import Info
from gateway.permissions import Allow, P
from gateway.rewards.mutations import REDEEM_WITHOUT_OTP
from gateway.points.types import (
    ActivatePendingInput, AdjustInput, CaptureHoldInput, EarnInput, EarnPayload, ExtendExpiryInput,
    ExtendExpiryPayload, GoodwillInput, HoldInput, HoldPayload, PostingPayload, RedeemInput, RedeemPayload,
    ReleaseHoldInput, RetroClaimInput, TransferInput, VoidInput,
)
from gateway.services import rpc

TIMEOUT = 10


@strawberry.type
class PointsMutations:
    @strawberry.mutation(permission_classes=[Allow("points.earn")])
    async def earn(self, info: Info, input: EarnInput) -> EarnPayload:
        md = await info.context.metadata(input.program, idempotency_key=input.reference)
        result = await rpc(info.context.services.points.Earn(
            points_pb.EarnRequest(
                loyalty_number=input.loyalty_number, amount=input.amount, currency=input.currency,
                reference=input.reference, pending=input.pending, partner_code=input.partner_code or "",
                location_code=info.context.principal.posting_store(input.program, input.location_code),
                channel=input.channel or "",
                occurred_at=input.occurred_at or "", order_reference=input.order_reference or "",
                items=[points_pb.Item(sku=i.sku, category=i.category or "", quantity=i.quantity or "",
                                      price=i.price or "") for i in input.items or ()],
            ),
            metadata=md, timeout=TIMEOUT,
        ))
        return EarnPayload.from_proto(result)

    @strawberry.mutation(permission_classes=[Allow("points.redeem")],
                         description="Pay with points (never overspent); needs the member's passcode unless the "
                                     "caller has rewards.redeem_without_otp. With transactionValue the program's "
                                     "burn rules decide the points (points 0 or absent: as many as they allow) "
                                     "and the answer has the bill after them.")
    async def redeem(self, info: Info, input: RedeemInput) -> RedeemPayload:
        md = await info.context.metadata(input.program, idempotency_key=input.reference)
        # The rewards service checks and spends the passcode around the ledger's burn.
        bypass = not input.otp and info.context.principal.has(REDEEM_WITHOUT_OTP)
        done = await rpc(info.context.services.rewards.RedeemPoints(
            rewards_pb.RedeemPointsRequest(
                loyalty_number=input.loyalty_number, points=input.points or 0, reference=input.reference,
                otp=input.otp or "", otp_bypass=bypass, reason=input.reason or "",
                partner_code=input.partner_code or "",
                location_code=info.context.principal.posting_store(input.program, input.location_code),
                order_reference=input.order_reference or "", transaction_value=input.transaction_value or "",
                currency=input.currency or "", channel=input.channel or "",
            ),
            metadata=md, timeout=TIMEOUT,
        ))
        return RedeemPayload.from_proto(done)

    @strawberry.mutation(permission_classes=[Allow("points.void")],
                         description="Post the reverse of a transaction, or of every transaction of an order.")
    async def void(self, info: Info, input: VoidInput) -> PostingPayload:
        md = await info.context.metadata(input.program, idempotency_key=input.reference)
        return PostingPayload.from_proto(await rpc(info.context.services.points.Void(
            points_pb.VoidRequest(
                reference=input.reference, target_reference=input.target_reference, points=input.points,
                reason=input.reason or "", loyalty_number=input.loyalty_number or "",
                stores=info.context.principal.stores_in(input.program),
            ),
            metadata=md, timeout=TIMEOUT,
        )))

    @strawberry.mutation(permission_classes=[Allow("points.adjust")])
    async def adjust(self, info: Info, input: AdjustInput) -> PostingPayload:
        md = await info.context.metadata(input.program, idempotency_key=input.reference)
        return PostingPayload.from_proto(await rpc(info.context.services.points.Adjust(
            points_pb.AdjustRequest(loyalty_number=input.loyalty_number, points=input.points,
                                    reference=input.reference, reason=input.reason),
            metadata=md, timeout=TIMEOUT,
        )))

    @strawberry.mutation(permission_classes=[Allow("points.transfer")])
    async def transfer(self, info: Info, input: TransferInput) -> PostingPayload:
        md = await info.context.metadata(input.program, idempotency_key=input.reference)
        return PostingPayload.from_proto(await rpc(info.context.services.points.Transfer(
            points_pb.TransferRequest(from_loyalty_number=input.from_loyalty_number,
                                      to_loyalty_number=input.to_loyalty_number, points=input.points,
                                      reference=input.reference, reason=input.reason or ""),
            metadata=md, timeout=TIMEOUT,
        )))

    @strawberry.mutation(permission_classes=[Allow("points.redeem")], description="Reserve points (two-phase).")
    async def hold(self, info: Info, input: HoldInput) -> HoldPayload:
        md = await info.context.metadata(input.program, idempotency_key=input.reference)
        r = await rpc(info.context.services.points.Hold(
            points_pb.HoldRequest(loyalty_number=input.loyalty_number, points=input.points, reference=input.reference,
                                  timeout_seconds=input.timeout_seconds, reason=input.reason or "",
                                  order_reference=input.order_reference or ""),
            metadata=md, timeout=TIMEOUT,
        ))
        return HoldPayload(hold_id=r.hold_id, transaction_id=r.transaction_id, points=r.points,
                           expires_at=r.expires_at, available_after=r.available_after)

    @strawberry.mutation(permission_classes=[Allow("points.redeem")])
    async def capture_hold(self, info: Info, input: CaptureHoldInput) -> PostingPayload:
        md = await info.context.metadata(input.program, idempotency_key=input.reference)
        return PostingPayload.from_proto(await rpc(info.context.services.points.CaptureHold(
            points_pb.CaptureHoldRequest(reference=input.reference, hold_reference=input.hold_reference,
                                         points=input.points),
            metadata=md, timeout=TIMEOUT,
        )))

    @strawberry.mutation(permission_classes=[Allow("points.redeem")])
    async def release_hold(self, info: Info, input: ReleaseHoldInput) -> PostingPayload:
        md = await info.context.metadata(input.program, idempotency_key=input.reference)
        return PostingPayload.from_proto(await rpc(info.context.services.points.ReleaseHold(
            points_pb.ReleaseHoldRequest(reference=input.reference, hold_reference=input.hold_reference),
            metadata=md, timeout=TIMEOUT,
        )))

    @strawberry.mutation(permission_classes=[Allow("points.goodwill")],
                         description="At most the program's goodwillLimit points per posting, unless the caller "
                                     "holds points.goodwill_unlimited (over it: FORBIDDEN, nothing posted)")
    async def goodwill(self, info: Info, input: GoodwillInput) -> PostingPayload:
        md = await info.context.metadata(input.program, idempotency_key=input.reference)
        unlimited = info.context.principal.has(P.POINTS_GOODWILL_UNLIMITED.value, input.program)
        return PostingPayload.from_proto(await rpc(info.context.services.points.Goodwill(
            points_pb.GoodwillRequest(loyalty_number=input.loyalty_number, points=input.points,
                                      reference=input.reference, reason=input.reason, unlimited=unlimited),
            metadata=md, timeout=TIMEOUT,
        )))

    @strawberry.mutation(permission_classes=[Allow("points.earn")],
                         description="Earn for a past purchase, within the program's window, once per receipt.")
    async def retro_claim(self, info: Info, input: RetroClaimInput) -> EarnPayload:
        md = await info.context.metadata(input.program, idempotency_key=input.receipt_reference,
                                          reference_field="receiptReference")
        return EarnPayload.from_proto(await rpc(info.context.services.points.RetroClaim(
            points_pb.RetroClaimRequest(
                loyalty_number=input.loyalty_number, receipt_reference=input.receipt_reference, amount=input.amount,
                currency=input.currency, purchased_at=input.purchased_at,
                location_code=info.context.principal.posting_store(input.program, input.location_code),
                partner_code=input.partner_code or "",
            ),
            metadata=md, timeout=TIMEOUT,
        )))

    @strawberry.mutation(permission_classes=[Allow("points.earn")])
    async def activate_pending(self, info: Info, input: ActivatePendingInput) -> PostingPayload:
        md = await info.context.metadata(input.program, idempotency_key=input.reference)
        return PostingPayload.from_proto(await rpc(info.context.services.points.ActivatePending(
            points_pb.ActivatePendingRequest(reference=input.reference, target_reference=input.target_reference),
            metadata=md, timeout=TIMEOUT,
        )))

    @strawberry.mutation(permission_classes=[Allow("points.extend_expiry")])
    async def extend_expiry(self, info: Info, input: ExtendExpiryInput) -> ExtendExpiryPayload:
        md = await info.context.metadata(input.program, idempotency_key=input.reference)
        r = await rpc(info.context.services.points.ExtendExpiry(
            points_pb.ExtendExpiryRequest(loyalty_number=input.loyalty_number, new_expires_at=input.new_expires_at,
                                          reason=input.reason, reference=input.reference),
            metadata=md, timeout=TIMEOUT,
        ))
        return ExtendExpiryPayload(lots_extended=r.lots_extended, points_extended=r.points_extended)
