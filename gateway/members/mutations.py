import csv
import io
import json

import strawberry

from loyalty.member.v1 import member_service_pb2 as member_pb
from services.common.errors import ErrorCode

from gateway.context import Info
from gateway.errors import graphql_error
from gateway.members.types import (
    ChangeMemberStatusInput,
    EnrollInput,
    EnrollPayload,
    EraseMemberInput,
    Member,
    MemberPayload,
    MemberSettings,
    MergeMembersInput,
    MergePayload,
    SaveSegmentInput,
    Segment,
    UpdateMemberProfileInput,
    UpdateMemberSettingsInput,
)
from gateway.permissions import Allow
from gateway.services import rpc

_PROFILE_FIELDS = ("email", "first_name", "last_name", "phone", "birth_date", "zip", "nationality")


def loyalty_numbers_from_csv(text: str) -> list[str]:
    """The first column of each row; a header row (not digits) is skipped."""
    numbers = []
    for row in csv.reader(io.StringIO(text)):
        if row and row[0].strip():
            value = row[0].strip()
            if value.isdigit():
                numbers.append(value)
            elif numbers:
                raise graphql_error(ErrorCode.INVALID_INPUT, f"loyaltyNumbersCsv: {value!r} is not a loyalty number",
                                    field="loyaltyNumbersCsv")
    return numbers


@strawberry.type
class MemberMutations:
    @strawberry.mutation(permission_classes=[Allow("member.enroll")])
    async def enroll(self, info: Info, input: EnrollInput) -> EnrollPayload:
        md = await info.context.metadata(input.program)
        member = await rpc(info.context.services.member.Enroll(
            member_pb.EnrollRequest(
                email=input.email, first_name=input.first_name, last_name=input.last_name, phone=input.phone or "",
                birth_date=input.birth_date or "", channel=input.channel or "", zip=input.zip or "",
                nationality=input.nationality or "",
                consents=input.consents.to_proto() if input.consents else None,
                custom_attributes_json=json.dumps(input.custom_attributes) if input.custom_attributes is not None
                else "",
                opted_in_at=input.opted_in_at or "",
            ),
            metadata=md, timeout=10,
        ))
        return EnrollPayload(member=Member.from_proto(member, input.program))

    @strawberry.mutation(permission_classes=[Allow("member.update")],
                         description="Changes only the fields given; validated like an enrolment")
    async def update_member_profile(self, info: Info, input: UpdateMemberProfileInput) -> MemberPayload:
        md = await info.context.metadata(input.program)
        fields = [f for f in _PROFILE_FIELDS if getattr(input, f) is not None]
        request = member_pb.UpdateProfileRequest(loyalty_number=input.loyalty_number,
                                                 **{f: getattr(input, f) for f in fields})
        if input.consents is not None:
            fields.append("consents")
            request.consents.CopyFrom(input.consents.to_proto())
        if input.custom_attributes is not None:
            fields.append("custom_attributes")
            request.custom_attributes_json = json.dumps(input.custom_attributes)
        request.fields.extend(fields)
        member = await rpc(info.context.services.member.UpdateProfile(request, metadata=md, timeout=10))
        return MemberPayload(member=Member.from_proto(member, input.program))

    @strawberry.mutation(permission_classes=[Allow("member.status")])
    async def change_member_status(self, info: Info, input: ChangeMemberStatusInput) -> MemberPayload:
        md = await info.context.metadata(input.program)
        member = await rpc(info.context.services.member.ChangeStatus(
            member_pb.ChangeStatusRequest(loyalty_number=input.loyalty_number, status=input.status,
                                          reason=input.reason),
            metadata=md, timeout=10))
        return MemberPayload(member=Member.from_proto(member, input.program))

    @strawberry.mutation(permission_classes=[Allow("member.merge")],
                         description="Safe to retry: an interrupted merge resumes where it stopped")
    async def merge_members(self, info: Info, input: MergeMembersInput) -> MergePayload:
        md = await info.context.metadata(input.program)
        result = await rpc(info.context.services.member.MergeMembers(
            member_pb.MergeMembersRequest(from_loyalty_number=input.from_loyalty_number,
                                          to_loyalty_number=input.to_loyalty_number, reason=input.reason),
            metadata=md, timeout=60))
        return MergePayload(merge_id=result.merge_id, state=result.state, reference=result.reference,
                            from_member=Member.from_proto(result.from_member, input.program),
                            to_member=Member.from_proto(result.to_member, input.program))

    @strawberry.mutation(permission_classes=[Allow("member.erase")],
                         description="Removes the member's personal data for good; the ledger stays whole")
    async def erase_member(self, info: Info, input: EraseMemberInput) -> MemberPayload:
        md = await info.context.metadata(input.program)
        member = await rpc(info.context.services.member.EraseMember(
            member_pb.EraseMemberRequest(loyalty_number=input.loyalty_number), metadata=md, timeout=10))
        return MemberPayload(member=Member.from_proto(member, input.program))

    @strawberry.mutation(permission_classes=[Allow("member.update")],
                         description="Welcome mail template and custom attributes schema; fields left out stay")
    async def update_member_settings(self, info: Info, input: UpdateMemberSettingsInput) -> MemberSettings:
        md = await info.context.metadata(input.program)
        stub = info.context.services.member
        current = await rpc(stub.GetMemberSettings(member_pb.GetMemberSettingsRequest(), metadata=md, timeout=5))
        if input.welcome_enabled is not None:
            current.welcome_enabled = input.welcome_enabled
        if input.welcome_subject is not None:
            current.welcome_subject = input.welcome_subject
        if input.welcome_body is not None:
            current.welcome_body = input.welcome_body
        if input.custom_attributes_schema is not None:
            current.custom_attributes_schema_json = json.dumps(input.custom_attributes_schema)
        return MemberSettings.from_proto(await rpc(stub.UpdateMemberSettings(current, metadata=md, timeout=5)))

    @strawberry.mutation(permission_classes=[Allow("segment.manage")],
                         description="A rule segment (JsonLogic) or a static one (CSV of loyalty numbers)")
    async def save_segment(self, info: Info, input: SaveSegmentInput) -> Segment:
        md = await info.context.metadata(input.program)
        if (input.rule is None) == (input.loyalty_numbers_csv is None):
            raise graphql_error(ErrorCode.INVALID_INPUT, "rule: give either a rule or loyaltyNumbersCsv",
                                field="rule")
        request = member_pb.SaveSegmentRequest(code=input.code, name=input.name or "")
        if input.rule is not None:
            request.rule_json = json.dumps(input.rule)
        else:
            request.is_static = True
            request.loyalty_numbers.extend(loyalty_numbers_from_csv(input.loyalty_numbers_csv))
        return Segment.from_proto(await rpc(info.context.services.member.SaveSegment(request, metadata=md,
                                                                                     timeout=120)))

    @strawberry.mutation(permission_classes=[Allow("segment.manage")])
    async def refresh_segments(self, info: Info, program: str, codes: list[str] | None = None) -> list[Segment]:
        md = await info.context.metadata(program)
        found = await rpc(info.context.services.member.RefreshSegments(
            member_pb.RefreshSegmentsRequest(codes=codes or []), metadata=md, timeout=300))
        return [Segment.from_proto(s) for s in found.segments]
