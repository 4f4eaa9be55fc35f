"""Carrying a caller's trace context over gRPC in a process that records no spans.

OpenTelemetry's gRPC interceptors start a (no-op) span per call even when nothing exports spans:
about 90 us of CPU per call on each side, measured on this project's 2-core machine, where a
member search costs a few hundred. A process that does not trace only needs what they did for
the next process: pass on the W3C trace context it was called with (so an upstream trace, and the
`trace_id` in the logs, go on across hops). The server interceptor and `with_trace_context` (added
to each call by services/common/clients.py) do only that, and nothing at all for a call without one. A process that traces keeps OpenTelemetry's interceptors
(`server_interceptor`, `client_interceptors`).
"""

import grpc
from opentelemetry import context, propagate, trace

from services.common import multiplex
from services.common.telemetry import tracing_enabled

TRACE_KEYS = ("traceparent", "tracestate", "baggage")


class TraceContextServerInterceptor(grpc.aio.ServerInterceptor):
    """Attach the trace context a call carries (if any) while its handler runs."""

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        carrier = {key: value for key, value in handler_call_details.invocation_metadata or ()
                   if key in TRACE_KEYS}
        if not carrier or handler is None or handler.unary_unary is None:
            return handler
        inner, parent = handler.unary_unary, propagate.extract(carrier)

        async def traced(request, servicer_context):
            token = context.attach(parent)
            try:
                return await inner(request, servicer_context)
            finally:
                context.detach(token)

        return grpc.unary_unary_rpc_method_handler(
            traced, request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer)


def with_trace_context(metadata):
    """An outgoing call's metadata with the current trace context added, if there is one."""
    if not trace.get_current_span().get_span_context().is_valid:
        return metadata
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return (*(metadata or ()), *carrier.items())


def server_interceptor() -> grpc.aio.ServerInterceptor:
    if not tracing_enabled():
        return TraceContextServerInterceptor()
    # imported only by a process that traces: it is a tenth of a command line's start
    from opentelemetry.instrumentation.grpc import aio_server_interceptor, filters
    # the multiplexed streams' calls have spans of their own (multiplex.py); a stream's would last its life
    return aio_server_interceptor(filter_=filters.negate(filters.service_name(multiplex.SERVICE)))


def client_interceptors() -> list[grpc.aio.ClientInterceptor]:
    """A tracing process's: spans per call (one that does not trace uses `with_trace_context`)."""
    from opentelemetry.instrumentation.grpc import aio_client_interceptors
    return aio_client_interceptors()
