import strawberry

from gateway.context import Info
from gateway.permissions import Allow
from gateway.points.types import PointsSummary


@strawberry.type
class PointsQueries:
    @strawberry.field(permission_classes=[Allow("points.read")])
    async def enquire(self, info: Info, program: str, loyalty_number: str) -> PointsSummary:
        summary = await info.context.loaders.points_summary_by_loyalty_number.load((program, loyalty_number))
        return PointsSummary.from_proto(summary)
