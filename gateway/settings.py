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
    jwt_secret: str  # HS256 secret for staff bearer tokens
    jwt_audience: str = "loyalty"
    loyalty_admin_token: str | None = None  # dev mode: a bearer token that is the platform administrator
    api_key_cache_seconds: float = 30.0  # a revoked key is refused at once (revocation feed); this bounds the rest
    access_token_seconds: int = 600  # staff and member access JWTs; sessions live on through refresh tokens
    public_url: str = "http://127.0.0.1:8080"  # where mailed links point (invitation, password reset)
    audit_enabled: bool = True
    program_cache_seconds: float = 5.0
    log_level: str = "INFO"
    otel_exporter_otlp_endpoint: str | None = None
    otel_spans_file: str | None = None
