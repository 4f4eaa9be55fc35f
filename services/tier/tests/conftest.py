"""The tier service in-process over real gRPC and the session's PostgreSQL (connected as its role)."""

import datetime as dt
import itertools
import uuid

import grpc
import pytest

from loyalty.common.v1 import events_pb2, program_pb2
from loyalty.tier.v1 import tier_service_pb2 as pb
from loyalty.tier.v1 import tier_service_pb2_grpc as pb_grpc
from services.common.clients import call, metadata
from services.common.errors import DomainErrorInterceptor
from services.tier import api
from tests.fixtures.postgres import program_spec

_ids = itertools.count(1)


@pytest.fixture(scope="session")
async def tier_stub(pools):
    server = grpc.aio.server(interceptors=[DomainErrorInterceptor()])
    api.register(server, pools["tier"], settings=None)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield pb_grpc.TierServiceStub(channel)
    await channel.close()
    await server.stop(0)


class TierClient:
    """One program's view of the tier service, as the points service and the gateway call it."""

    def __init__(self, stub: pb_grpc.TierServiceStub, program_id: str):
        self.stub = stub
        self.program_id = program_id

    def md(self, key: str | None = None):
        return metadata(program_id=self.program_id, principal="test", idempotency_key=key)

    async def rpc(self, method: str, request, key: str | None = None):
        return await call(getattr(self.stub, method)(request, metadata=self.md(key), timeout=30))

    async def define(self, slab: pb.Slab) -> pb.Slab:
        return await self.rpc("DefineSlab", pb.DefineSlabRequest(slab=slab))

    async def consume(self, *events: events_pb2.LedgerEvent) -> int:
        ack = await self.rpc("ConsumeLedgerEvents", events_pb2.LedgerEventBatch(events=events))
        return ack.accepted

    async def tiers(self, number: str) -> dict[str, str]:
        reply = await self.rpc("GetMemberTiers", pb.GetMemberTiersRequest(loyalty_number=number))
        return {t.slab_code: t.tier_code for t in reply.tiers}

    async def evaluate(self, as_of: dt.date, force: bool = False) -> pb.EvaluateResponse:
        return await self.rpc("Evaluate", pb.EvaluateRequest(as_of=as_of.isoformat(), force=force))

    async def history(self, number: str) -> list[pb.TierChange]:
        return list((await self.rpc("ListHistory", pb.ListHistoryRequest(loyalty_number=number))).changes)


@pytest.fixture
async def program(tier_stub) -> TierClient:
    spec = program_spec()
    await call(tier_stub.ProvisionProgram(program_pb2.ProvisionProgramRequest(spec=spec), timeout=10))
    return TierClient(tier_stub, spec.id)


class Member:
    def __init__(self, number: str | None = None):
        self.id = str(uuid.uuid4())
        self.number = number or str(10_000_000_000 + next(_ids))


def at(day: dt.date, hour: int = 12) -> str:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.timezone.utc).isoformat()


def earn(program: TierClient, member: Member, points: int, day: dt.date, *, amount: str = "",
         event_id: str | None = None, transaction_id: str | None = None, imported: bool = False,
         kind: str = "EARN") -> events_pb2.LedgerEvent:
    return events_pb2.LedgerEvent(
        event_id=event_id or uuid.uuid4().hex, event_type="LOY_POINT_ACCRUAL", program_id=program.program_id,
        transaction_id=transaction_id or str(uuid.uuid4()), transaction_kind=kind, member_id=member.id,
        loyalty_number=member.number, points=points, amount=amount or str(points), currency="EUR",
        occurred_at=at(day), imported=imported,
    )


def void(program: TierClient, member: Member, of: events_pb2.LedgerEvent, points: int, day: dt.date):
    return events_pb2.LedgerEvent(
        event_id=uuid.uuid4().hex, event_type="LOY_POINT_VOID", program_id=program.program_id,
        transaction_id=str(uuid.uuid4()), transaction_kind="VOID", member_id=member.id,
        loyalty_number=member.number, points=-points, occurred_at=at(day),
        voided_transaction_id=of.transaction_id, voided_occurred_at=of.occurred_at,
    )


def restaurant_slab(**overrides) -> pb.Slab:
    values = dict(
        code="status", name="Guest status", metric="points", window_length=6, window_unit="month",
        downgrade="one_level", grace_days=0, close_to_upgrade_percent=90,
        tiers=[pb.Tier(code="KING", name="King", benefits="A free drink on your birthday"),
               pb.Tier(code="SUPERKING", name="Superking", benefits="Free fries every visit", earn_multiplier="1.5",
                       threshold="15000", validity_months=6)],
    )
    values.update(overrides)
    return pb.Slab(**values)
