"""The operator's settings, from environment variables, validated at start."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class OperatorConfig(BaseSettings):
    """Named *Config* so it is not confused with kopf.OperatorSettings (kopf's own knobs)."""

    model_config = SettingsConfigDict(extra="ignore")

    member_addr: str
    points_addr: str
    tier_addr: str
    rewards_addr: str
    billing_addr: str
    # The identity service, for inviting `initialAdministratorEmail`; empty: nobody is invited.
    identity_addr: str = ""
    # Where the invitation link points (the web app's /accept-invitation).
    public_url: str = ""
    # The mesh switch: when on, each program gets an Istio AuthorizationPolicy for its API clients.
    mesh_enabled: bool = False
    # Labels of the GraphQL gateway's pods, selected by that AuthorizationPolicy ("k=v,k2=v2").
    mesh_gateway_selector: str = "app.kubernetes.io/name=gateway"
    # Namespaces to watch: comma-separated names or globs ("loyalty-*"); empty watches all of them.
    watch_namespace: str = ""
    # Delay before retrying after a transient failure (a service UNAVAILABLE, the API server busy).
    retry_delay_seconds: float = 30.0
    rpc_timeout_seconds: float = 10.0
    log_level: str = "INFO"
    # e.g. "http://0.0.0.0:8080/healthz" for the pod's liveness probe; empty: none.
    liveness_endpoint: str = ""

    @property
    def namespaces(self) -> list[str]:
        return [ns.strip() for ns in self.watch_namespace.split(",") if ns.strip()]

    @property
    def gateway_labels(self) -> dict[str, str]:
        pairs = (item.split("=", 1) for item in self.mesh_gateway_selector.split(",") if "=" in item)
        return {k.strip(): v.strip() for k, v in pairs}
