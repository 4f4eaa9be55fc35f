"""The Starlette app: POST /graphql (GraphiQL on GET), GET /healthz, and the web app (gateway/ui)."""

import asyncio
import contextlib
import gc
import logging
import pathlib

from grpc_health.v1 import health_pb2, health_pb2_grpc
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route
from strawberry.asgi import GraphQL

from services.common import clients
from services.common.errors import ErrorCode

from gateway.auth import ApiKeyCache, SharedApiKeys, authenticate
from gateway.billing import downloads as billing_downloads
from gateway.context import Context
from gateway.identity.audit import AuditWriter
from gateway.errors import GatewayErrorCode, error_body, public_error
from gateway.limits import GraphQLEdge, shared_limiter
from gateway.loaders import make_loaders
from gateway import persisted
from gateway.revocation import IdentityRevocationFeed, RevocationFeed
from gateway.schema import schema
from gateway.services import Services
from gateway.settings import GatewaySettings
from gateway.spa import SPAStaticFiles, SecurityHeaders
from gateway.tracing import tracing_middleware

log = logging.getLogger(__name__)
ErrorCodeFor = {404: ErrorCode.NOT_FOUND}

UI_DIST = pathlib.Path(__file__).parent / "ui" / "dist"


class LoyaltyGraphQL(GraphQL):
    def __init__(self, *, settings: GatewaySettings):
        super().__init__(schema, graphql_ide="graphiql" if settings.graphiql else None)
        self.settings = settings
        self.services: Services | None = None  # connected at startup, on the server's event loop
        self.api_keys = ApiKeyCache(settings.api_key_cache_seconds)
        self.revocations: RevocationFeed | None = None  # started with the services
        self.shared_keys: SharedApiKeys | None = None  # API keys in the shared cache, with the services
        self.audit: AuditWriter | None = None
        self.persisted = persisted.PersistedOperations(schema, settings)

    async def identify(self, request) -> tuple:
        """(principal or None, the credentials' error or None), once per request (the edge asks first)."""
        known = getattr(request.state, "identity", None)
        if known is not None:
            return known
        principal, error = None, None
        try:
            principal = await authenticate(
                request, settings=self.settings, services=self.services, api_keys=self.api_keys,
                revocations=self.revocations, shared_keys=self.shared_keys,
            )
        except GraphQLError as exc:
            error = exc
        request.state.identity = (principal, error)
        return principal, error

    async def __call__(self, scope, receive, send):
        """Strawberry's view, with every refusal a GraphQL error body with a code (never plain text)."""
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        request = Request(scope=scope, receive=receive)
        try:
            response = await self._persisted(request) if scope["method"] == "POST" else None
            if response is None:
                response = await self.run(request)
        except HTTPException as exc:
            code = ErrorCodeFor.get(exc.status_code, GatewayErrorCode.BAD_REQUEST)
            response = JSONResponse(error_body(code, exc.reason), status_code=exc.status_code)
        except Exception:  # a fault of ours: logged, answered without its text
            log.exception("unhandled error serving /graphql")
            response = JSONResponse(error_body(ErrorCode.INTERNAL, "internal error"), status_code=500)
        await response(scope, receive, send)

    async def _persisted(self, request: Request):
        """The answer to a persisted operation (gateway/persisted.py), or None for Strawberry's full path."""
        raw = await request.body()  # kept by the request: the full path reads it again for free
        if not request.headers.get("content-type", "").startswith("application/json"):
            return None
        if b"persistedQuery" not in raw:
            return await self._known_text(request, raw)
        body = persisted.parse_body(raw)
        key = persisted.persisted_hash(body) if body is not None else None
        if key is None:
            return None
        text = body.get("query")
        if text is None:
            plan = self.persisted.get(key)
            if plan is None:
                return persisted.not_found()
        elif not isinstance(text, str) or persisted.sha256(text) != key:
            return persisted.mismatch()
        else:
            plan = await self._kept_plan(request, key, text)
            if plan is None:
                return None
        return await persisted.run_plan(self, request, plan, body)

    async def _kept_plan(self, request: Request, key: str, text: str):
        """The plan kept under `key`, registered now if a signed-in caller sends it first; None: not kept
        (an anonymous caller, who could flush the tills' plans; too long or not valid for this caller)."""
        plan = self.persisted.get(key)
        if plan is None:
            principal, _ = await self.identify(request)
            if principal is None:
                return None
            plan = self.persisted.register(key, text, kind=principal.kind)
        return plan

    async def _known_text(self, request: Request, raw: bytes):
        """A document sent as text runs as its hash would (the plan kept under its SHA-256, registered by
        the first signed-in caller who sends it): a staff screen's or a till's documents repeat, and the
        plan skips Strawberry's view, parse, validation and hooks as for a hash; None: the full path."""
        body = persisted.parse_body(raw)
        text = body.get("query") if body is not None else None
        if not isinstance(text, str) or len(text) > persisted.MAX_TEXT:
            return None
        plan = await self._kept_plan(request, persisted.sha256(text), text)
        if plan is None:
            return None
        return await persisted.run_plan(self, request, plan, body)

    async def process_result(self, request, result):
        body = {"data": result.data}
        if result.errors:
            body["errors"] = [public_error(error) for error in result.errors]
        if result.extensions:
            body["extensions"] = result.extensions
        return body

    async def get_context(self, request, response) -> Context:
        principal, error = await self.identify(request)
        return Context(
            request=request, response=response, settings=self.settings, services=self.services,
            loaders=make_loaders(self.services, principal=principal.subject if principal else "anonymous"),
            principal=principal, auth_error=error, audit=self.audit,
        )


