import strawberry

from loyalty.points.v1 import points_service_pb2 as points_pb


@strawberry.type(description="A member's points, as the ledger has them now.")
class PointsSummary:
    available_points: int
    lifetime_earned: int

    @classmethod
    def from_proto(cls, s: points_pb.PointsSummary) -> "PointsSummary":
        return cls(available_points=s.available, lifetime_earned=s.lifetime_earned)


@strawberry.input
class EarnInput:
    program: str
    loyalty_number: str
    amount: str = strawberry.field(description="Purchase amount as a decimal string, e.g. \"12.50\"")
    currency: str
    reference: str = strawberry.field(description="The POS transaction id; replaying it posts nothing new")
    pending: bool = False
    partner_code: str | None = None
    location_code: str | None = None
    channel: str | None = None


@strawberry.type
class EarnPayload:
    transaction_id: str | None
    old_balance: int
    points_earned: int
    new_balance: int
    pending: bool
