"""A Hypothesis state machine drives random sequences of every operation against a real PostgreSQL
and a simple in-memory model. After every step: each balance equals the sum of its entries, every
transaction sums to zero, no lot is negative, expired points were never spent (what the model
says is spendable is exactly what the ledger lets a member spend) and the summary matches."""

import asyncio
import os
import dataclasses
import datetime as dt
import asyncpg
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from loyalty.common.v1 import program_pb2
from services.common.db import create_pool
from services.common.errors import DomainError
from services.points import jobs
from services.points.tests.helpers import Ledger, check_invariants

MEMBERS = 3
EXPIRY_DAYS = 30


@dataclasses.dataclass
class Wallet:
    fresh: int = 0      # spendable
    stale: int = 0      # past its date, not yet expired by a touch or the job
    pending: int = 0
    held: int = 0
    lifetime: int = 0
    used: int = 0
    expired: int = 0

    def touch(self) -> None:
        self.expired += self.stale
        self.stale = 0


@dataclasses.dataclass
class Txn:
    reference: str
    kind: str
    member: int
    points: int          # magnitude
    other: int | None = None
    credit: bool = True
    pending: bool = False
    old: bool = False  # earned so long ago that its lot is past its date
    activated: bool = False
    voided: int = 0
    captured: int = 0
    released: int = 0


