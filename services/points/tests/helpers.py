"""A small facade over the ledger's domain functions for tests: a program of its own, members, ops."""

import dataclasses
import uuid

import asyncpg

from loyalty.common.v1 import program_pb2
from loyalty.points.v1 import points_service_pb2 as pb
from services.common.db import tenant_tx
from services.points import api
from services.points.ledger import adjusting, commands, earning, members, programs, results, spending, summary
from services.points.ledger import voiding
from services.points.ledger.earn_policy import FlatRatePolicy
from services.points.ledger.hooks import LedgerHooks
from services.points.rules.hooks import RulesHooks
from tests.fixtures.postgres import program_spec


@dataclasses.dataclass
class Ledger:
    pool: asyncpg.Pool
    program_id: uuid.UUID
    spec: program_pb2.ProgramSpec
    hooks: LedgerHooks = dataclasses.field(default_factory=RulesHooks)  # as __main__ wires the service

    @classmethod
    async def new(cls, pool: asyncpg.Pool, **spec_overrides) -> "Ledger":
        spec = program_spec(**spec_overrides)
        await programs.provision(pool, api.provision_command(spec))
        return cls(pool=pool, program_id=uuid.UUID(spec.id), spec=spec)

    async def member(self, status: str = "active", number: str | None = None) -> str:
        number = number or str(uuid.uuid4().int)[:12]
        await members.register(self.pool, program_id=self.program_id, hooks=self.hooks, command=commands.RegisterMember(
            member_id=str(uuid.uuid4()), loyalty_number=number, status=status))
        return number

    async def set_status(self, number: str, status: str) -> None:
        async with tenant_tx(self.pool, self.program_id) as conn:
            member_id = await conn.fetchval("SELECT id FROM members WHERE loyalty_number = $1", number)
        await members.register(self.pool, program_id=self.program_id, hooks=self.hooks, command=commands.RegisterMember(
            member_id=str(member_id), loyalty_number=number, status=status))

    async def call(self, operation, request, response_type=pb.PostingResponse, answer_type=results.Posted, **kw):
        """One ledger operation as the servicer runs it: the request through api.py's translation."""
        command_type = getattr(commands, type(request).__name__.removesuffix("Request"))
        answered = await operation(self.pool, program_id=self.program_id, command=api.command(command_type, request),
                                   replay=api.replay(request, response_type, answer_type), **kw)
        return api.response(response_type, answered)

    async def earn(self, number: str, amount: str, reference: str, **kw) -> pb.EarnResponse:
        request = pb.EarnRequest(loyalty_number=number, amount=amount, currency=self.spec.currency,
                                 reference=reference, **kw)
        return await self.call(earning.earn, request, pb.EarnResponse, results.Earned, policy=FlatRatePolicy())

    async def burn(self, number: str, points: int, reference: str, **kw) -> pb.PostingResponse:
        return await self.call(spending.burn, pb.BurnRequest(loyalty_number=number, points=points,
                                                             reference=reference, **kw))

    async def hold(self, number: str, points: int, reference: str, **kw) -> pb.HoldResponse:
        return await self.call(spending.hold, pb.HoldRequest(loyalty_number=number, points=points,
                                                             reference=reference, **kw), pb.HoldResponse, results.Held)

    async def capture(self, hold_reference: str, reference: str, points: int = 0) -> pb.PostingResponse:
        return await self.call(spending.capture, pb.CaptureHoldRequest(
            reference=reference, hold_reference=hold_reference, points=points))

    async def release(self, hold_reference: str, reference: str) -> pb.PostingResponse:
        return await self.call(spending.release, pb.ReleaseHoldRequest(
            reference=reference, hold_reference=hold_reference))

    async def void(self, target: str, reference: str, points: int = 0, **kw) -> pb.PostingResponse:
        return await self.call(voiding.void, pb.VoidRequest(
            reference=reference, target_reference=target, points=points, **kw), hooks=self.hooks)

    async def adjust(self, number: str, points: int, reference: str, reason: str = "correction"):
        return await self.call(adjusting.adjust, pb.AdjustRequest(
            loyalty_number=number, points=points, reference=reference, reason=reason))

    async def goodwill(self, number: str, points: int, reference: str, reason: str = "birthday"):
        return await self.call(adjusting.goodwill, pb.GoodwillRequest(
            loyalty_number=number, points=points, reference=reference, reason=reason))

    async def transfer(self, source: str, target: str, points: int, reference: str):
        return await self.call(adjusting.transfer, pb.TransferRequest(
            from_loyalty_number=source, to_loyalty_number=target, points=points, reference=reference))

    async def merge(self, source: str, target: str, reference: str):
        return await self.call(adjusting.merge, pb.MergeMembersRequest(
            from_loyalty_number=source, to_loyalty_number=target, reference=reference))

    async def activate(self, target: str, reference: str):
        return await self.call(earning.activate_pending, pb.ActivatePendingRequest(
            reference=reference, target_reference=target))

    async def retro_claim(self, number: str, receipt: str, amount: str, purchased_at: str):
        return await self.call(earning.retro_claim, pb.RetroClaimRequest(
            loyalty_number=number, receipt_reference=receipt, amount=amount, currency=self.spec.currency,
            purchased_at=purchased_at), pb.EarnResponse, results.Earned, policy=FlatRatePolicy())

    async def extend(self, number: str, new_expires_at: str, reference: str, reason: str = "goodwill"):
        return await self.call(adjusting.extend_expiry, pb.ExtendExpiryRequest(
            loyalty_number=number, new_expires_at=new_expires_at, reason=reason, reference=reference),
            pb.ExtendExpiryResponse, results.Extended)

    async def summary(self, number: str) -> pb.PointsSummary:
        return api.response(pb.PointsSummary, await summary.member_summary(
            self.pool, program_id=self.program_id, loyalty_number=number))

    async def history(self, number: str, **kw) -> pb.ListTransactionsResponse:
        request = pb.ListTransactionsRequest(loyalty_number=number, **kw)
        return api.response(pb.ListTransactionsResponse, await summary.history(
            self.pool, program_id=self.program_id, command=api.command(commands.ListTransactions, request)))

    async def available(self, number: str) -> int:
        return (await self.summary(number)).available


