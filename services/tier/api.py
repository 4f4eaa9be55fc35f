"""gRPC servicer: translates proto <-> domain, nothing else."""

import datetime as dt

import asyncpg
import grpc

from loyalty.common.v1 import events_pb2, program_pb2
from loyalty.tier.v1 import tier_service_pb2 as pb
from loyalty.tier.v1 import tier_service_pb2_grpc as pb_grpc
from services.common import program_copy
from services.common.ledger_event import LedgerEvent
from services.common.outbox import OutboxRelay
from services.common.tenancy import require_program
from services.tier import activity, dates, definitions, evaluation, freezes, members, reports


def _num(value) -> str:
    return format(value.normalize(), "f") if value is not None else ""


def tier_to_proto(t: definitions.Tier) -> pb.Tier:
    return pb.Tier(code=t.code, name=t.name, benefits=t.benefits, earn_multiplier=_num(t.earn_multiplier),
                   threshold=_num(t.threshold), retention_threshold=_num(t.retention_threshold),
                   validity_months=t.validity_months or 0, level=t.level)


def slab_to_proto(s: definitions.Slab) -> pb.Slab:
    return pb.Slab(code=s.code, name=s.name, metric=s.metric, window_length=s.window_length,
                   window_unit=s.window_unit, downgrade=s.downgrade, grace_days=s.grace_days,
                   close_to_upgrade_percent=s.close_to_upgrade_percent, tiers=[tier_to_proto(t) for t in s.tiers])


def _achieved_at(day: dt.date | None) -> str:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc).isoformat() if day else ""


def member_tiers_to_proto(member_id, tiers: list[members.CurrentTier]) -> pb.MemberTiers:
    return pb.MemberTiers(member_id=str(member_id) if member_id else "", tiers=[
        pb.MemberTier(
            slab_code=c.slab.code, tier_code=c.tier.code, tier_name=c.tier.name, level=c.level,
            earn_multiplier=_num(c.tier.earn_multiplier), achieved_at=_achieved_at(c.achieved_on),
            lapses_on=dates.iso(c.lapse_on),
            override_tier_code=c.slab.tier(c.override_level).code if c.override_level is not None else "",
            override_ends_on=dates.iso(c.override_ends_on), benefits=c.tier.benefits,
        ) for c in tiers
    ])


def freeze_to_proto(row) -> pb.FreezeWindow:
    return pb.FreezeWindow(id=row["id"], starts_on=row["starts_on"].isoformat(), ends_on=row["ends_on"].isoformat(),
                           reason=row["reason"], created_by=row["created_by"])


def program_copy_of(spec: program_pb2.ProgramSpec) -> program_copy.ProgramCopy:
    return program_copy.ProgramCopy(id=spec.id, code=spec.code, currency=spec.currency, timezone=spec.timezone,
                                    archived=spec.archived)


