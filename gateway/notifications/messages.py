"""Member messages over GraphQL: templates (read with program.read, saved with program.manage),
their preview over a member and the message log (member.read: they show a member's data)."""

import strawberry

from loyalty.notifications.v1 import notifications_service_pb2 as pb

from gateway.context import Info
from gateway.permissions import Allow, P
from gateway.services import rpc

KINDS_NOTE = ("welcome, expiry_warning, tier_upgrade, tier_downgrade, close_to_tier_upgrade, transfer_sent, "
              "transfer_received, reward_claimed")


@strawberry.type(description="A program's wording of a member message kind in a language (Jinja2, sandboxed: "
                             "member.*, program.*, data.* of the event)")
class MessageTemplate:
    kind: str = strawberry.field(description=KINDS_NOTE)
    language: str
    subject: str
    body: str
    sms: str = strawberry.field(description="The SMS text; empty: the subject")
    default: bool = strawberry.field(description="The shipped wording: the program has not written this kind")
    updated_by: str
    updated_at: str

    @classmethod
    def from_proto(cls, t: pb.MessageTemplate) -> "MessageTemplate":
        return cls(kind=t.kind, language=t.language, subject=t.subject, body=t.body, sms=t.sms, default=t.default,
                   updated_by=t.updated_by, updated_at=t.updated_at)


@strawberry.type
class MessagePreview:
    subject: str
    body: str
    sms: str
    language: str = strawberry.field(description="The template's language (the fallback's when none is written)")


@strawberry.type(description="One member message and what became of it")
class MessageLogEntry:
    id: strawberry.ID
    kind: str
    loyalty_number: str
    status: str = strawberry.field(description="queued, sent, failed or skipped (error says why)")
    channel: str = strawberry.field(description="email or sms; empty until chosen")
    recipient: str
    subject: str
    attempts: int
    not_before: str = strawberry.field(description="Not sent before this (quiet hours, retries)")
    created_at: str
    sent_at: str
    error: str

    @classmethod
    def from_proto(cls, m: pb.MessageLogEntry) -> "MessageLogEntry":
        return cls(id=strawberry.ID(str(m.id)), kind=m.kind, loyalty_number=m.loyalty_number, status=m.status,
                   channel=m.channel, recipient=m.recipient, subject=m.subject, attempts=m.attempts,
                   not_before=m.not_before, created_at=m.created_at, sent_at=m.sent_at, error=m.error)


@strawberry.input
class SaveMessageTemplateInput:
    program: str
    kind: str = strawberry.field(description=KINDS_NOTE)
    language: str
    subject: str
    body: str
    sms: str = ""


@strawberry.type
class MessageQueries:
    @strawberry.field(permission_classes=[Allow(P.PROGRAM_READ)],
                      description="The program's message templates, and the shipped default of each kind not written")
    async def message_templates(self, info: Info, program: str) -> list[MessageTemplate]:
        md = await info.context.metadata(program)
        reply = await rpc(info.context.services.notifications.ListMessageTemplates(
            pb.ListMessageTemplatesRequest(), metadata=md, timeout=5))
        return [MessageTemplate.from_proto(t) for t in reply.templates]

    @strawberry.field(permission_classes=[Allow(P.MEMBER_READ)],
                      description="The kind's template rendered over the member's real data")
    async def preview_message(self, info: Info, program: str, kind: str, language: str,
                              loyalty_number: str) -> MessagePreview:
        md = await info.context.metadata(program)
        reply = await rpc(info.context.services.notifications.PreviewMessage(pb.PreviewMessageRequest(
            kind=kind, language=language, loyalty_number=loyalty_number), metadata=md, timeout=10))
        return MessagePreview(subject=reply.subject, body=reply.body, sms=reply.sms, language=reply.language)

    @strawberry.field(permission_classes=[Allow(P.MEMBER_READ)],
                      description="The member messages, newest first; without loyaltyNumber every member's")
    async def message_log(self, info: Info, program: str, loyalty_number: str | None = None,
                          first: int = 100) -> list[MessageLogEntry]:
        md = await info.context.metadata(program)
        reply = await rpc(info.context.services.notifications.ListMessages(pb.ListMessagesRequest(
            loyalty_number=loyalty_number or "", limit=first), metadata=md, timeout=10))
        return [MessageLogEntry.from_proto(m) for m in reply.messages]


@strawberry.type
class MessageMutations:
    @strawberry.mutation(permission_classes=[Allow(P.PROGRAM_MANAGE)],
                         description="Write the program's template of a kind and language; one that does not "
                                     "render is refused (INVALID_INPUT naming the line)")
    async def save_message_template(self, info: Info, input: SaveMessageTemplateInput) -> MessageTemplate:
        md = await info.context.metadata(input.program)
        saved = await rpc(info.context.services.notifications.SaveMessageTemplate(pb.SaveMessageTemplateRequest(
            kind=input.kind, language=input.language, subject=input.subject, body=input.body, sms=input.sms),
            metadata=md, timeout=10))
        return MessageTemplate.from_proto(saved)


@strawberry.type(description="How a program's member messages go out")
class MessageSettings:
    fallback_language: str = strawberry.field(description="Used when a member's language has no template")
    time_zone: str = strawberry.field(description="IANA; the quiet hours are in it (empty: the program's own)")
    quiet_start: str = strawberry.field(description="HH:MM local; no message goes out from here to quietEnd")
    quiet_end: str
    expiry_offsets: list[int] = strawberry.field(description="Days before points expire that a warning goes out")

    @classmethod
    def from_proto(cls, s: pb.MessageSettings) -> "MessageSettings":
        return cls(fallback_language=s.fallback_language, time_zone=s.time_zone, quiet_start=s.quiet_start,
                   quiet_end=s.quiet_end, expiry_offsets=list(s.expiry_offsets))


@strawberry.input
class SaveMessageSettingsInput:
    program: str
    fallback_language: str = "en"
    time_zone: str = strawberry.field(default="", description="IANA; empty: the program's own time zone")
    quiet_start: str = strawberry.field(default="00:00", description="HH:MM; equal to quietEnd: no quiet hours")
    quiet_end: str = "00:00"
    expiry_offsets: list[int] = strawberry.field(default_factory=lambda: [30, 7])


@strawberry.type
class MessageSettingsQueries:
    @strawberry.field(permission_classes=[Allow(P.PROGRAM_READ)])
    async def message_settings(self, info: Info, program: str) -> MessageSettings:
        md = await info.context.metadata(program)
        return MessageSettings.from_proto(await rpc(info.context.services.notifications.GetMessageSettings(
            pb.GetMessageSettingsRequest(), metadata=md, timeout=5)))


@strawberry.type
class MessageSettingsMutations:
    @strawberry.mutation(permission_classes=[Allow(P.PROGRAM_MANAGE)],
                         description="Fallback language, quiet hours in the program's time zone, expiry offsets")
    async def save_message_settings(self, info: Info, input: SaveMessageSettingsInput) -> MessageSettings:
        md = await info.context.metadata(input.program)
        return MessageSettings.from_proto(await rpc(info.context.services.notifications.SaveMessageSettings(
            pb.MessageSettings(fallback_language=input.fallback_language, time_zone=input.time_zone,
                               quiet_start=input.quiet_start, quiet_end=input.quiet_end,
                               expiry_offsets=input.expiry_offsets), metadata=md, timeout=5)))