async def check_invariants(admin_conn: asyncpg.Connection, program_id: uuid.UUID) -> None:
    """The ledger's invariants for one program, looked at past row-level security."""
    unbalanced = await admin_conn.fetch(
        "SELECT transaction_id, sum(amount) FROM points.entries WHERE program_id = $1"
        " GROUP BY transaction_id HAVING sum(amount) <> 0", program_id)
    assert not unbalanced, f"unbalanced transactions: {unbalanced}"
    drift = await admin_conn.fetch(
        "SELECT a.id, a.kind, a.balance, coalesce(sum(e.amount), 0) AS entries FROM points.accounts a"
        " LEFT JOIN points.entries e ON e.account_id = a.id WHERE a.program_id = $1 AND a.kind LIKE 'member_%'"
        " GROUP BY a.id HAVING a.balance <> coalesce(sum(e.amount), 0)", program_id)
    assert not drift, f"balances differ from their entries: {drift}"
    negative = await admin_conn.fetch(
        "SELECT id FROM points.lots WHERE program_id = $1 AND (remaining < 0 OR remaining > points)", program_id)
    assert not negative, f"lots out of range: {negative}"
    lots_vs_wallet = await admin_conn.fetch(
        "SELECT a.member_id, a.balance, coalesce((SELECT sum(remaining) FROM points.lots l"
        "  WHERE l.member_id = a.member_id AND l.program_id = a.program_id), 0) AS lots"
        " FROM points.accounts a WHERE a.program_id = $1 AND a.kind = 'member_available'"
        " AND a.balance <> coalesce((SELECT sum(remaining) FROM points.lots l"
        "  WHERE l.member_id = a.member_id AND l.program_id = a.program_id), 0)", program_id)
    assert not lots_vs_wallet, f"wallets differ from their lots: {lots_vs_wallet}"
    movements = await admin_conn.fetch(
        "SELECT l.id FROM points.lots l WHERE l.program_id = $1 AND l.remaining <> l.points +"
        " coalesce((SELECT sum(delta) FROM points.lot_movements m WHERE m.lot_id = l.id), 0)", program_id)
    assert not movements, f"lots differ from their movements: {movements}"