class TierServicer(pb_grpc.TierServiceServicer):
    def __init__(self, pool: asyncpg.Pool, relay: OutboxRelay | None = None):
        self._pool = pool
        self._relay = relay

    def _kick(self) -> None:
        if self._relay is not None:
            self._relay.kick()

    async def ProvisionProgram(self, request, context):
        created = await program_copy.provision(self._pool, program_copy_of(request.spec))
        return program_pb2.ProvisionProgramResponse(spec=request.spec, created=created)

    async def ConsumeLedgerEvents(self, request, context):
        ctx = require_program(context)
        accepted = await activity.consume(self._pool, program_id=ctx.program_id,
                                          events=[LedgerEvent.of(e) for e in request.events])
        self._kick()
        return events_pb2.ConsumeAck(accepted=accepted)

    async def GetMemberTiers(self, request, context):
        ctx = require_program(context)
        which = request.WhichOneof("by")
        member_id, tiers = await members.member_tiers(
            self._pool, program_id=ctx.program_id,
            loyalty_number=request.loyalty_number if which == "loyalty_number" else "",
            member_id=request.member_id if which == "member_id" else "",
        )
        if member_id is None and which == "member_id":
            member_id = request.member_id
        return member_tiers_to_proto(member_id, tiers)

    async def DefineSlab(self, request, context):
        ctx = require_program(context)
        slab = await definitions.define(self._pool, program_id=ctx.program_id, slab=definitions.validate(request.slab))
        return slab_to_proto(slab)

    async def ListSlabs(self, request, context):
        ctx = require_program(context)
        slabs = await definitions.list_slabs(self._pool, program_id=ctx.program_id)
        return pb.ListSlabsResponse(slabs=[slab_to_proto(s) for s in slabs])

    async def AddFreezeWindow(self, request, context):
        ctx = require_program(context)
        row = await freezes.add(self._pool, program_id=ctx.program_id, starts_on=request.starts_on,
                                ends_on=request.ends_on, reason=request.reason, created_by=ctx.principal)
        return freeze_to_proto(row)

    async def RemoveFreezeWindow(self, request, context):
        ctx = require_program(context)
        await freezes.remove(self._pool, program_id=ctx.program_id, freeze_id=request.id)
        return pb.RemoveFreezeWindowResponse()

    async def ListFreezeWindows(self, request, context):
        ctx = require_program(context)
        rows = await freezes.list_all(self._pool, program_id=ctx.program_id)
        return pb.ListFreezeWindowsResponse(windows=[freeze_to_proto(r) for r in rows])

    async def SetOverride(self, request, context):
        ctx = require_program(context)
        reply = await members.override(
            self._pool, program_id=ctx.program_id, request=request, idempotency_key=ctx.idempotency_key,
            render=member_tiers_to_proto, set_floor=True, as_of=dates.optional_date(request.as_of, "asOf"),
        )
        self._kick()
        return reply

    async def ClearOverride(self, request, context):
        ctx = require_program(context)
        return await members.override(
            self._pool, program_id=ctx.program_id, request=request, idempotency_key=ctx.idempotency_key,
            render=member_tiers_to_proto, set_floor=False, as_of=dates.optional_date(request.as_of, "asOf"),
        )

    async def GetProgress(self, request, context):
        ctx = require_program(context)
        member_id, items = await members.progress(
            self._pool, program_id=ctx.program_id, loyalty_number=request.loyalty_number,
            as_of=dates.optional_date(request.as_of, "asOf"),
        )
        return pb.MemberProgress(member_id=str(member_id) if member_id else "", slabs=[
            pb.TierProgress(
                slab_code=p.current.slab.code, tier_code=p.current.tier.code, level=p.current.level,
                metric=p.current.slab.metric, window_from=p.window_from.isoformat(),
                window_to=p.window_to.isoformat(), current_value=_num(p.value),
                next_tier_code=p.next_tier.code if p.next_tier else "",
                next_threshold=_num(p.next_tier.threshold) if p.next_tier else "",
                needed=_num(p.needed), close_to_upgrade=p.close_to_upgrade,
                achieved_on=dates.iso(p.current.achieved_on), lapses_on=dates.iso(p.current.lapse_on),
                retention_threshold=_num(p.current.tier.retention_threshold) if p.current.level else "",
                retention_needed=_num(p.retention_needed), grace_ends_on=dates.iso(p.grace_ends_on),
                override_tier_code=(p.current.slab.tier(p.current.override_level).code
                                    if p.current.override_level is not None else ""),
                override_ends_on=dates.iso(p.current.override_ends_on),
            ) for p in items
        ])

    async def ListHistory(self, request, context):
        ctx = require_program(context)
        rows = await members.history(self._pool, program_id=ctx.program_id, loyalty_number=request.loyalty_number,
                                     slab_code=request.slab_code)
        return pb.ListHistoryResponse(changes=[
            pb.TierChange(slab_code=r["slab_code"], change=r["change"], from_tier_code=r["from_code"] or "",
                          to_tier_code=r["to_code"] or "", reason=r["reason"],
                          effective_on=r["effective_on"].isoformat(), recorded_at=r["recorded_at"].isoformat())
            for r in rows
        ])

    async def GetReport(self, request, context):
        ctx = require_program(context)
        made = await reports.report(self._pool, program_id=ctx.program_id, slab_code=request.slab_code,
                                    start=getattr(request, "from"), end=request.to, period=request.period)
        return pb.TierReport(
            slab_code=made.slab_code,
            tiers=[pb.TierCount(tier_code=t.tier_code, members=t.members, spend=_num(t.spend)) for t in made.tiers],
            periods=[pb.PeriodChanges(period=p.period, upgrades=p.upgrades, downgrades=p.downgrades)
                     for p in made.periods],
        )

    async def Evaluate(self, request, context):
        ctx = require_program(context)
        results = await evaluation.evaluate_program(
            self._pool, ctx.program_id, as_of=dates.optional_date(request.as_of, "asOf"), force=request.force)
        self._kick()
        return pb.EvaluateResponse(slabs=[
            pb.SlabEvaluation(slab_code=r.slab_code, upgrades=r.upgrades, downgrades=r.downgrades,
                              anniversaries=r.anniversaries, skipped=r.skipped) for r in results
        ])


def register(server: grpc.aio.Server, pool: asyncpg.Pool, settings, relay: OutboxRelay | None = None) -> None:
    pb_grpc.add_TierServiceServicer_to_server(TierServicer(pool, relay), server)
