"""gRPC servicer of PointsService: translates proto <-> domain, nothing else.

The only module of the ledger's side that reads or writes its protos: each request becomes a
ledger command (commands.py validates it), each answer a response. Commands and answers mirror
the messages field by field (`from` is `since`). The idempotent operations get a Replay made from
the wire request: the fingerprint and the stored answer are the protos' bytes, as they always
were, so a key stored by an earlier version replays the same answer.
"""

import dataclasses
import functools
import keyword
from collections.abc import Awaitable, Callable

import asyncpg
import grpc
from google.protobuf.message import Message

from loyalty.common.v1 import program_pb2
from loyalty.points.v1 import points_service_pb2 as pb
from loyalty.points.v1 import points_service_pb2_grpc as pb_grpc
from services.common.idempotency import Replay, request_fingerprint
from services.common.tenancy import require_program
from services.points.ledger import adjusting, commands, earning, members, programs, results, spending, summary
from services.points.ledger import voiding
from services.points.ledger.earn_policy import EarnLine, EarnPolicy
from services.points.ledger.events import LedgerEventRelay
from services.points.ledger.cards import MemberCards
from services.points.ledger.hooks import LedgerHooks

RENAMED = {"since": "from"}  # command field -> message field (a Python keyword)
# Repeated message fields of the answers: the dataclass each element becomes.
ELEMENTS = {pb.EarnLine: EarnLine, pb.Transaction: results.Transaction, pb.ExpiringPoints: results.ExpiringPoints, pb.Lot: results.Lot,
            pb.LiabilityRow: results.LiabilityRow, pb.BreakageRow: results.BreakageRow,
            pb.ActivityRow: results.ActivityRow}


@functools.cache
def _command_plan(cls, descriptor) -> tuple[tuple[str, str, str], ...]:
    """(command field, message field, how to copy it) for each field the command takes from the message."""
    plan = []
    for f in dataclasses.fields(cls):
        name = RENAMED.get(f.name, f.name)
        if f.init and name in descriptor.fields_by_name:
            field = descriptor.fields_by_name[name]
            plan.append((f.name, name, "items" if f.name == "items" else "tuple" if field.is_repeated else "value"))
    return tuple(plan)


def command(cls, request: Message, **extra):
    """The command `cls` with the request's fields of the same names (repeated ones as tuples)."""
    values = {}
    for name, source, how in _command_plan(cls, request.DESCRIPTOR):
        if name in extra:
            continue
        value = getattr(request, source)
        if how == "items":
            value = tuple(commands.Item(sku=i.sku, category=i.category, quantity=i.quantity, price=i.price)
                          for i in value)
        elif how == "tuple":
            value = tuple(value)
        values[name] = value
    return cls(**values, **extra)


@functools.cache
def _builder(message_type) -> Callable[[object], Message]:
    """A function making `message_type` from an answer with fields of the same names, generated
    with plain keyword arguments (as dataclasses generates its methods): a rule-rich earn's
    lines made a generic loop a measurable share of the earn. Sub-messages (all in pb) by their
    own builders."""
    scope = {"message_type": message_type}
    arguments = []
    for f in message_type.DESCRIPTOR.fields:
        if keyword.iskeyword(f.name):
            raise ValueError(f"{message_type.__name__}.{f.name} cannot be a keyword argument")
        if f.message_type is None:
            arguments.append(f"{f.name}=answer.{f.name}")
        else:
            scope[f"build_{f.name}"] = _builder(getattr(pb, f.message_type.name))
            arguments.append(f"{f.name}=[build_{f.name}(v) for v in answer.{f.name}]")
    exec(f"def build(answer):\n    return message_type({', '.join(arguments)})", scope)  # noqa: S102 - names from descriptors
    return scope["build"]


def response(message_type: type[Message], answer) -> Message:
    """The message with the answer's fields of the same names (tuples of dataclasses as sub-messages)."""
    return _builder(message_type)(answer)


def answer(cls, message: Message):
    """The reverse of `response`, for an answer kept as a message's bytes."""
    values = {}
    for f in dataclasses.fields(cls):
        value = getattr(message, f.name)
        field = message.DESCRIPTOR.fields_by_name[f.name]
        if field.message_type is not None:
            value = tuple(answer(ELEMENTS[getattr(pb, field.message_type.name)], v) for v in value)
        elif field.is_repeated:
            value = tuple(value)
        values[f.name] = value
    return cls(**values)


