"""One posting contract for every writer of ledger rows. An earn is written three ways: the online
earn's one-statement CTE (repository.post_earn), the plpgsql ledger_post every other posting uses
(posting.post), and the legacy import's set-based batch (importing/batch.sql). On generated earns
(amounts, back dates past and within the expiry policy, partner funding, pending points) each
writer must leave the same rows: the transaction, its entries by account, the lots, the member's
balances and (online) the ledger event."""

import datetime as dt
import json
import random
import uuid

from loyalty.common.v1 import program_pb2
from loyalty.points.v1 import points_service_pb2 as pb
from services.common.db import tenant_tx
from services.points import api, jobs
from services.points.importing import history as importing
from services.points.ledger import commands, earning, posting, results
from services.points.ledger.earn_policy import FlatRatePolicy
from services.points.ledger.expiry import lot_expiry
from services.points.ledger.hooks import NO_HOOKS
from services.points.ledger.posting import Leg
from services.points.tests.helpers import Ledger, check_invariants

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
POLICY = program_pb2.ExpiryPolicy(days=60, round_to_month_end=True)


def generated(seed: int, n: int) -> list[dict]:
    rng = random.Random(seed)
    return [{"points": rng.randint(1, 5000), "occurred_at": NOW - dt.timedelta(days=rng.choice([0, 3, 59, 61, 400]),
                                                                               hours=rng.randint(0, 23)),
             "partner": rng.random() < 0.3, "pending": rng.random() < 0.2} for _ in range(n)]


async def _online_cte(ledger: Ledger, number: str, g: dict, reference: str) -> None:
    request = pb.EarnRequest(loyalty_number=number, amount=str(g["points"]), currency=ledger.spec.currency,
                             reference=reference, occurred_at=g["occurred_at"].isoformat(), pending=g["pending"],
                             partner_code="p1" if g["partner"] else "")
    await earning.earn(ledger.pool, program_id=ledger.program_id, command=api.command(commands.Earn, request),
                       policy=FlatRatePolicy(), replay=api.replay(request, pb.EarnResponse, results.Earned))


async def _ledger_post(ledger: Ledger, number: str, g: dict, reference: str) -> None:
    """The same earn as one call of the plpgsql ledger_post, legs as every other posting writes them."""
    points, occurred_at = g["points"], g["occurred_at"]
    async with tenant_tx(ledger.pool, ledger.program_id) as conn:
        program = await posting.load_program(conn, ledger.program_id)
        member = await posting.load_active_member(conn, number)
        expires_at = lot_expiry(earned_at=occurred_at, days=program["expiry_days"],
                                round_to_month_end=program["expiry_round_to_month_end"], timezone=program["timezone"])
        transaction_id = uuid.uuid4()
        details = {"partner_code": "p1" if g["partner"] else ""}
        funding = Leg("partner_funded" if g["partner"] else "issuance", -points)
        if g["pending"]:
            legs, events = [funding, Leg("member_pending", points, member["id"])], []
        else:
            legs = [funding, Leg("member_available", points, member["id"], lots="create", expires_at=expires_at,
                                 earned_at=occurred_at)]
            events = [posting.event("LOY_POINT_ACCRUAL", transaction_id=transaction_id, kind="EARN", member=member,
                                    points=points, reference=reference, occurred_at=occurred_at, details=details,
                                    amount=points, currency=program["currency"])]
        await posting.post(conn, kind="EARN", reference=reference, member_id=member["id"], points=points,
                           amount=points, currency=program["currency"], occurred_at=occurred_at, details=details,
                           transaction_id=transaction_id, events=events, legs=legs)


