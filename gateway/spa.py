"""Serving the built web app (gateway/ui/dist): app routes fall back to index.html so deep links
load; hashed assets are cached for a year; a missing asset or file is a 404, never the HTML."""

from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

IMMUTABLE = "public, max-age=31536000, immutable"
# The app loads only its own scripts and styles; Mantine sets inline style attributes (style-src
# 'unsafe-inline'); QR codes and charts are inline SVG. GraphiQL (GET /graphql) loads from a CDN, so
# it keeps its own looser policy below.
APP_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
           "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
           "frame-ancestors 'none'")
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(self), microphone=(), geolocation=()",
    "cross-origin-opener-policy": "same-origin",
}


class SPAStaticFiles(StaticFiles):
    async def get_response(self, path: str, scope):
        if path in ("", "."):
            path = "index.html"
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            last = path.rsplit("/", 1)[-1]
            # Only extension-less app routes fall back; /assets/x.js or /favicon.ico stay 404.
            if exc.status_code != 404 or path.startswith("assets/") or "." in last:
                raise
            response = await super().get_response("index.html", scope)
            path = "index.html"
        if response.status_code == 200 or response.status_code == 304:
            response.headers["cache-control"] = IMMUTABLE if path.startswith("assets/") else "no-cache"
        return response


class SecurityHeaders:
    """Plain ASGI (no BaseHTTPMiddleware task per request on the POS hot path): adds the headers to
    every response start; the app's CSP everywhere except GraphiQL."""

    def __init__(self, app):
        self.app = app
        self._common = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        self._csp = (b"content-security-policy", APP_CSP.encode())

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = self._common if scope["path"].startswith("/graphql") else [*self._common, self._csp]

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)
