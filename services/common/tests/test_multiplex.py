"""Calls carried on long-lived streams answer exactly as the same calls on their own: responses, refusals
(status, details, reason and field), metadata, deadlines, the trace context and retries; out of order,
on a server as every service builds it (server.grpc_server), through the product's channel."""

import asyncio

import grpc
import pytest
from opentelemetry import context, trace

from loyalty.points.v1 import points_service_pb2 as pb
from loyalty.points.v1 import points_service_pb2_grpc as pb_grpc
from services.common import clients, deadlines, multiplex
from services.common.errors import DomainError, ErrorCode, from_rpc_error
from services.common.server import grpc_server

TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C


@pytest.fixture(autouse=True)
def without_a_tracer(monkeypatch):
    """A tracing process never multiplexes; another test in this process may have switched tracing on."""
    monkeypatch.setattr(clients, "tracing_enabled", lambda: False)


class Ledger(pb_grpc.PointsServiceServicer):
    """Earn's behaviour chosen by the reference; what each call saw is kept."""

    def __init__(self):
        self.seen: list[dict] = []
        self.failures_left = 0
        self.cancelled: list[str] = []

    async def Earn(self, request, servicer_context):
        metadata = dict(servicer_context.invocation_metadata())
        self.seen.append({"reference": request.reference, "metadata": metadata,
                          "left": servicer_context.time_remaining(),
                          "trace_id": trace.get_current_span().get_span_context().trace_id,
                          "carried": isinstance(servicer_context, multiplex.MessageContext)})
        match request.reference:
            case "slow":
                await asyncio.sleep(0.5)
            case "refused":
                raise DomainError(ErrorCode.INSUFFICIENT_POINTS, "points: 10 asked, 3 held", field="points")
            case "flaky" if self.failures_left > 0:
                self.failures_left -= 1
                raise ConnectionResetError("database connection lost")  # a fault a retry may settle: UNAVAILABLE
            case "hang":
                try:
                    await asyncio.sleep(30)
                except asyncio.CancelledError:
                    self.cancelled.append(request.reference)
                    raise
            case "broken":
                raise ValueError("a bug")
        return pb.EarnResponse(transaction_id=f"t-{request.reference}", points_earned=len(request.reference))


async def start(ledger: Ledger, *, multiplexing: bool = True, port: int = 0,
                allowed: list[str] | None = None) -> tuple[grpc.aio.Server, int]:
    if multiplexing:
        server = grpc_server(lambda s: pb_grpc.add_PointsServiceServicer_to_server(ledger, s), multiplex_methods=allowed)
    else:  # a peer of a release before multiplex.py
        server = grpc.aio.server()
        pb_grpc.add_PointsServiceServicer_to_server(ledger, server)
    port = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    return server, port


@pytest.fixture
async def served():
    ledger = Ledger()
    server, port = await start(ledger)
    yield ledger, port
    await server.stop(None)


def earn(stub, reference: str, **kwargs):
    return stub.Earn(pb.EarnRequest(loyalty_number="L1", amount="1", reference=reference), **kwargs)


async def under_way(stub, ledger: Ledger, reference: str) -> asyncio.Future:
    """An earn its handler has begun (a readiness wait, not a timed assertion)."""
    seen = len(ledger.seen)
    pending = asyncio.ensure_future(earn(stub, reference, timeout=10))
    while len(ledger.seen) == seen:
        await asyncio.sleep(0.01)
    return pending


async def test_calls_are_carried_and_answered_as_each_finishes(served):
    ledger, port = served
    async with clients.channel(f"127.0.0.1:{port}", multiplexed=True) as channel:
        stub = pb_grpc.PointsServiceStub(channel)
        slow = asyncio.ensure_future(earn(stub, "slow"))
        fast = [asyncio.ensure_future(earn(stub, f"fast-{k}")) for k in range(20)]
        done, _ = await asyncio.wait([slow, *fast], return_when=asyncio.FIRST_COMPLETED)
        assert slow not in done
        answers = await asyncio.gather(slow, *fast)
    assert [a.transaction_id for a in answers] == ["t-slow", *(f"t-fast-{k}" for k in range(20))]
    assert [a.points_earned for a in answers] == [4, *(len(f"fast-{k}") for k in range(20))]
    assert all(s["carried"] for s in ledger.seen)


