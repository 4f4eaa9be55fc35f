"""Settings from environment variables, validated at start."""

import sys
from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """What every service process needs. DATABASE_URL has no default on purpose."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str
    grpc_port: int
    grpc_host: str = "127.0.0.1"
    db_pool_min: int = 2
    db_pool_max: int = 10
    migrate_on_start: bool = True
    shutdown_grace_seconds: float = 5.0
    log_level: str = "INFO"
    otel_exporter_otlp_endpoint: str | None = None
    otel_spans_file: str | None = None  # JSON lines of finished spans, for tests and local runs
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = "loyalty@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    # Where the outbox's events are exported (event_export.py); unset: they stay inside.
    notifications_addr: str | None = None
    # The shared cache (services/common/cache, docs/cache.md): Apache Ignite thin-client addresses
    # ("host:port,..."); unset: PostgreSQL alone. Each cache call gives up after the deadline.
    ignite_addresses: str | None = None
    cache_deadline_seconds: float = 0.5
    # Under the mesh's AuthorizationPolicies: the methods the gateway may call carried on Multiplex streams
    # (a JSON list of paths, set by the chart from its calls map; services/common/multiplex.py). Unset: all.
    multiplex_methods: list[str] | None = None


S = TypeVar("S", bound=BaseSettings)


def load_settings(cls: type[S], **overrides) -> S:
    """Build settings or stop the process naming every missing or invalid variable."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "_".join(str(p) for p in err["loc"]).upper()
            problem = "is required but not set" if err["type"] == "missing" else err["msg"]
            lines.append(f"  {name}: {problem}")
        print(f"invalid configuration for {cls.__name__}:\n" + "\n".join(lines), file=sys.stderr)
        raise SystemExit(2) from None
