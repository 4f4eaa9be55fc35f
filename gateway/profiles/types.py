import strawberry

from gateway.scalars import Long


@strawberry.type(description="Everything a customer-data platform keeps about a loyalty member (the seed-004 "
                             "attribute set), gathered from the member, points, tier and rewards services at once.")
class LoyaltyProfile:
    loyalty_id: str = strawberry.field(description="The loyalty number")
    first_name: str
    last_name: str
    email: str
    status: str = strawberry.field(description="The member's status (active, suspended, opted_out, ...)")
    active_status: bool = strawberry.field(description="A loyalty activity within activeWithinDays")
    birthday: str | None
    loyalty_anniversary: str = strawberry.field(description="The enrolment date (YYYY-MM-DD)")
    phone: str
    zip: str
    opt_in_status: bool = strawberry.field(description="Enrolled and not opted out")
    opt_in_date: str | None
    available_points: Long
    earned_points: Long = strawberry.field(description="Earned over the whole membership")
    used_points: Long
    held_points: Long
    expired_points: Long
    next_expiring_points: Long
    points_expiration_date: str | None
    current_tier: str | None = strawberry.field(description="In the program's first slab (by code)")
    next_tier: str | None
    points_required_for_next_tier: str | None = strawberry.field(
        description="What is still needed in the slab's metric (points, spend or transactions), decimal")
    tier_achieved_date: str | None
    available_rewards: list[str] = strawberry.field(description="Names of the rewards claimable now, cheapest first")
    points_required_for_next_reward: Long | None
    highest_available_reward: str | None
    first_loyalty_activity_date: str | None
    last_loyalty_activity_date: str | None
    first_purchase_date: str | None
    last_purchase_date: str | None