def replay(request: Message, message_type: type[Message], answer_type) -> Replay:
    def encode(a) -> bytes:
        message = response(message_type, a)
        encode.built = (a, message)
        return message.SerializeToString(deterministic=True)

    encode.built = None
    return Replay(fingerprint=request_fingerprint(request), encode=encode,
                  decode=lambda raw: answer(answer_type, message_type.FromString(raw)))


def reply(replay_: Replay, message_type: type[Message], answer_) -> Message:
    """The answer as a message: the one built to store it, when it is that very answer (a rule-rich
    earn's lines made building it twice a measurable share of the earn)."""
    built = getattr(replay_.encode, "built", None)
    if built is not None and built[0] is answer_:
        return built[1]
    return response(message_type, answer_)


def void_replay(command_: commands.Void) -> Replay:
    """For voids the service asks itself (the importer): the same fingerprint a VoidRequest of them has."""
    request = pb.VoidRequest(reference=command_.reference, target_reference=command_.target_reference,
                             points=command_.points, reason=command_.reason, loyalty_number=command_.loyalty_number)
    return replay(request, pb.PostingResponse, results.Posted)


def provision_command(spec: program_pb2.ProgramSpec) -> commands.ProvisionProgram:
    return commands.ProvisionProgram(
        id=spec.id, code=spec.code, currency=spec.currency, timezone=spec.timezone, expiry_days=spec.expiry.days,
        expiry_round_to_month_end=spec.expiry.round_to_month_end, archived=spec.archived,
        retro_claim_days=spec.retro_claim_days, hold_timeout_seconds=spec.hold_timeout_seconds)


async def _answer(stored: Replay, message_type: type[Message], answered: Awaitable) -> Message:
    return reply(stored, message_type, await answered)


