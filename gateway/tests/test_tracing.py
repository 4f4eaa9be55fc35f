"""With tracing off, the gateway still runs a request in the trace its caller sent."""

from opentelemetry import trace

from gateway.tracing import TraceContextMiddleware

TRACEPARENT = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


async def trace_id_seen(headers: list[tuple[bytes, bytes]]) -> int:
    seen = []

    async def app(scope, receive, send):
        seen.append(trace.get_current_span().get_span_context().trace_id)

    await TraceContextMiddleware(app)({"type": "http", "headers": headers}, None, None)
    assert trace.get_current_span().get_span_context().trace_id == 0  # detached afterwards
    return seen[0]


async def test_the_callers_trace_context_is_current_for_the_request():
    assert await trace_id_seen([(b"traceparent", TRACEPARENT)]) == 0x0AF7651916CD43DD8448EB211C80319C


async def test_no_trace_context_no_trace():
    assert await trace_id_seen([(b"content-type", b"application/json")]) == 0
