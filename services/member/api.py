"""gRPC servicer: translates proto <-> domain, nothing else."""

import json
import uuid

import asyncpg
import grpc

from loyalty.common.v1 import events_pb2 as common_events_pb2
from loyalty.common.v1 import program_pb2
from loyalty.member.v1 import member_service_pb2 as pb
from loyalty.member.v1 import member_service_pb2_grpc as pb_grpc
from services.common import validation
from services.common.errors import invalid
from services.common.ledger_event import LedgerEvent
from services.common.outbox import OutboxRelay
from services.common.tenancy import require_program
from services.member import (
    api_keys, duplicates, enrolment, merge, privacy, profiles, programs, search, segments, statuses, welcome,
)
from services.member.member_proto import member_to_proto, search_response


def program_to_proto(row) -> program_pb2.ProgramSpec:
    return program_pb2.ProgramSpec(
        id=str(row["id"]), code=row["code"], name=row["name"], currency=row["currency"], timezone=row["timezone"],
        expiry=program_pb2.ExpiryPolicy(days=row["expiry_days"], round_to_month_end=row["expiry_round_to_month_end"]),
        archived=row["archived_at"] is not None,
    )


def consents(message: pb.MarketingConsents) -> profiles.Consents:
    return profiles.Consents(email=message.email, sms=message.sms, post=message.post)


def segment_to_proto(row, unknown: list[str] | None = None) -> pb.Segment:
    return pb.Segment(
        code=row["code"], name=row["name"], kind=row["kind"],
        rule_json=json.dumps(row["rule"], sort_keys=True) if row["rule"] is not None else "",
        member_count=row["member_count"], refreshed_at=row["refreshed_at"].isoformat() if row["refreshed_at"] else "",
        unknown_loyalty_numbers=unknown or [],
    )


def settings_to_proto(settings: welcome.Settings) -> pb.MemberSettings:
    return pb.MemberSettings(
        welcome_enabled=settings.welcome_enabled, welcome_subject=settings.welcome_subject,
        welcome_body=settings.welcome_body,
        custom_attributes_schema_json=json.dumps(settings.custom_attributes_schema, sort_keys=True)
        if settings.custom_attributes_schema is not None else "",
    )


def _member_key(request) -> dict:
    which = request.WhichOneof("by")
    if which == "member_id":
        try:
            return {"member_id": uuid.UUID(request.member_id)}
        except ValueError:
            raise invalid("memberId", "is not a UUID") from None
    return {"loyalty_number": request.loyalty_number}


def _program_id(raw: str) -> uuid.UUID | None:
    if not raw:
        return None
    return validation.uuid_value(raw, "spec.id")