async def test_a_refusal_is_the_same_as_on_a_call_of_its_own(served):
    _, port = served
    errors = []
    for multiplexed in (True, False):
        async with clients.channel(f"127.0.0.1:{port}", multiplexed=multiplexed) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await earn(pb_grpc.PointsServiceStub(channel), "refused")
            errors.append(raised.value)
    carried, own = errors
    assert carried.code() == own.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert carried.details() == own.details() == "points: 10 asked, 3 held"
    domain = from_rpc_error(carried)
    assert (domain.code, domain.message, domain.field) == (ErrorCode.INSUFFICIENT_POINTS, "points: 10 asked, 3 held",
                                                           "points")
    assert vars(domain) == vars(from_rpc_error(own))


async def test_a_bug_is_internal_and_tells_nothing_of_itself(served):
    _, port = served
    async with clients.channel(f"127.0.0.1:{port}", multiplexed=True) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await earn(pb_grpc.PointsServiceStub(channel), "broken")
    assert raised.value.code() == grpc.StatusCode.INTERNAL
    assert raised.value.details() == "internal error"
    assert "a bug" not in str(raised.value)


async def test_metadata_budget_and_trace_context_reach_the_handler(served):
    ledger, port = served
    parent = trace.SpanContext(trace_id=TRACE_ID, span_id=0xB7AD6B7169203331, is_remote=True,
                               trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED))
    token = context.attach(trace.set_span_in_context(trace.NonRecordingSpan(parent)))
    try:
        async with clients.channel(f"127.0.0.1:{port}", multiplexed=True) as channel:
            with deadlines.budget(20):
                await earn(pb_grpc.PointsServiceStub(channel), "meta", timeout=60,
                           metadata=clients.metadata(program_id="7d0c8b7e-2c57-4a5e-9d0e-3c2b1a0f9e8d",
                                                     principal="staff:ana", idempotency_key="k-1"))
    finally:
        context.detach(token)
    (seen,) = ledger.seen
    assert seen["carried"]
    assert seen["metadata"]["x-program-id"] == "7d0c8b7e-2c57-4a5e-9d0e-3c2b1a0f9e8d"
    assert seen["metadata"]["x-principal"] == "staff:ana"
    assert seen["metadata"]["idempotency-key"] == "k-1"
    assert seen["trace_id"] == TRACE_ID
    assert 0 < seen["left"] <= 20  # the budget, not the call's own 60 s


async def test_a_deadline_ends_the_call_on_both_sides(served):
    ledger, port = served
    async with clients.channel(f"127.0.0.1:{port}", multiplexed=True) as channel:
        stub = pb_grpc.PointsServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await earn(stub, "hang", timeout=0.3)
        assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert from_rpc_error(raised.value).code == ErrorCode.UNAVAILABLE
        for _ in range(100):  # the server's own timer ends the handler (no timing asserted, only the outcome)
            if ledger.cancelled:
                break
            await asyncio.sleep(0.05)
        assert ledger.cancelled == ["hang"]
        assert (await earn(stub, "after")).transaction_id == "t-after"  # the stream goes on


async def test_unavailable_is_retried_as_the_channel_retries_a_call_of_its_own(served):
    ledger, port = served
    attempts = {}
    for multiplexed in (True, False):
        ledger.seen.clear()
        ledger.failures_left = 2
        async with clients.channel(f"127.0.0.1:{port}", multiplexed=multiplexed) as channel:
            answer = await earn(pb_grpc.PointsServiceStub(channel), "flaky")
        assert answer.transaction_id == "t-flaky"
        attempts[multiplexed] = len(ledger.seen)
    assert attempts == {True: 3, False: 3}

    ledger.failures_left = 10  # more than the policy's four attempts: the refusal comes back as it was
    async with clients.channel(f"127.0.0.1:{port}", multiplexed=True) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await earn(pb_grpc.PointsServiceStub(channel), "flaky")
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert from_rpc_error(raised.value).code == ErrorCode.UNAVAILABLE


async def test_a_method_the_peer_does_not_serve_is_unimplemented(served):
    _, port = served
    async with clients.channel(f"127.0.0.1:{port}", multiplexed=True) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await channel.unary_unary("/loyalty.points.v1.PointsService/NoSuchMethod")(b"")
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_a_peer_without_multiplex_is_called_as_before():
    ledger = Ledger()
    server, port = await start(ledger, multiplexing=False)
    try:
        async with clients.channel(f"127.0.0.1:{port}", multiplexed=True) as channel:
            stub = pb_grpc.PointsServiceStub(channel)
            answers = await asyncio.gather(*(earn(stub, f"old-{k}") for k in range(5)))
            assert [a.transaction_id for a in answers] == [f"t-old-{k}" for k in range(5)]
            assert (await earn(stub, "later")).transaction_id == "t-later"
    finally:
        await server.stop(None)
    assert len(ledger.seen) == 6 and not any(s["carried"] for s in ledger.seen)