async def check_health(services: Services) -> dict[str, str]:
    async def one(name: str, address: str) -> tuple[str, str]:
        channel = clients.channel(address)
        try:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1.5)
            return name, health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        except Exception as exc:  # any failure means not serving
            return name, f"UNAVAILABLE: {type(exc).__name__}"
        finally:
            await channel.close()

    return dict(await asyncio.gather(*(one(n, a) for n, a in services.addresses.items())))


def cache_metrics(health: dict) -> str:
    """The shared cache's circuit breaker in Prometheus' text format (docs/cache.md)."""
    backend = health.get("backend", "none")
    state = health.get("state", "off")
    lines = ["# TYPE loyalty_cache_breaker_state gauge"]
    lines += [f'loyalty_cache_breaker_state{{backend="{backend}",state="{s}"}} {int(s == state)}'
              for s in ("closed", "open", "half_open", "off")]
    for name in ("calls", "failures", "rejected", "opened"):
        lines += [f"# TYPE loyalty_cache_{name}_total counter",
                  f'loyalty_cache_{name}_total{{backend="{backend}"}} {int(health.get(name, 0))}']
    return "\n".join(lines) + "\n"


def create_app(settings: GatewaySettings) -> Starlette:
    graphql = LoyaltyGraphQL(settings=settings)
    edge = GraphQLEdge(graphql, settings=settings)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        graphql.services = Services.connect(settings)
        graphql.shared_keys = SharedApiKeys(graphql.services.cache)
        edge.limiter = shared_limiter(graphql.services.cache, settings)

        def key_revoked(key_id: str) -> None:
            graphql.api_keys.forget_key(key_id)
            graphql.shared_keys.revoked(key_id)

        graphql.revocations = IdentityRevocationFeed(
            graphql.services.identity, on_api_key_revoked=key_revoked, on_reset=graphql.api_keys.clear,
            remember_seconds=settings.access_token_seconds)
        await graphql.revocations.start()
        if settings.audit_enabled:
            graphql.audit = AuditWriter(graphql.services.identity, linger_seconds=0.05)
            await graphql.audit.start()
        # The schema and everything loaded at start live as long as the process: keep them out of
        # the collector's full passes, which otherwise walk them again every hundred requests or so.
        gc.freeze()
        yield
        await graphql.revocations.stop()
        if graphql.audit is not None:
            await graphql.audit.stop()
        await graphql.services.close()

    async def healthz(request: Request) -> JSONResponse:
        statuses = await check_health(graphql.services)
        ok = all(s == "SERVING" for s in statuses.values())
        # The shared cache's breaker is reported, never a reason to be unready: without it reads go to PostgreSQL.
        return JSONResponse({"status": "ok" if ok else "degraded", "services": statuses,
                             "cache": graphql.services.cache.health()}, status_code=200 if ok else 503)

    async def metrics(request: Request) -> PlainTextResponse:
        return PlainTextResponse(cache_metrics(graphql.services.cache.health()),
                                 media_type="text/plain; version=0.0.4")

    async def home(request: Request) -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><title>Loyalty</title><h1>Loyalty platform</h1>"
            '<p>GraphQL API and GraphiQL at <a href="/graphql">/graphql</a>; health at <a href="/healthz">/healthz</a>.</p>'
        )

    async def ui_config(request: Request) -> JSONResponse:
        # The web app's dev sign-in (a bearer token typed in) exists only where the dev admin token is set.
        return JSONResponse({"devSignIn": bool(settings.loyalty_admin_token)}, headers={"cache-control": "no-cache"})

    routes = [
        Route("/graphql", edge, methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/metrics", metrics),
        Route("/ui-config.json", ui_config),
        billing_downloads.route(graphql),
        *extra_routes(graphql),
    ]
    # Mounted last: everything above wins; the rest is the app or its files.
    if (UI_DIST / "index.html").is_file():
        routes.append(Mount("/", SPAStaticFiles(directory=UI_DIST)))
    else:
        routes.append(Route("/", home))
    return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders), tracing_middleware()], lifespan=lifespan)


def extra_routes(graphql: LoyaltyGraphQL) -> list[Route]:
    """Plain HTTP downloads next to GraphQL (CSV exports the app links to)."""
    return []
