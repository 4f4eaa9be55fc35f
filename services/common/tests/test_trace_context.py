"""Without a tracer, a caller's trace context still crosses a gRPC hop (and only when there is one),
and a nested call gets no more than what is left of its caller's budget: on the product's channel."""

import grpc
import pytest
from opentelemetry import context, trace

from services.common import clients, deadlines
from services.common.trace_context import TraceContextServerInterceptor

TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C
SPAN_ID = 0xB7AD6B7169203331
BUDGET = 20  # below the call's own timeout, and far above a first call's time on a loaded machine
OWN_TIMEOUT = 30


@pytest.fixture(autouse=True)
def without_a_tracer(monkeypatch):
    """Another test in the same process may have configured tracing (a process-wide switch), which
    gives the interceptor channel instead of the one these tests are about."""
    monkeypatch.setattr(clients, "tracing_enabled", lambda: False)


async def current_trace(request: bytes, servicer_context) -> bytes:
    """What the handler sees: the trace it runs in, and whether traceparent arrived."""
    span_context = trace.get_current_span().get_span_context()
    sent = any(key == "traceparent" for key, _ in servicer_context.invocation_metadata())
    left = servicer_context.time_remaining()
    # gRPC sends a timeout rounded up (to 100 ms at this size), so the callee may see a hair more than
    # the budget: what tells the budget from the call's own timeout is which one it is nearer.
    budgeted = left is not None and left < (BUDGET + OWN_TIMEOUT) / 2
    return f"{span_context.trace_id:032x} {sent} {budgeted}".encode()


async def call_once(*, parent: trace.SpanContext | None, budget: float | None = None) -> str:
    server = grpc.aio.server(interceptors=[TraceContextServerInterceptor()])
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "test.Trace", {"Current": grpc.unary_unary_rpc_method_handler(current_trace)}),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    token = context.attach(trace.set_span_in_context(trace.NonRecordingSpan(parent))) if parent else None
    try:
        async with clients.channel(f"127.0.0.1:{port}") as channel:
            with deadlines.budget(budget):
                reply = await channel.unary_unary("/test.Trace/Current")(b"", metadata=(("x-principal", "t"),),
                                                                         timeout=OWN_TIMEOUT)
    finally:
        if token:
            context.detach(token)
        await server.stop(None)
    return reply.decode()


async def test_the_callers_trace_goes_on_in_the_callee():
    parent = trace.SpanContext(trace_id=TRACE_ID, span_id=SPAN_ID, is_remote=True,
                               trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED))
    assert await call_once(parent=parent) == f"{TRACE_ID:032x} True False"


async def test_no_trace_no_headers():
    assert await call_once(parent=None) == f"{0:032x} False False"


async def test_a_nested_call_gets_what_is_left_of_the_budget_not_its_own_timeout():
    assert await call_once(parent=None, budget=BUDGET) == f"{0:032x} False True"