class PointsServicer(pb_grpc.PointsServiceServicer):
    def __init__(self, pool: asyncpg.Pool, *, earn_policy: EarnPolicy, hooks: LedgerHooks,
                 relay: LedgerEventRelay | None = None, cards: MemberCards | None = None):
        self._pool = pool
        self._earn_policy = earn_policy
        self._hooks = hooks
        self._relay = relay
        self._cards = cards

    async def _posted(self, context, posting: Awaitable[Message], *, kick: bool = True) -> Message:
        """Run a posting; once it committed: its events on their way, and its members' cards written through
        (read by its own transaction: ledger/changes.py)."""
        if self._cards is None:
            message = await posting
        else:
            message = await self._cards.posted(program_id=require_program(context).program_id, operation=posting)
        if kick and self._relay is not None:
            self._relay.kick()
        return message

    async def ProvisionProgram(self, request, context):
        created = await programs.provision(self._pool, provision_command(request.spec))
        return program_pb2.ProvisionProgramResponse(spec=request.spec, created=created)

    async def RegisterMember(self, request, context):
        ctx = require_program(context)
        await members.register(self._pool, program_id=ctx.program_id, hooks=self._hooks,
                               command=command(commands.RegisterMember, request))
        return pb.RegisterMemberResponse()

    async def Earn(self, request, context):
        ctx = require_program(context)
        stored = replay(request, pb.EarnResponse, results.Earned)
        return await self._posted(context, _answer(stored, pb.EarnResponse, earning.earn(
            self._pool, program_id=ctx.program_id, command=command(commands.Earn, request), policy=self._earn_policy,
            replay=stored)))

    async def RetroClaim(self, request, context):
        ctx = require_program(context)
        stored = replay(request, pb.EarnResponse, results.Earned)
        return await self._posted(context, _answer(stored, pb.EarnResponse, earning.retro_claim(
            self._pool, program_id=ctx.program_id, command=command(commands.RetroClaim, request),
            policy=self._earn_policy, replay=stored)))

    async def ActivatePending(self, request, context):
        return await self._posted(context, self._posting(earning.activate_pending, commands.ActivatePending,
                                                         request, context))

    async def Burn(self, request, context):
        return await self._posted(context, self._posting(spending.burn, commands.Burn, request, context))

    async def Hold(self, request, context):
        ctx = require_program(context)
        stored = replay(request, pb.HoldResponse, results.Held)
        return await self._posted(context, _answer(stored, pb.HoldResponse, spending.hold(
            self._pool, program_id=ctx.program_id, command=command(commands.Hold, request), replay=stored)),
            kick=False)

    async def CaptureHold(self, request, context):
        return await self._posted(context, self._posting(spending.capture, commands.CaptureHold, request, context))

    async def ReleaseHold(self, request, context):
        return await self._posted(context, self._posting(spending.release, commands.ReleaseHold, request, context),
                                  kick=False)

    async def Void(self, request, context):
        return await self._posted(context, self._posting(
            voiding.void, commands.Void, request, context, hooks=self._hooks, staff=True,
            stores=tuple(request.stores)))

    async def Adjust(self, request, context):
        return await self._posted(context, self._posting(adjusting.adjust, commands.Adjust, request, context,
                                                         staff=True))

    async def Goodwill(self, request, context):
        return await self._posted(context, self._posting(
            adjusting.goodwill, commands.Goodwill, request, context, staff=True, unlimited=request.unlimited))

    async def Transfer(self, request, context):
        return await self._posted(context, self._posting(adjusting.transfer, commands.Transfer, request, context,
                                                         staff=True))

    async def MergeMembers(self, request, context):
        return await self._posted(context, self._posting(adjusting.merge, commands.MergeMembers, request, context))

    async def ExtendExpiry(self, request, context):
        ctx = require_program(context)
        stored = replay(request, pb.ExtendExpiryResponse, results.Extended)
        return await self._posted(context, _answer(stored, pb.ExtendExpiryResponse, adjusting.extend_expiry(
            self._pool, program_id=ctx.program_id, command=command(commands.ExtendExpiry, request),
            replay=stored, actor=ctx.principal)), kick=False)

    async def _posting(self, operation, command_type, request, context, *, staff: bool = False,
                       **extra) -> pb.PostingResponse:
        """The operations that answer a PostingResponse; a staff operation's posting names who did it."""
        ctx = require_program(context)
        if staff:
            extra["actor"] = ctx.principal
        stored = replay(request, pb.PostingResponse, results.Posted)
        posted = await operation(self._pool, program_id=ctx.program_id, command=command(command_type, request),
                                 replay=stored, **extra)
        return reply(stored, pb.PostingResponse, posted)

    async def GetSummary(self, request, context):
        ctx = require_program(context)
        return response(pb.PointsSummary, await summary.member_summary(
            self._pool, program_id=ctx.program_id, loyalty_number=request.loyalty_number, cards=self._cards))

    async def ListTransactions(self, request, context):
        ctx = require_program(context)
        return response(pb.ListTransactionsResponse, await summary.history(
            self._pool, program_id=ctx.program_id, command=command(commands.ListTransactions, request)))

    async def ListExpiring(self, request, context):
        ctx = require_program(context)
        return response(pb.ListExpiringResponse, await summary.expiring(
            self._pool, program_id=ctx.program_id, command=command(commands.ListExpiring, request)))

    async def ListLots(self, request, context):
        ctx = require_program(context)
        return response(pb.ListLotsResponse, await summary.lots(
            self._pool, program_id=ctx.program_id, command=command(commands.ListLots, request)))

    async def GetLiability(self, request, context):
        ctx = require_program(context)
        return response(pb.LiabilityReport, await summary.liability(
            self._pool, program_id=ctx.program_id, command=command(commands.GetLiability, request)))

    async def GetBreakage(self, request, context):
        ctx = require_program(context)
        return response(pb.BreakageReport, await summary.breakage(
            self._pool, program_id=ctx.program_id, command=command(commands.GetBreakage, request)))

    async def ListProgramTransactions(self, request, context):
        ctx = require_program(context)
        return response(pb.ListTransactionsResponse, await summary.program_history(
            self._pool, program_id=ctx.program_id, command=command(commands.ListProgramTransactions, request)))

    async def GetActivity(self, request, context):
        ctx = require_program(context)
        return response(pb.ActivityReport, await summary.activity(
            self._pool, program_id=ctx.program_id, command=command(commands.GetActivity, request)))


    async def GetProgramLimits(self, request, context):
        ctx = require_program(context)
        return pb.ProgramLimits(goodwill_limit=await programs.limits(self._pool, program_id=ctx.program_id))

    async def SetProgramLimits(self, request, context):
        ctx = require_program(context)
        return pb.ProgramLimits(goodwill_limit=await programs.set_limits(
            self._pool, program_id=ctx.program_id, goodwill_limit=request.goodwill_limit))


def register(server: grpc.aio.Server, servicer: PointsServicer) -> None:
    pb_grpc.add_PointsServiceServicer_to_server(servicer, server)
