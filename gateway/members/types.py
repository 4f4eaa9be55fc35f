import json

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from loyalty.member.v1 import member_service_pb2 as member_pb

from gateway.context import Info
from gateway.members.records import MemberRecord
from gateway.permissions import Allow, P
from gateway.points.types import PointsSummary
from gateway.scalars import Long


@strawberry.type
class MarketingConsents:
    email: bool
    sms: bool
    post: bool


@strawberry.input
class MarketingConsentsInput:
    email: bool = False
    sms: bool = False
    post: bool = False

    def to_proto(self) -> member_pb.MarketingConsents:
        return member_pb.MarketingConsents(email=self.email, sms=self.sms, post=self.post)


@strawberry.federation.type(keys=["id"])
class Member:
    id: strawberry.ID
    loyalty_number: str
    email: str
    first_name: str
    last_name: str
    phone: str
    birth_date: str | None
    status: str
    enrolled_at: str
    channel: str
    zip: str = ""
    nationality: str = ""
    consents: MarketingConsents | None = None
    custom_attributes: JSON = strawberry.field(default_factory=dict)
    opted_in_at: str = ""
    status_changed_at: str = ""
    merged_into: str | None = strawberry.field(default=None, description="Loyalty number it was merged into")
    program: strawberry.Private[str] = ""

    @classmethod
    def from_proto(cls, m: member_pb.Member, program: str = "") -> "Member":
        """The member to resolve: a record reading the message as fields are asked for (records.py)."""
        return MemberRecord(m, program)  # type: ignore[return-value] - has Member's attributes

    # The member view: everything about the member, gathered from the services that own it.
    @strawberry.field(description="Points summary from the ledger", permission_classes=[Allow(P.POINTS_READ)])
    async def points(self, info: Info) -> PointsSummary:
        loader = info.context.loaders.points_summary_by_loyalty_number
        return PointsSummary.from_proto(await loader.load((self.program, self.loyalty_number)))

    @strawberry.field(description="Current tier per slab; null while the tier service cannot answer",
                      permission_classes=[Allow(P.TIER_READ)])
    async def tiers(self, info: Info) -> list[Annotated["MemberTier", strawberry.lazy("gateway.members.types")]] | None:
        found = await info.context.loaders.member_tiers_by_loyalty_number.load((self.program, self.loyalty_number))
        if found is None:
            return None
        return [MemberTier(slab_code=t.slab_code, tier_code=t.tier_code, tier_name=t.tier_name, level=t.level,
                           achieved_at=t.achieved_at) for t in found.tiers]

    @strawberry.field(description="Last ten transactions; null while the ledger cannot list them",
                      permission_classes=[Allow(P.POINTS_READ)])
    async def recent_activity(
        self, info: Info
    ) -> list[Annotated["ActivityItem", strawberry.lazy("gateway.members.types")]] | None:
        found = await info.context.loaders.recent_activity_by_loyalty_number.load((self.program, self.loyalty_number))
        if found is None:
            return None
        return [ActivityItem(id=t.id, kind=t.kind, reference=t.reference, points=t.points, occurred_at=t.occurred_at,
                             status=t.status, amount=t.amount or None, currency=t.currency or None)
                for t in found.transactions]

    @strawberry.field(description="Who changed the status, when and why", permission_classes=[Allow(P.MEMBER_READ)])
    async def status_history(
        self, info: Info
    ) -> list[Annotated["StatusChange", strawberry.lazy("gateway.members.types")]]:
        found = await info.context.loaders.status_history_by_loyalty_number.load((self.program, self.loyalty_number))
        return [StatusChange(from_status=c.from_status, to_status=c.to_status, reason=c.reason,
                             changed_by=c.changed_by, changed_at=c.changed_at) for c in found.changes]

    @strawberry.field(description="Codes of the segments the member is in", permission_classes=[Allow(P.MEMBER_READ)])
    async def segments(self, info: Info) -> list[str]:
        found = await info.context.loaders.segments_by_loyalty_number.load((self.program, self.loyalty_number))
        return list(found.segment_codes)