async def test_old_streams_are_closed_after_their_calls_and_new_ones_opened(served, monkeypatch):
    ledger, port = served
    async with clients.channel(f"127.0.0.1:{port}", multiplexed=True) as channel:
        channel._multiplexer._max_age = 0  # every call on a new stream, the last one closed behind it
        stub = pb_grpc.PointsServiceStub(channel)
        answers = await asyncio.gather(earn(stub, "slow"), *(earn(stub, f"r-{k}") for k in range(12)))
    assert [a.transaction_id for a in answers] == ["t-slow", *(f"t-r-{k}" for k in range(12))]
    assert all(s["carried"] for s in ledger.seen)


async def test_a_peer_that_goes_and_comes_back():
    ledger = Ledger()
    server, port = await start(ledger)
    async with clients.channel(f"127.0.0.1:{port}", multiplexed=True) as channel:
        stub = pb_grpc.PointsServiceStub(channel)
        assert (await earn(stub, "before")).transaction_id == "t-before"
        hanging = await under_way(stub, ledger, "hang")
        await server.stop(None)  # the stream breaks under the hanging call
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await hanging
        assert from_rpc_error(raised.value).code == ErrorCode.UNAVAILABLE

        server, _ = await start(ledger, port=port)
        try:
            assert (await earn(stub, "after", timeout=10)).transaction_id == "t-after"
        finally:
            await server.stop(None)
    assert ledger.seen[-1]["carried"]


async def test_callers_cancelled_mid_flight_leave_the_others_answered(served):
    ledger, port = served
    async with clients.channel(f"127.0.0.1:{port}", multiplexed=True) as channel:
        stub = pb_grpc.PointsServiceStub(channel)
        calls = [asyncio.ensure_future(earn(stub, f"c-{k}", timeout=30)) for k in range(30)]
        await asyncio.sleep(0)
        for call in calls[::2]:
            call.cancel()
        answers = await asyncio.gather(*calls[1::2])
        assert [a.transaction_id for a in answers] == [f"t-c-{k}" for k in range(1, 30, 2)]
        assert (await earn(stub, "next")).transaction_id == "t-next"


async def test_a_stopping_server_answers_what_it_took_and_runs_nothing_more():
    """A rolling update: the calls a stream had read are run and answered before the process goes; a
    call sent after it stopped taking them never runs there, and the caller is told to send it again."""
    ledger = Ledger()
    server, port = await start(ledger)
    async with clients.channel(f"127.0.0.1:{port}", multiplexed=True) as channel:
        stub = pb_grpc.PointsServiceStub(channel)
        assert (await earn(stub, "warm")).transaction_id == "t-warm"
        slow = await under_way(stub, ledger, "slow")
        stopping = asyncio.ensure_future(server.stop(5))
        await asyncio.sleep(0.05)
        late = asyncio.ensure_future(earn(stub, "late", timeout=10))
        assert (await slow).transaction_id == "t-slow"  # answered, not failed and sent again
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await late
        assert from_rpc_error(raised.value).code == ErrorCode.UNAVAILABLE
        await stopping
    assert [s["reference"] for s in ledger.seen] == ["warm", "slow"]


async def test_under_the_mesh_a_carried_call_outside_the_callers_list_is_refused_as_the_mesh_refuses():
    """The chart's MULTIPLEX_METHODS: the methods the mesh's policy admits the gateway to call here."""
    ledger = Ledger()
    server, port = await start(ledger, allowed=["/loyalty.points.v1.PointsService/Earn"])
    try:
        async with clients.channel(f"127.0.0.1:{port}", multiplexed=True) as channel:
            stub = pb_grpc.PointsServiceStub(channel)
            assert (await earn(stub, "allowed")).transaction_id == "t-allowed"
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await stub.RegisterMember(pb.RegisterMemberRequest(loyalty_number="L9"))
    finally:
        await server.stop(None)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert raised.value.details() == "RBAC: access denied"
    assert from_rpc_error(raised.value).code == ErrorCode.INTERNAL  # nothing a client acts on: not its fault
    assert [s["reference"] for s in ledger.seen] == ["allowed"]