class LedgerMachine(RuleBasedStateMachine):
    loop: asyncio.AbstractEventLoop
    pool: asyncpg.Pool
    admin: asyncpg.Connection

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def attempt(self, coro) -> tuple[object | None, str | None]:
        try:
            return self.run(coro), None
        except DomainError as err:
            return None, err.code.value

    def ref(self) -> str:
        self.counter += 1
        return f"r{self.counter}"

    @initialize()
    def setup(self):
        self.ledger = self.run(Ledger.new(self.pool, expiry=program_pb2.ExpiryPolicy(days=EXPIRY_DAYS)))
        self.numbers = [self.run(self.ledger.member()) for _ in range(MEMBERS)]
        self.wallets = [Wallet() for _ in range(MEMBERS)]
        self.txns: list[Txn] = []
        self.counter = 0
        self.last_success = None

    # --- operations ---------------------------------------------------------------------------

    @rule(m=st.integers(0, MEMBERS - 1), amount=st.integers(1, 60), old=st.booleans(), pending=st.booleans())
    def earn(self, m, amount, old, pending):
        reference = self.ref()
        kw = {"pending": pending}
        if old:  # earned long ago: its lot is already past its date
            kw["occurred_at"] = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3 * EXPIRY_DAYS)).isoformat()
        call = lambda: self.ledger.earn(self.numbers[m], str(amount), reference, **kw)  # noqa: E731
        result, code = self.attempt(call())
        assert code is None, code
        assert result.points_earned == amount
        w = self.wallets[m]
        w.lifetime += amount
        if pending:
            w.pending += amount
        elif old:
            w.stale += amount
        else:
            w.fresh += amount
        self.txns.append(Txn(reference, "EARN", m, amount, pending=pending, old=old))
        self.last_success = (call, result)

    @rule(m=st.integers(0, MEMBERS - 1), points=st.integers(1, 80))
    def burn(self, m, points):
        reference = self.ref()
        call = lambda: self.ledger.burn(self.numbers[m], points, reference)  # noqa: E731
        result, code = self.attempt(call())
        w = self.wallets[m]
        if w.fresh < points:
            assert code == "INSUFFICIENT_POINTS"
            return
        assert code is None, code
        w.touch()
        w.fresh -= points
        w.used += points
        assert result.new_balance == w.fresh
        self.txns.append(Txn(reference, "BURN", m, points, credit=False))
        self.last_success = (call, result)

    @rule(m=st.integers(0, MEMBERS - 1), points=st.integers(1, 50))
    def hold(self, m, points):
        reference = self.ref()
        result, code = self.attempt(self.ledger.hold(self.numbers[m], points, reference))
        w = self.wallets[m]
        if w.fresh < points:
            assert code == "INSUFFICIENT_POINTS"
            return
        assert code is None, code
        w.touch()
        w.fresh -= points
        w.held += points
        self.txns.append(Txn(reference, "HOLD", m, points, credit=False))

    def open_holds(self):
        return [t for t in self.txns if t.kind == "HOLD" and t.captured + t.released < t.points]

    @precondition(lambda self: self.open_holds())
    @rule(data=st.data(), partial=st.booleans())
    def capture(self, data, partial):
        h = data.draw(st.sampled_from(self.open_holds()))
        open_points = h.points - h.captured - h.released
        points = data.draw(st.integers(1, open_points)) if partial else 0
        reference = self.ref()
        result, code = self.attempt(self.ledger.capture(h.reference, reference, points))
        assert code is None, code
        amount = points or open_points
        w = self.wallets[h.member]
        w.touch()
        h.captured += amount
        w.held -= amount
        w.used += amount
        self.txns.append(Txn(reference, "CAPTURE", h.member, amount, credit=False))

    @precondition(lambda self: self.open_holds())
    @rule(data=st.data())
    def release(self, data):
        h = data.draw(st.sampled_from(self.open_holds()))
        open_points = h.points - h.captured - h.released
        result, code = self.attempt(self.ledger.release(h.reference, self.ref()))
        assert code is None, code
        w = self.wallets[h.member]
        w.touch()
        h.released += open_points
        w.held -= open_points
        w.fresh += open_points

    @precondition(lambda self: self.txns)
    @rule(data=st.data(), partial=st.booleans())
    def void(self, data, partial):
        t = data.draw(st.sampled_from(self.txns))
        if t.kind == "HOLD":
            remaining = t.points - t.captured - t.released
        else:
            remaining = t.points - t.voided
        points = data.draw(st.integers(1, max(remaining, 1))) if partial else 0
        reference = self.ref()
        result, code = self.attempt(self.ledger.void(t.reference, reference, points))
        if remaining == 0:
            expected = "ALREADY_VOIDED" if t.kind != "HOLD" or t.released == t.points else "HOLD_NOT_ACTIVE"
            assert code == expected, (code, t)
            return
        amount = points or remaining
        w = self.wallets[t.member]
        if t.kind == "HOLD":
            assert code is None, code
            w.touch()
            t.released += amount
            w.held -= amount
            w.fresh += amount
            return
        pending = t.kind == "EARN" and t.pending and not t.activated
        if t.kind == "TRANSFER":
            taker = self.wallets[t.other]
            if taker.fresh < amount:
                assert code == "INSUFFICIENT_POINTS", code
                return
            assert code is None, code
            w.touch()
            taker.touch()
            taker.fresh -= amount
            w.fresh += amount
        elif pending:
            assert code is None, code
            w.touch()
            w.pending -= amount
            w.lifetime -= amount
        elif t.credit:
            if w.fresh < amount:
                assert code == "INSUFFICIENT_POINTS", code
                return
            assert code is None, code
            w.touch()
            w.fresh -= amount
            if t.kind in ("EARN", "GOODWILL", "ADJUST"):
                w.lifetime -= amount
        else:
            assert code is None, code
            w.touch()
            w.fresh += amount
            if t.kind in ("BURN", "CAPTURE"):
                w.used -= amount
        t.voided += amount

    @rule(m=st.integers(0, MEMBERS - 1), points=st.integers(-40, 40).filter(bool))
    def adjust(self, m, points):
        reference = self.ref()
        result, code = self.attempt(self.ledger.adjust(self.numbers[m], points, reference))
        w = self.wallets[m]
        if points < 0 and w.fresh < -points:
            assert code == "INSUFFICIENT_POINTS"
            return
        assert code is None, code
        w.touch()
        w.fresh += points
        if points > 0:
            w.lifetime += points
        self.txns.append(Txn(reference, "ADJUST", m, abs(points), credit=points > 0))

    @rule(m=st.integers(0, MEMBERS - 1), points=st.integers(1, 30))
    def goodwill(self, m, points):
        reference = self.ref()
        result, code = self.attempt(self.ledger.goodwill(self.numbers[m], points, reference))
        assert code is None, code
        self.wallets[m].fresh += points
        self.wallets[m].lifetime += points
        self.txns.append(Txn(reference, "GOODWILL", m, points))

    @rule(a=st.integers(0, MEMBERS - 1), b=st.integers(0, MEMBERS - 1), points=st.integers(1, 40))
    def transfer(self, a, b, points):
        reference = self.ref()
        result, code = self.attempt(self.ledger.transfer(self.numbers[a], self.numbers[b], points, reference))
        if a == b:
            assert code == "INVALID_INPUT"
            return
        wa, wb = self.wallets[a], self.wallets[b]
        if wa.fresh < points:
            assert code == "INSUFFICIENT_POINTS"
            return
        assert code is None, code
        wa.touch()
        wb.touch()
        wa.fresh -= points
        wb.fresh += points
        self.txns.append(Txn(reference, "TRANSFER", a, points, other=b, credit=False))

    @precondition(lambda self: any(t.pending and not t.activated for t in self.txns))
    @rule(data=st.data())
    def activate(self, data):
        t = data.draw(st.sampled_from([t for t in self.txns if t.pending and not t.activated]))
        result, code = self.attempt(self.ledger.activate(t.reference, self.ref()))
        if t.voided == t.points:
            assert code == "ALREADY_VOIDED"
            return
        assert code is None, code
        w = self.wallets[t.member]
        w.touch()
        amount = t.points - t.voided
        w.pending -= amount
        if t.old:  # the lot keeps the expiry of the earn: already past its date
            w.stale += amount
        else:
            w.fresh += amount
        t.activated = True

    @rule()
    def expire_job(self):
        self.run(jobs.run_expire(self.pool, now=dt.datetime.now(dt.timezone.utc),
                                 programs=[str(self.ledger.program_id)]))
        for w in self.wallets:
            w.touch()

    @precondition(lambda self: self.last_success is not None)
    @rule()
    def replay(self):
        call, first = self.last_success
        again, code = self.attempt(call())
        assert code is None and again == first

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def ledger_matches_model(self):
        if not hasattr(self, "ledger"):
            return
        self.run(check_invariants(self.admin, self.ledger.program_id))
        for number, w in zip(self.numbers, self.wallets):
            s = self.run(self.ledger.summary(number))
            got = (s.available, s.pending, s.on_hold, s.lifetime_earned, s.used, s.expired)
            assert got == (w.fresh, w.pending, w.held, w.lifetime, w.used, w.expired), (number, got, w)


@pytest.fixture
def machine_env(pools, database):
    """The machine runs synchronously, on an event loop and pool of its own."""
    loop = asyncio.new_event_loop()
    pool = loop.run_until_complete(create_pool(database.service_dsn("points"), schema="points",
                                               application="test-model", min_size=1, max_size=4))
    admin = loop.run_until_complete(asyncpg.connect(database.admin_dsn))
    yield loop, pool, admin
    loop.run_until_complete(admin.close())
    loop.run_until_complete(pool.close())
    loop.close()


def test_ledger_against_model(machine_env):
    loop, pool, admin = machine_env
    LedgerMachine.loop, LedgerMachine.pool, LedgerMachine.admin = loop, pool, admin
    LedgerMachine.TestCase.settings = settings(
        max_examples=int(os.environ.get("LEDGER_MODEL_EXAMPLES", "12")), stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    LedgerMachine.TestCase().runTest()

