"""OpenTelemetry: one trace from the gateway through gRPC into SQL.

The SDK is imported only by a process that exports spans: the others (every short command, and
every process with tracing off) start without it.
"""

from opentelemetry import trace

_configured = False
_enabled = False  # a tracer provider exports spans (see configure_tracing)


def tracing_enabled() -> bool:
    """Whether this process records spans: callers skip span work of their own when it does not."""
    return _enabled


def configure_tracing(*, service: str, otlp_endpoint: str | None, spans_file: str | None) -> None:
    global _configured, _enabled
    if _configured:
        return
    if not otlp_endpoint and not spans_file:
        # Nothing would export the spans: leave OpenTelemetry's no-op tracer in place, so the hot
        # paths (a span per SQL statement) cost nothing.
        _configured = True
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    if spans_file:
        out = open(spans_file, "a", buffering=1)  # noqa: SIM115 - lives as long as the process
        provider.add_span_processor(
            SimpleSpanProcessor(
                ConsoleSpanExporter(out=out, formatter=lambda span: span.to_json(indent=None) + "\n")
            )
        )
    trace.set_tracer_provider(provider)
    _instrument_asyncpg()
    _configured = _enabled = True


def _instrument_asyncpg() -> None:
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    AsyncPGInstrumentor().instrument()


def shutdown_tracing() -> None:
    if not _enabled:
        return  # no SDK provider was set
    from opentelemetry.sdk.trace import TracerProvider

    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.shutdown()
