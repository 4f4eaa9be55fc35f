import uvicorn

from services.common.logs import configure_logging
from services.common.settings import load_settings
from services.common.telemetry import configure_tracing

from gateway.app import create_app
from gateway.http_protocol import OneWriteHttpToolsProtocol
from gateway.settings import GatewaySettings


def main() -> None:
    settings = load_settings(GatewaySettings)
    configure_logging(service="gateway", level=settings.log_level)
    configure_tracing(service="gateway", otlp_endpoint=settings.otel_exporter_otlp_endpoint,
                      spans_file=settings.otel_spans_file)
    print(f"gateway listening on http://{settings.gateway_host}:{settings.gateway_port}/graphql", flush=True)
    uvicorn.run(create_app(settings), host=settings.gateway_host, port=settings.gateway_port,
                log_config=None, timeout_graceful_shutdown=5,
                # libuv's loop and the C HTTP parser, each answer in one write (gateway/http_protocol.py); no
                # access log line per request (the spans carry that).
                loop="uvloop", http=OneWriteHttpToolsProtocol, access_log=False)


if __name__ == "__main__":
    main()