class MemberServicer(pb_grpc.MemberServiceServicer):
    def __init__(self, pool: asyncpg.Pool, relay: OutboxRelay, *, mail: welcome.MailRelay | None = None,
                 points=None):
        self._pool = pool
        self._relay = relay
        self._mail = mail
        self._points = points

    async def _deliver(self) -> None:
        """After commit: the points service hears of the change before the caller's next call."""
        await self._relay.deliver_batch()
        if self._mail is not None:
            self._mail.kick()

    async def ProvisionProgram(self, request, context):
        spec = request.spec
        row, created = await programs.provision(
            self._pool,
            programs.ProgramInput(
                code=spec.code, name=spec.name, currency=spec.currency, timezone=spec.timezone,
                expiry_days=spec.expiry.days, expiry_round_to_month_end=spec.expiry.round_to_month_end,
                program_id=_program_id(spec.id), archived=spec.archived,
            ),
        )
        return program_pb2.ProvisionProgramResponse(spec=program_to_proto(row), created=created)

    async def GetProgram(self, request, context):
        return program_to_proto(await programs.get_by_code(self._pool, request.code))

    async def ListPrograms(self, request, context):
        rows = await programs.list_all(self._pool, include_archived=request.include_archived)
        return pb.ListProgramsResponse(programs=[program_to_proto(r) for r in rows])

    async def Enroll(self, request, context):
        ctx = require_program(context)
        member = await enrolment.enroll(
            self._pool,
            program_id=ctx.program_id,
            data=enrolment.EnrolmentInput(
                email=request.email, first_name=request.first_name, last_name=request.last_name,
                phone=request.phone, birth_date=request.birth_date, channel=request.channel, zip=request.zip,
                nationality=request.nationality, consents=consents(request.consents),
                custom_attributes_json=request.custom_attributes_json, opted_in_at=request.opted_in_at,
            ),
        )
        # Deliver LOY_OPT_IN to the points service now, so an earn right after enrolment works;
        # the welcome mail goes out in the background.
        await self._deliver()
        return member_to_proto(member)

    async def GetMember(self, request, context):
        ctx = require_program(context)
        which = request.WhichOneof("by")
        member = await enrolment.get_member(
            self._pool, program_id=ctx.program_id,
            loyalty_number=request.loyalty_number if which == "loyalty_number" else "",
            member_id=uuid.UUID(request.member_id) if which == "member_id" else None,
        )
        return member_to_proto(member)

    async def CreateApiKey(self, request, context):
        ctx = require_program(context)
        key_id, api_key = await api_keys.create(
            self._pool, program_id=ctx.program_id, name=request.name, scopes=list(request.scopes),
            created_by=ctx.principal, store=request.store,
        )
        return pb.CreateApiKeyResponse(key_id=key_id, api_key=api_key)

    async def AuthenticateApiKey(self, request, context):
        principal = await api_keys.authenticate(self._pool, request.api_key)
        return pb.ApiKeyPrincipal(
            key_id=principal.key_id, program_id=str(principal.program_id), program_code=principal.program_code,
            scopes=principal.scopes, expires_at=principal.expires_at.isoformat() if principal.expires_at else "",
            store=principal.store,
        )

    async def ListApiKeys(self, request, context):
        ctx = require_program(context)
        rows = await api_keys.list_keys(self._pool, program_id=ctx.program_id, include_revoked=request.include_revoked)
        return pb.ListApiKeysResponse(keys=[_key_info(r) for r in rows])

    async def RevokeApiKey(self, request, context):
        ctx = require_program(context)
        return _key_info(await api_keys.revoke(self._pool, program_id=ctx.program_id, key_id=request.key_id,
                                               revoked_by=ctx.principal))

    async def RotateApiKey(self, request, context):
        ctx = require_program(context)
        key_id, api_key = await api_keys.rotate(self._pool, program_id=ctx.program_id, key_id=request.key_id,
                                                grace_seconds=request.grace_seconds, created_by=ctx.principal)
        return pb.CreateApiKeyResponse(key_id=key_id, api_key=api_key)


    async def UpdateProfile(self, request, context):
        ctx = require_program(context)
        member = await profiles.update_profile(
            self._pool, program_id=ctx.program_id, loyalty_number=request.loyalty_number,
            change=profiles.ProfileChange(
                fields=frozenset(request.fields), email=request.email, first_name=request.first_name,
                last_name=request.last_name, phone=request.phone, birth_date=request.birth_date, zip=request.zip,
                nationality=request.nationality, consents=consents(request.consents),
                custom_attributes_json=request.custom_attributes_json,
            ),
        )
        return member_to_proto(member)

    async def ChangeStatus(self, request, context):
        ctx = require_program(context)
        member = await statuses.change_status(
            self._pool, program_id=ctx.program_id, loyalty_number=request.loyalty_number, status=request.status,
            reason=request.reason, changed_by=ctx.principal,
        )
        await self._deliver()
        return member_to_proto(member)

    async def ListStatusHistory(self, request, context):
        ctx = require_program(context)
        rows = await statuses.history(self._pool, program_id=ctx.program_id, loyalty_number=request.loyalty_number)
        return pb.StatusHistory(changes=[
            pb.StatusChange(from_status=r["from_status"], to_status=r["to_status"], reason=r["reason"],
                            changed_by=r["changed_by"], changed_at=r["changed_at"].isoformat()) for r in rows
        ])

    async def SearchMembers(self, request, context):
        ctx = require_program(context)
        query = search.SearchQuery(
            query=request.query, field=request.field, sort=request.sort, descending=request.descending,
            page_size=request.page_size, page_token=request.page_token, status=request.status,
            fields=frozenset(request.fields),
        )
        rows, token = await search.search(self._pool, program_id=ctx.program_id, query=query)
        return search_response(rows, token, fields=search.page_fields(query))

    async def ListLikelyDuplicates(self, request, context):
        ctx = require_program(context)
        pairs, token = await duplicates.likely_duplicates(
            self._pool, program_id=ctx.program_id, limit=request.limit, page_token=request.page_token,
            min_score=request.min_score, query=request.query)
        return pb.LikelyDuplicates(next_page_token=token, pairs=[
            pb.LikelyDuplicate(first=member_to_proto(a), second=member_to_proto(b), reasons=reasons, score=score)
            for a, b, reasons, score in pairs
        ])

    async def MergeMembers(self, request, context):
        ctx = require_program(context)
        outcome = await merge.merge(
            self._pool, self._points, program_id=ctx.program_id, from_number=request.from_loyalty_number,
            to_number=request.to_loyalty_number, reason=request.reason, requested_by=ctx.principal,
        )
        await self._deliver()
        return pb.MergeResult(merge_id=str(outcome.merge_id), state=outcome.state, reference=outcome.reference,
                              from_member=member_to_proto(outcome.from_member),
                              to_member=member_to_proto(outcome.to_member))

    async def ExportMember(self, request, context):
        ctx = require_program(context)
        return pb.MemberExport(json=await privacy.export(
            self._pool, program_id=ctx.program_id, loyalty_number=request.loyalty_number))

    async def EraseMember(self, request, context):
        ctx = require_program(context)
        member = await privacy.erase(self._pool, program_id=ctx.program_id, loyalty_number=request.loyalty_number,
                                     erased_by=ctx.principal)
        await self._deliver()
        return member_to_proto(member)

    async def GetMemberSettings(self, request, context):
        ctx = require_program(context)
        return settings_to_proto(await welcome.get_settings(self._pool, program_id=ctx.program_id))

    async def UpdateMemberSettings(self, request, context):
        ctx = require_program(context)
        return settings_to_proto(await welcome.update_settings(
            self._pool, program_id=ctx.program_id, welcome_enabled=request.welcome_enabled,
            welcome_subject=request.welcome_subject, welcome_body=request.welcome_body,
            custom_attributes_schema_json=request.custom_attributes_schema_json, updated_by=ctx.principal,
        ))

    async def SaveSegment(self, request, context):
        ctx = require_program(context)
        row, unknown = await segments.save(
            self._pool, program_id=ctx.program_id, code=request.code, name=request.name, rule_json=request.rule_json,
            loyalty_numbers=list(request.loyalty_numbers), is_static=request.is_static, updated_by=ctx.principal,
        )
        return segment_to_proto(row, unknown)

    async def ListSegments(self, request, context):
        ctx = require_program(context)
        return pb.SegmentList(segments=[
            segment_to_proto(r) for r in await segments.list_segments(self._pool, program_id=ctx.program_id)])

    async def PreviewSegment(self, request, context):
        ctx = require_program(context)
        count, sample = await segments.preview(self._pool, program_id=ctx.program_id, rule_json=request.rule_json,
                                               sample_size=request.sample_size or 10)
        return pb.SegmentPreview(member_count=count, sample_loyalty_numbers=sample)

    async def RefreshSegments(self, request, context):
        ctx = require_program(context)
        rows = await segments.refresh_segments(self._pool, program_id=ctx.program_id, codes=list(request.codes))
        return pb.SegmentList(segments=[segment_to_proto(r) for r in rows])

    async def GetMemberSegments(self, request, context):
        ctx = require_program(context)
        member_id, codes = await segments.member_segments(self._pool, program_id=ctx.program_id,
                                                          **_member_key(request))
        return pb.MemberSegments(member_id=str(member_id), segment_codes=codes)

    async def ConsumeLedgerEvents(self, request, context):
        accepted = await segments.apply_ledger_activity(self._pool, [LedgerEvent.of(e) for e in request.events])
        return common_events_pb2.ConsumeAck(accepted=accepted)


def register(server: grpc.aio.Server, servicer: MemberServicer) -> None:
    pb_grpc.add_MemberServiceServicer_to_server(servicer, server)


def _key_info(row) -> pb.ApiKeyInfo:
    def iso(value) -> str:
        return value.isoformat() if value else ""

    return pb.ApiKeyInfo(key_id=row["key_id"], name=row["name"], scopes=list(row["scopes"]),
                         created_by=row["created_by"], created_at=iso(row["created_at"]),
                         revoked_at=iso(row["revoked_at"]), expires_at=iso(row["expires_at"]),
                         last_used_at=iso(row["last_used_at"]), rotated_to=row["rotated_to"] or "")