@strawberry.input
class EnrollInput:
    program: str
    email: str
    first_name: str
    last_name: str
    phone: str | None = None
    birth_date: str | None = strawberry.field(default=None, description="ISO 8601 date")
    channel: str | None = None
    zip: str | None = None
    nationality: str | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2")
    consents: MarketingConsentsInput | None = None
    custom_attributes: JSON | None = strawberry.field(default=None, description="Checked against the program's schema")
    opted_in_at: str | None = strawberry.field(default=None, description="RFC 3339 or ISO date; default now")


@strawberry.type
class EnrollPayload:
    member: Member


@strawberry.input
class UpdateMemberProfileInput:
    program: str
    loyalty_number: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    birth_date: str | None = None
    zip: str | None = None
    nationality: str | None = None
    consents: MarketingConsentsInput | None = None
    custom_attributes: JSON | None = None


@strawberry.input
class ChangeMemberStatusInput:
    program: str
    loyalty_number: str
    status: str = strawberry.field(description="active, suspended, blacklisted, opted_out")
    reason: str


@strawberry.input
class MergeMembersInput:
    program: str
    from_loyalty_number: str
    to_loyalty_number: str
    reason: str


@strawberry.type
class MergePayload:
    merge_id: str
    state: str
    reference: str
    from_member: Member
    to_member: Member


@strawberry.input
class EraseMemberInput:
    program: str
    loyalty_number: str


@strawberry.type
class MemberPayload:
    member: Member


@strawberry.type
class StatusChange:
    from_status: str
    to_status: str
    reason: str
    changed_by: str
    changed_at: str


@strawberry.type
class MemberSearchResult:
    members: list[Member]
    next_page_token: str | None


@strawberry.type
class LikelyDuplicate:
    first: Member
    second: Member
    reasons: list[str]
    score: int


@strawberry.type(description="A page of the likely duplicates queue, highest score first")
class LikelyDuplicatePage:
    pairs: list[LikelyDuplicate]
    next_cursor: str | None = strawberry.field(description="Pass as `after` for the next page; null on the last")


@strawberry.type
class MemberSettings:
    welcome_enabled: bool
    welcome_subject: str
    welcome_body: str
    custom_attributes_schema: JSON | None

    @classmethod
    def from_proto(cls, s: member_pb.MemberSettings) -> "MemberSettings":
        return cls(welcome_enabled=s.welcome_enabled, welcome_subject=s.welcome_subject,
                   welcome_body=s.welcome_body,
                   custom_attributes_schema=json.loads(s.custom_attributes_schema_json)
                   if s.custom_attributes_schema_json else None)


@strawberry.input
class UpdateMemberSettingsInput:
    program: str
    welcome_enabled: bool | None = None
    welcome_subject: str | None = strawberry.field(
        default=None, description="Placeholders: {first_name} {last_name} {loyalty_number} {program_name}")
    welcome_body: str | None = None
    custom_attributes_schema: JSON | None = strawberry.field(default=None, description="A JSON Schema")


@strawberry.type
class Segment:
    code: str
    name: str
    kind: str
    rule: JSON | None
    member_count: int
    refreshed_at: str | None
    unknown_loyalty_numbers: list[str]

    @classmethod
    def from_proto(cls, s: member_pb.Segment) -> "Segment":
        return cls(code=s.code, name=s.name, kind=s.kind, rule=json.loads(s.rule_json) if s.rule_json else None,
                   member_count=s.member_count, refreshed_at=s.refreshed_at or None,
                   unknown_loyalty_numbers=list(s.unknown_loyalty_numbers))


@strawberry.input
class SaveSegmentInput:
    program: str
    code: str
    name: str | None = None
    rule: JSON | None = strawberry.field(default=None, description="JsonLogic over member facts (docs/members.md)")
    loyalty_numbers_csv: str | None = strawberry.field(
        default=None, description="A static segment: CSV whose first column is the loyalty number")


@strawberry.type
class SegmentPreview:
    member_count: int
    sample_loyalty_numbers: list[str]


@strawberry.type
class MemberTier:
    slab_code: str
    tier_code: str
    tier_name: str
    level: int
    achieved_at: str


@strawberry.type
class ActivityItem:
    id: str
    kind: str
    reference: str
    points: Long
    occurred_at: str
    status: str
    amount: str | None
    currency: str | None
