"""Fixtures for the rewards service's own tests: a provisioned program, a clock, real SMTP, the ledger.

The ledger is the real points service, served in-process over gRPC on its own pool.
"""

import dataclasses
import datetime as dt
import re
import uuid

import grpc
import pytest

from loyalty.points.v1 import points_service_pb2 as points_pb
from services.common import program_copy
from services.rewards import api as rewards_api
from services.common.clients import call, metadata
from services.common.errors import DomainError, DomainErrorInterceptor
from services.common.mail import SmtpSender
from services.points.__main__ import assemble as assemble_points
from services.points import api as points_api
from services.points.ledger import programs as points_programs
from services.rewards.peers import MemberRef, Peers
from tests.fixtures.postgres import free_port, program_spec


class Clock:
    """An injected clock that only moves when a test says so."""

    def __init__(self, at: dt.datetime):
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at

    def set(self, hh_mm: str) -> None:
        hours, minutes = map(int, hh_mm.split(":"))
        self.at = self.at.replace(hour=hours, minute=minutes, second=0, microsecond=0)


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 3, 2, 14, 45, tzinfo=dt.timezone.utc))


@dataclasses.dataclass
class Program:
    id: uuid.UUID
    spec: object


@pytest.fixture
async def program(pools) -> Program:
    spec = program_spec()
    await program_copy.provision(pools["rewards"], rewards_api.program_copy_of(spec))
    await points_programs.provision(pools["points"], points_api.provision_command(spec))
    return Program(id=uuid.UUID(spec.id), spec=spec)


def member(email: str | None = None, *, status: str = "active") -> MemberRef:
    """A member as the member service would describe them (enrolled in the ledger by `enrol`)."""
    suffix = uuid.uuid4().int % 10**10
    return MemberRef(member_id=str(uuid.uuid4()), loyalty_number=f"9{suffix:010d}",
                     email=email or f"m-{uuid.uuid4().hex[:10]}@example.com", status=status)


@pytest.fixture
def sender(smtp_server) -> SmtpSender:
    return SmtpSender(host=smtp_server.host, port=smtp_server.port, sender="rewards@test.local")


def passcode_in(mailbox, address: str) -> str:
    messages = mailbox.to(address)
    assert messages, f"no mail to {address}"
    body = messages[-1].get_body(preferencelist=("plain",)).get_content()
    return re.search(r"\b(\d{6})\b", body).group(1)


@pytest.fixture(scope="session")
async def ledger(pools):
    """The real points service in this process, and the rewards service's client of it."""
    server = grpc.aio.server(interceptors=[DomainErrorInterceptor()])
    assemble_points(server, pools["points"], None)
    port = free_port()
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    address = f"127.0.0.1:{port}"
    peers = Peers(member_addr=address, points_addr=address, tier_addr=address)
    yield peers
    await peers.close()
    await server.stop(0)


async def enrol(ledger: Peers, program: Program, m: MemberRef, *, points: int = 0) -> None:
    """Register the member with the ledger and earn `points` (one point per euro)."""
    md = metadata(program_id=program.id, principal="test")
    await call(ledger.points.RegisterMember(points_pb.RegisterMemberRequest(
        member_id=m.member_id, loyalty_number=m.loyalty_number, status=m.status), metadata=md))
    if points:
        await call(ledger.points.Earn(points_pb.EarnRequest(
            loyalty_number=m.loyalty_number, amount=str(points), currency="EUR", reference=f"seed-{uuid.uuid4().hex}"),
            metadata=md))


async def require_holds(ledger: Peers, program: Program, m: MemberRef) -> None:
    """Skip until the ledger engineer's Hold lands (it answers UNIMPLEMENTED today)."""
    try:
        await ledger.hold(program.id, loyalty_number=m.loyalty_number, points=1, reference=f"probe-{uuid.uuid4().hex}",
                          order_reference="", timeout_seconds=60, reason="probe")
    except DomainError as err:
        if "not implemented" in err.message.lower() or "unimplemented" in err.message.lower():
            pytest.skip("points ledger Hold is not implemented yet")
        raise
