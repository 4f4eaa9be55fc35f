"""The gRPC aio server every service runs: health, reflection, tracing, error mapping, graceful stop."""

import asyncio
import dataclasses
import gc
import logging
import pathlib
import signal
from collections.abc import Callable, Collection

import asyncpg
import grpc
import uvloop
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.common.db import PooledConnection, create_pool
from services.common.errors import DomainErrorInterceptor
from services.common import multiplex
from services.common.logs import configure_logging
from services.common.migrations import migrate
from services.common.settings import ServiceSettings
from services.common.telemetry import configure_tracing, shutdown_tracing, tracing_enabled
from services.common.trace_context import TraceContextServerInterceptor, server_interceptor

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ServiceDefinition:
    name: str  # also the database schema
    migrations: pathlib.Path
    full_names: tuple[str, ...]  # fully-qualified gRPC service names, for health and reflection
    register: Callable[[grpc.aio.Server, asyncpg.Pool, ServiceSettings], None]
    connection_class: type[PooledConnection] = PooledConnection  # the pool's connections (db.create_pool)


def grpc_server(register: Callable[[grpc.aio.Server], None], *, multiplex_methods: Collection[str] | None = None
                ) -> grpc.aio.Server:
    """A server with the servicers `register` adds, each unary method also served as messages on
    long-lived streams (multiplex.py), with a span per carried call when this process traces."""
    errors = DomainErrorInterceptor()
    # Spans per call when this process traces; otherwise only the caller's trace context (trace_context.py).
    server = grpc.aio.server(interceptors=[server_interceptor(), errors])
    recording = multiplex.RecordingServer(server)
    register(recording)
    traced = tracing_enabled()
    interceptors = (errors,) if traced else (TraceContextServerInterceptor(), errors)
    carried = multiplex.MultiplexServicer(recording.handlers, interceptors, traced=traced, allowed=multiplex_methods)
    server.add_generic_rpc_handlers((carried.method_handler(),))
    recording.multiplex = carried
    return recording  # servicers added to it later (health) are carried too


async def serve(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    configure_logging(service=definition.name, level=settings.log_level)
    configure_tracing(
        service=definition.name,
        otlp_endpoint=settings.otel_exporter_otlp_endpoint,
        spans_file=settings.otel_spans_file,
    )
    pool = await create_pool(
        settings.database_url,
        schema=definition.name,
        application=definition.name,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        connection_class=definition.connection_class,
    )
    if settings.migrate_on_start:
        await migrate(pool, schema=definition.name, directory=definition.migrations)

    server = grpc_server(lambda s: definition.register(s, pool, settings), multiplex_methods=settings.multiplex_methods)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*definition.full_names, multiplex.SERVICE, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
         reflection.SERVICE_NAME),
        server,
    )
    address = f"{settings.grpc_host}:{settings.grpc_port}"
    server.add_insecure_port(address)
    await server.start()
    # Everything loaded so far lives as long as the process: keep it out of the collector's full
    # passes, which otherwise walk it again every few hundred calls.
    gc.freeze()
    for full_name in ("", *definition.full_names):
        await health_servicer.set(full_name, health_pb2.HealthCheckResponse.SERVING)
    log.info("%s listening on %s", definition.name, address)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()

    log.info("%s shutting down", definition.name)
    await health_servicer.enter_graceful_shutdown()
    await server.stop(settings.shutdown_grace_seconds)
    await pool.close()
    shutdown_tracing()


def run(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    # uvloop: the socket work of each call (gRPC completions, asyncpg) costs less than on asyncio's loop.
    uvloop.run(serve(definition, settings))
