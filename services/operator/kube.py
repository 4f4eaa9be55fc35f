"""A small Kubernetes API client for the operator's children (Secret, AuthorizationPolicy).

kopf watches and patches the LoyaltyPrograms itself; for the children this client speaks plain
HTTP with the same credentials kopf logged in with (kopf.ConnectionInfo), so one login serves both.
"""

import json

import aiohttp
import kopf


class KubeError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message

    @property
    def transient(self) -> bool:
        """Worth retrying: the server was busy, unreachable, or a conflict on write."""
        return self.status in (0, 409, 429) or self.status >= 500


def login(settings: kopf.OperatorSettings) -> kopf.ConnectionInfo | None:
    """In a pod: its service account. Elsewhere: $KUBECONFIG (or ~/.kube/config)."""
    return kopf.login_with_service_account(settings=settings) or kopf.login_with_kubeconfig(settings=settings)


class KubeClient:
    def __init__(self, info: kopf.ConnectionInfo):
        self._server = info.server.rstrip("/")
        self._headers = {"Accept": "application/json", **info.as_http_headers()}
        ssl = info.as_ssl_context() if self._server.startswith("https") else False
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=ssl), timeout=aiohttp.ClientTimeout(total=30),
            trust_env=info.trust_env,
        )

    async def close(self) -> None:
        await self._session.close()

    async def _call(self, method: str, path: str, body: dict | None = None, *,
                    content_type: str = "application/json") -> dict | None:
        headers = dict(self._headers)
        data = None
        if body is not None:
            headers["Content-Type"] = content_type
            data = json.dumps(body)
        try:
            async with self._session.request(method, self._server + path, data=data, headers=headers) as resp:
                text = await resp.text()
                if resp.status == 404 and method == "GET":
                    return None
                if resp.status >= 400:
                    try:
                        message = json.loads(text).get("message", text)
                    except ValueError:
                        message = text
                    raise KubeError(resp.status, f"{method} {path}: {message}")
                return json.loads(text) if text else None
        except aiohttp.ClientError as err:
            raise KubeError(0, f"{method} {path}: {err}") from None

    async def get(self, path: str) -> dict | None:
        return await self._call("GET", path)

    async def create(self, collection: str, body: dict) -> dict:
        return await self._call("POST", collection, body)

    async def merge_patch(self, path: str, body: dict) -> dict:
        return await self._call("PATCH", path, body, content_type="application/merge-patch+json")


def secrets_path(namespace: str, name: str | None = None) -> str:
    path = f"/api/v1/namespaces/{namespace}/secrets"
    return f"{path}/{name}" if name else path


def authorization_policies_path(namespace: str, name: str | None = None) -> str:
    path = f"/apis/security.istio.io/v1/namespaces/{namespace}/authorizationpolicies"
    return f"{path}/{name}" if name else path

