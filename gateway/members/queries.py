import json

import strawberry
from strawberry.scalars import JSON

from loyalty.member.v1 import member_service_pb2 as member_pb

from gateway.context import Info
from gateway.members import selection
from gateway.members.types import LikelyDuplicate, LikelyDuplicatePage, Member, MemberSearchResult, MemberSettings, Segment, SegmentPreview
from gateway.permissions import Allow, P
from gateway.services import rpc


# The member view's parts keyed by the number the query already names: asked for with the member, they
# leave with its lookup instead of after it (member 360's header: one round trip to the services, not two).
_VIEW_PARTS = {"points": ("points_summary_by_loyalty_number", P.POINTS_READ),
               "tiers": ("member_tiers_by_loyalty_number", P.TIER_READ)}


def _start_view_parts(info: Info, program: str, number: str) -> None:
    principal = info.context.principal
    if principal is None or principal.kind == "member" or not principal.may_act_on(program):
        return
    for selected in info.selected_fields[0].selections:
        part = _VIEW_PARTS.get(getattr(selected, "name", ""))
        if part is None or not principal.has(part[1].value, program):
            continue  # the field's own permission check answers for it
        started = getattr(info.context.loaders, part[0]).load((program, number))
        # Unawaited when the member is not found: its failure is the member's, not logged on its own.
        started.add_done_callback(lambda f: f.cancelled() or f.exception())


@strawberry.type
class MemberQueries:
    @strawberry.field(permission_classes=[Allow("member.read")])
    async def member(self, info: Info, program: str, loyalty_number: str) -> Member:
        _start_view_parts(info, program, loyalty_number)
        return Member.from_proto(await info.context.loaders.member_by_loyalty_number.load((program, loyalty_number)),
                                 program)

    @strawberry.field(permission_classes=[Allow(P.MEMBER_SEARCH)],
                      description="Prefix search by loyalty number, email, phone or name (case-insensitive)")
    async def search_members(
        self, info: Info, program: str, query: str, field: str | None = None, sort: str | None = None,
        descending: bool = False, first: int = 20, after: str | None = None, status: str | None = None,
    ) -> MemberSearchResult:
        md = await info.context.metadata(program)
        found = await rpc(info.context.services.member.SearchMembers(
            member_pb.SearchMembersRequest(query=query, field=field or "", sort=sort or "", descending=descending,
                                           page_size=first, page_token=after or "", status=status or "",
                                           fields=selection.member_fields(info)),
            metadata=md, timeout=5))
        return MemberSearchResult(members=[Member.from_proto(m, program) for m in found.members],
                                  next_page_token=found.next_page_token or None)

    @strawberry.field(permission_classes=[Allow(P.MEMBER_SEARCH)])
    async def likely_duplicate_members(self, info: Info, program: str, limit: int = 100) -> list[LikelyDuplicate]:
        md = await info.context.metadata(program)
        found = await rpc(info.context.services.member.ListLikelyDuplicates(
            member_pb.ListLikelyDuplicatesRequest(limit=limit), metadata=md, timeout=30))
        return [LikelyDuplicate(first=Member.from_proto(p.first, program), second=Member.from_proto(p.second, program),
                                reasons=list(p.reasons), score=p.score) for p in found.pairs]

    @strawberry.field(permission_classes=[Allow(P.MEMBER_SEARCH)],
                      description="The likely duplicates queue by page, highest score first; `query` matches either"
                                  " member's number, name, email or phone")
    async def likely_duplicates(
        self, info: Info, program: str, first: int = 50, after: str | None = None, min_score: int = 0,
        query: str | None = None,
    ) -> LikelyDuplicatePage:
        md = await info.context.metadata(program)
        found = await rpc(info.context.services.member.ListLikelyDuplicates(
            member_pb.ListLikelyDuplicatesRequest(limit=first, page_token=after or "", min_score=min_score,
                                                  query=query or ""), metadata=md, timeout=30))
        return LikelyDuplicatePage(
            pairs=[LikelyDuplicate(first=Member.from_proto(p.first, program), second=Member.from_proto(p.second, program),
                                   reasons=list(p.reasons), score=p.score) for p in found.pairs],
            next_cursor=found.next_page_token or None)

    @strawberry.field(permission_classes=[Allow(P.MEMBER_SEARCH)],
                      description="Everything the member service holds about a member (data subject access)")
    async def member_export(self, info: Info, program: str, loyalty_number: str) -> JSON:
        md = await info.context.metadata(program)
        found = await rpc(info.context.services.member.ExportMember(
            member_pb.GetMemberRequest(loyalty_number=loyalty_number), metadata=md, timeout=10))
        return json.loads(found.json)

    @strawberry.field(permission_classes=[Allow("member.read")])
    async def member_settings(self, info: Info, program: str) -> MemberSettings:
        md = await info.context.metadata(program)
        return MemberSettings.from_proto(await rpc(info.context.services.member.GetMemberSettings(
            member_pb.GetMemberSettingsRequest(), metadata=md, timeout=5)))

    @strawberry.field(permission_classes=[Allow("member.read")])
    async def segments(self, info: Info, program: str) -> list[Segment]:
        md = await info.context.metadata(program)
        found = await rpc(info.context.services.member.ListSegments(
            member_pb.ListSegmentsRequest(), metadata=md, timeout=5))
        return [Segment.from_proto(s) for s in found.segments]

    @strawberry.field(permission_classes=[Allow("segment.manage")],
                      description="How many members a JsonLogic rule matches now, without saving it")
    async def segment_preview(self, info: Info, program: str, rule: JSON, sample_size: int = 10) -> SegmentPreview:
        md = await info.context.metadata(program)
        found = await rpc(info.context.services.member.PreviewSegment(
            member_pb.PreviewSegmentRequest(rule_json=json.dumps(rule), sample_size=sample_size),
            metadata=md, timeout=120))
        return SegmentPreview(member_count=found.member_count,
                              sample_loyalty_numbers=list(found.sample_loyalty_numbers))