async def _rows(admin_conn, program_id: uuid.UUID, member_id: uuid.UUID, *, events: bool = True) -> dict:
    """What a member's postings wrote, without the ids and references each writer makes its own."""
    q = admin_conn.fetch
    out = {
        "transactions": [tuple(r) for r in await q(
            "SELECT kind, points, occurred_at FROM points.transactions WHERE program_id = $1 AND member_id = $2"
            " ORDER BY occurred_at, points", program_id, member_id)],
        "entries": [tuple(r) for r in await q(
            "SELECT t.occurred_at, t.points, a.kind, a.member_id IS NOT NULL AS own, e.amount"
            " FROM points.entries e JOIN points.transactions t ON t.id = e.transaction_id"
            " JOIN points.accounts a ON a.id = e.account_id WHERE t.program_id = $1 AND t.member_id = $2"
            " ORDER BY 1, 2, 3, 5", program_id, member_id)],
        "lots": [tuple(r) for r in await q(
            "SELECT points, remaining, earned_at, expires_at FROM points.lots WHERE program_id = $1 AND member_id = $2"
            " ORDER BY earned_at, points", program_id, member_id)],
        "balances": [tuple(r) for r in await q(
            "SELECT kind, balance FROM points.accounts WHERE program_id = $1 AND member_id = $2 AND balance <> 0"
            " ORDER BY kind", program_id, member_id)],
    }
    if events:
        rows = await q("SELECT payload FROM points.outbox WHERE program_id = $1 AND payload->>'member_id' = $2",
                       program_id, str(member_id))
        out["events"] = sorted(
            (p["event_type"], p["points"], p["occurred_at"], p["partner_code"], p["amount"], p["currency"])
            for p in (json.loads(r["payload"]) for r in rows))
    return out


async def _member_id(ledger: Ledger, number: str) -> uuid.UUID:
    async with tenant_tx(ledger.pool, ledger.program_id) as conn:
        return (await posting.load_member(conn, number))["id"]


async def test_the_online_earn_and_ledger_post_write_the_same_rows(pools, admin_conn):
    for seed in range(3):
        cte, plpgsql = [await Ledger.new(pools["points"], expiry=POLICY) for _ in range(2)]
        a, b = await cte.member(), await plpgsql.member()
        for k, g in enumerate(generated(seed, 25)):
            await _online_cte(cte, a, g, f"e{k}")
            await _ledger_post(plpgsql, b, g, f"e{k}")
        written = await _rows(admin_conn, cte.program_id, await _member_id(cte, a))
        assert len(written["transactions"]) == 25
        assert written == await _rows(admin_conn, plpgsql.program_id, await _member_id(plpgsql, b))
        await check_invariants(admin_conn, cte.program_id)
        await check_invariants(admin_conn, plpgsql.program_id)


async def test_the_import_writes_the_rows_an_online_earn_writes(pools, admin_conn):
    # given generated earns (none pending: legacy history has none), posted online ...
    earns = [g for g in generated(11, 40) if not g["pending"] and not g["partner"]]
    online = await Ledger.new(pools["points"], expiry=POLICY)
    number = await online.member()
    for k, g in enumerate(earns):
        await _online_cte(online, number, g, f"e{k}")
    # ... and imported as a member's legacy history into a program with the same policy
    imported = await Ledger.new(pools["points"], expiry=POLICY)
    member_id, import_id = uuid.uuid4(), uuid.uuid4()
    await admin_conn.execute(
        "INSERT INTO staging.imports(id, program_code, program_id, directory, state) VALUES ($1, $2, $3, '', 'loaded')",
        import_id, imported.spec.code, imported.program_id)
    await admin_conn.execute(
        "INSERT INTO staging.members VALUES ($1, 'L1', 'l1@example.com', 'L', 'One', '', NULL, $2, 'active')",
        import_id, NOW - dt.timedelta(days=900))
    # no legacy balance: the import takes the history's (nothing to remediate)
    await admin_conn.execute(
        "INSERT INTO staging.member_map VALUES ($1, 'L1', $2, '900000000001', 'l1@example.com', false, $3)",
        imported.program_id, member_id, import_id)
    await admin_conn.executemany(
        "INSERT INTO staging.transactions VALUES ($1, $2, 'L1', $3, 'earn', $4, 'pos', $2)",
        [(import_id, f"T{k}", g["occurred_at"], g["points"]) for k, g in enumerate(earns)])
    await importing.import_history(pools["points"], import_id=import_id, now=NOW, hooks=NO_HOOKS)
    # then the lots, the earns' entries and the balances are the online earn's, lot by lot; the import
    # expires at once what is past its date (the online lots wait for the expiry job)
    await jobs.run_expire(online.pool, now=NOW, programs=[str(online.program_id)])
    mine = await _rows(admin_conn, online.program_id, await _member_id(online, number), events=False)
    theirs = await _rows(admin_conn, imported.program_id, member_id, events=False)
    assert mine == theirs
    await check_invariants(admin_conn, imported.program_id)
