"""The loyalty profile (seed 004's attribute set) from the answers of the member, points, tier and
rewards services, and the People person made of it. One function for both the gateway's
loyaltyProfile and the CDP connector, so what marketing sees in People is what the API shows."""

import datetime as dt

# The profile's fields, in the seed's order, with the seed's names as People custom attributes.
# A program may rename or leave out any (its connector's attribute map); the contact fields also go
# to People's own fields (externalId, firstName, lastName, birthDate, contactInformation).
SEED_ATTRIBUTES = {
    "loyalty_id": "Loyalty Id",
    "first_name": "First Name",
    "last_name": "Last Name",
    "email": "Email Address",
    "active_status": "Active Status",
    "birthday": "Birthday",
    "loyalty_anniversary": "Loyalty anniversary date",
    "phone": "Phone No",
    "zip": "Zip Code",
    "opt_in_status": "Opt-in Status",
    "opt_in_date": "Opt-in Date",
    "available_points": "Available Points",
    "earned_points": "Earned Points",
    "used_points": "Used Points",
    "held_points": "Hold Points",
    "next_expiring_points": "Next Expiring Points",
    "points_expiration_date": "Points Expiration Date",
    "expired_points": "Expired Points",
    "current_tier": "Current Tier",
    "next_tier": "Next Tier",
    "points_required_for_next_tier": "Points Req For Next Tier",
    "tier_achieved_date": "Tier Achieve Date",
    "available_rewards": "Available Rewards",
    "points_required_for_next_reward": "Points Req For Next Reward",
    "highest_available_reward": "Highest Available Reward",
    "first_loyalty_activity_date": "First Loyalty Activity Date",
    "last_loyalty_activity_date": "Last Loyalty Activity Date",
    "first_purchase_date": "First Purchase Date",
    "last_purchase_date": "Last Purchase Date",
}
FIELDS = (*SEED_ATTRIBUTES, "status")


def _date(value: str) -> str | None:
    return value[:10] if value else None


def _active(last_activity: str, within_days: int, now: dt.datetime) -> bool:
    if not last_activity:
        return False
    at = dt.datetime.fromisoformat(last_activity.replace("Z", "+00:00"))
    return now - at <= dt.timedelta(days=within_days)


def build(member, summary, progress, eligibility, *, active_within_days: int,
          now: dt.datetime | None = None) -> dict:
    """The profile (FIELDS) from the four services' answers (GetMember, GetSummary, GetProgress,
    GetEligibility): a pure function."""
    now = now or dt.datetime.now(dt.timezone.utc)
    tier = min(progress.slabs, key=lambda s: s.slab_code) if progress.slabs else None
    return dict(
        loyalty_id=member.loyalty_number, first_name=member.first_name, last_name=member.last_name,
        email=member.email, status=member.status,
        active_status=_active(summary.last_activity_at, active_within_days, now),
        birthday=member.birth_date or None, loyalty_anniversary=member.enrolled_at[:10], phone=member.phone,
        zip=member.zip, opt_in_status=member.status not in ("opted_out", "erased", "merged"),
        opt_in_date=_date(member.opted_in_at or member.enrolled_at),
        available_points=summary.available, earned_points=summary.lifetime_earned, used_points=summary.used,
        held_points=summary.on_hold, expired_points=summary.expired,
        next_expiring_points=summary.next_expiring_points,
        points_expiration_date=_date(summary.next_expiry_date),
        current_tier=tier.tier_code if tier else None, next_tier=(tier.next_tier_code or None) if tier else None,
        points_required_for_next_tier=(tier.needed or None) if tier and tier.next_tier_code else None,
        tier_achieved_date=_date(tier.achieved_on) if tier else None,
        available_rewards=[e.reward.spec.name for e in eligibility.available],
        points_required_for_next_reward=eligibility.next.points_needed if eligibility.HasField("next") else None,
        highest_available_reward=eligibility.highest.reward.spec.name if eligibility.HasField("highest") else None,
        first_loyalty_activity_date=_date(summary.first_activity_at),
        last_loyalty_activity_date=_date(summary.last_activity_at),
        first_purchase_date=_date(summary.first_purchase_at), last_purchase_date=_date(summary.last_purchase_at),
    )


def _value(value):
    """A custom attribute's value as People takes it (lists as the seed shows them: "$5 | $10")."""
    if isinstance(value, list):
        return " | ".join(str(v) for v in value)
    return value


def person(profile: dict, *, attributes: dict[str, str], tags: list[str]) -> dict:
    """The People person of a profile: the standard fields, the mapped custom attributes (a field
    mapped to '' is not sent; a None value is sent as null, clearing what People had) and the tags."""
    body = {"externalId": profile["loyalty_id"], "firstName": profile["first_name"],
            "lastName": profile["last_name"],
            "customAttributes": {name: _value(profile.get(field)) for field, name in attributes.items() if name},
            "tags": sorted(set(tags))}
    if profile.get("birthday"):
        body["birthDate"] = profile["birthday"]
    contacts = {}
    if profile.get("email"):
        contacts["email"] = [{"address": profile["email"]}]
    if profile.get("phone"):
        contacts["phone"] = [{"number": profile["phone"].lstrip("+")}]
    if contacts:
        body["contactInformation"] = contacts
    return body


def merged(existing: dict | None, ours: dict, *, managed: set[str], tag: str, tagged: bool) -> dict:
    """What to PUT (an overwrite) so that only our part changes: the person as People has it (its
    other tags, attributes and contacts kept), our fields and attributes over it, our tag set or not."""
    if not existing:
        return ours
    body = {k: v for k, v in existing.items() if k not in ("id", "createdAt", "modifiedAt", "computedAttributes")}
    for key in ("externalId", "firstName", "lastName", "birthDate"):
        if key in ours:
            body[key] = ours[key]
    custom = {k: v for k, v in (existing.get("customAttributes") or {}).items() if k not in managed}
    body["customAttributes"] = {**custom, **ours["customAttributes"]}
    contacts = dict(existing.get("contactInformation") or {})
    for channel, entries in (ours.get("contactInformation") or {}).items():
        key = "address" if channel == "email" else "number"
        have = {e.get(key) for e in contacts.get(channel, [])}
        contacts[channel] = [*contacts.get(channel, []), *(e for e in entries if e[key] not in have)]
    if contacts:
        body["contactInformation"] = contacts
    tags = set(existing.get("tags") or [])
    if tag:
        tags = tags | {tag} if tagged else tags - {tag}
    body["tags"] = sorted(tags)
    return body
