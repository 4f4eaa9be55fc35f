from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    member_addr: str
    points_addr: str
    tier_addr: str
    rewards_addr: str
    billing_addr: str
    identity_addr: str
    notifications_addr: str
    jwt_secret: str  # HS256 secret for staff bearer tokens
    jwt_audience: str = "loyalty"
    loyalty_admin_token: str | None = None  # dev mode: a bearer token that is the platform administrator
    api_key_cache_seconds: float = 30.0  # a revoked key is refused at once (revocation feed); this bounds the rest
    access_token_seconds: int = 600  # staff and member access JWTs; sessions live on through refresh tokens
    public_url: str = "http://127.0.0.1:8080"  # where mailed links point (invitation, password reset)
    audit_enabled: bool = True
    multiplex_calls: bool = True  # calls to the services as messages on long-lived streams (services/common/multiplex.py)
    program_cache_seconds: float = 5.0
    # The shared cache (services/common/cache, docs/cache.md): Apache Ignite thin-client addresses; unset:
    # every read goes to the services (PostgreSQL). Each cache call gives up after the deadline.
    ignite_addresses: str | None = None
    cache_deadline_seconds: float = 0.5
    shared_rate_limits: bool = True  # with Ignite: per-key rate limits shared by every replica (gateway/limits.py)
    log_level: str = "INFO"
    otel_exporter_otlp_endpoint: str | None = None
    otel_spans_file: str | None = None

    # Hostile input and load (gateway/limits.py, docs/gateway-limits.md). Off in production: the
    # schema's shape and GraphiQL; `make run` turns both on.
    graphql_introspection: bool = False
    graphiql: bool = False
    max_body_bytes: int = 1_000_000
    anonymous_max_body_bytes: int = 16_384
    max_mutations_per_document: int = 10
    # Per principal kind (anonymous, api_key, member, staff, admin): tokens, aliases and cost of one document.
    # A kind not listed (a signed-in member, say) gets the api_key values.
    max_tokens: dict[str, int] = {"anonymous": 1_000, "api_key": 5_000, "member": 5_000, "staff": 20_000,
                                  "admin": 20_000}
    max_aliases: dict[str, int] = {"anonymous": 10, "api_key": 50, "member": 50, "staff": 200, "admin": 200}
    max_cost: dict[str, int] = {"anonymous": 50, "api_key": 2_000, "member": 2_000, "staff": 20_000, "admin": 50_000}
    # Token buckets: requests per second and burst, per signed-in key, per client IP, and for anonymous
    # callers per IP and all together (what bounds the CPU anonymous parsing can take).
    rate_per_key: float = 200.0
    burst_per_key: int = 400
    rate_per_ip: float = 500.0
    burst_per_ip: int = 1_000
    anonymous_rate_per_ip: float = 5.0
    anonymous_burst_per_ip: int = 20
    anonymous_rate_total: float = 50.0
    anonymous_burst_total: int = 100
    anonymous_concurrency: int = 2  # anonymous requests in the gateway at once; others wait briefly, then 429
    trust_forwarded_for: bool = False  # behind the mesh's ingress: the client IP is X-Forwarded-For's first hop
    # Deadlines per call path (gateway/deadlines.py): the till needs its answer in a few seconds.
    till_deadline_seconds: float = 5.0
    request_deadline_seconds: float = 20.0
