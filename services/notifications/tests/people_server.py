"""A local Infobip People, written for the tests: the real Infobip cannot be reached from the test
machine (no network beyond the package registries), so this implements the documented subset the
connector uses, on 127.0.0.1:

    POST   /people/2/persons                                 create (10 requests/s per account)
    GET    /people/2/persons?type=EXTERNAL_ID&identifier=..  get by external id
    PUT    /people/2/persons?type=EXTERNAL_ID&identifier=..  update: overwrites the person (5/s)
    PATCH  /people/2/tags/{name}/persons                     add a tag to up to 1,000 people (5/s)
    DELETE /people/2/tags/{name}/persons                     remove it
    POST   /peopleevents/2/persons/{id}/definitions/{definitionId}/events?identifierType=EXTERNAL_ID  (250/s)

with `Authorization: App <key>` (401 otherwise), the limits per account counted over any one-second
window (429 with Retry-After when exceeded) and Infobip's error shape
{"requestError": {"serviceException": {"messageId", "text"}}}. A test can script failures
(`fail`: the next answers of a kind) and reads what arrived (`log`, `persons`, `events`).
"""

import asyncio
import collections
import dataclasses
import time
import urllib.parse

from aiohttp import web

# What each call counts as, and the limits per account (requests in any one second).
LIMITS = {"create": 10, "update": 5, "read": 10, "event": 250}


def error(status: int, message_id: str, text: str, *, headers: dict | None = None) -> web.Response:
    return web.json_response({"requestError": {"serviceException": {"messageId": message_id, "text": text}}},
                             status=status, headers=headers)


@dataclasses.dataclass(frozen=True)
class Request:
    at: float
    key: str
    kind: str
    method: str
    path: str
    status: int
    body: object


class PeopleServer:
    def __init__(self, *, keys: set[str], limits: dict[str, int] | None = None):
        self.keys = keys
        self.limits = dict(LIMITS, **(limits or {}))
        self.persons: dict[str, dict] = {}
        self.events: list[tuple[str, str, dict]] = []  # (external id, definition, properties) in arrival order
        self.log: list[Request] = []  # every request that got past authentication, with its answer
        self.rate_limited = 0  # requests this server refused because the client went over a limit
        self._windows: dict[tuple[str, str], collections.deque] = collections.defaultdict(collections.deque)
        self._faults: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self._plans: dict = {}
        self._counts: collections.Counter = collections.Counter()
        self.delay = 0.0  # seconds each answer takes (a slow account)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail(self, kind: str, *answers: tuple[int, float | None]) -> None:
        """The next answers to calls of `kind`: (status, Retry-After seconds or None) each."""
        self._faults[kind].extend(answers)

    def fail_every(self, kind: str, plan) -> None:
        """plan(n) -> (status, retry_after) or None for the n-th call of `kind` (from 1)."""
        self._plans[kind] = plan

    def requests(self, kind: str | None = None) -> list[Request]:
        return [r for r in self.log if kind is None or r.kind == kind]

    def max_in_any_second(self, kind: str) -> int:
        """The most requests of `kind` (answered or not) that arrived within any one second."""
        times = sorted(r.at for r in self.requests(kind))
        most, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= 1.0:
                start += 1
            most = max(most, end - start + 1)
        return most

    async def start(self) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/people/2/persons", self._create)
        app.router.add_get("/people/2/persons", self._get)
        app.router.add_put("/people/2/persons", self._replace)
        app.router.add_patch("/people/2/tags/{name}/persons", self._tag)
        app.router.add_delete("/people/2/tags/{name}/persons", self._tag)
        app.router.add_post("/peopleevents/2/persons/{person}/definitions/{definition}/events", self._event)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        await self._runner.cleanup()

    # ---- the gate every call goes through ----------------------------------------------------------

    async def _gate(self, request: web.Request, kind: str):
        """(key, body, None) or (None, None, the refusal)."""
        auth = request.headers.get("Authorization", "")
        key = auth[4:] if auth.startswith("App ") else ""
        if key not in self.keys:
            return None, None, error(401, "UNAUTHORIZED", "Invalid login details")
        now = time.monotonic()
        body = await request.json() if request.can_read_body else None
        window = self._windows[(key, kind)]
        while window and now - window[0] >= 1.0:
            window.popleft()
        self._counts[kind] += 1
        n = self._counts[kind]
        planned = self._plans.get(kind)
        fault = self._faults[kind].popleft() if self._faults[kind] else (planned(n) if planned else None)
        if len(window) >= self.limits[kind]:
            self.rate_limited += 1
            refusal = error(429, "TOO_MANY_REQUESTS", "Too many requests", headers={"Retry-After": "1"})
        elif fault is not None:
            status, retry_after = fault
            headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
            refusal = (error(status, "TOO_MANY_REQUESTS", "Too many requests", headers=headers) if status == 429
                       else error(status, "GENERAL_ERROR", "Service unavailable"))
        else:
            refusal = None
        window.append(now)
        self.log.append(Request(now, key, kind, request.method, request.path, refusal.status if refusal else 200,
                                body))
        if self.delay:
            await asyncio.sleep(self.delay)
        return (None, None, refusal) if refusal else (key, body, None)

    @staticmethod
    def _external_id(request: web.Request) -> str | None:
        if request.query.get("type") != "EXTERNAL_ID":
            return None
        return request.query.get("identifier")

    # ---- the API ------------------------------------------------------------------------------------

    async def _create(self, request: web.Request) -> web.Response:
        key, body, refusal = await self._gate(request, "create")
        if refusal:
            return refusal
        external_id = (body or {}).get("externalId")
        if not external_id:
            return error(400, "BAD_REQUEST", "externalId, email or phone is required")
        if external_id in self.persons:
            return error(409, "CONFLICT", f"Person with externalId {external_id} already exists")
        self.persons[external_id] = {**body, "tags": list(body.get("tags") or [])}
        return web.json_response(self.persons[external_id])

    async def _get(self, request: web.Request) -> web.Response:
        key, _, refusal = await self._gate(request, "read")
        if refusal:
            return refusal
        found = self.persons.get(self._external_id(request) or "")
        return web.json_response(found) if found else error(404, "NOT_FOUND", "Person not found")

    async def _replace(self, request: web.Request) -> web.Response:
        key, body, refusal = await self._gate(request, "update")
        if refusal:
            return refusal
        external_id = self._external_id(request)
        if external_id not in self.persons:
            return error(404, "NOT_FOUND", "Person not found")
        self.persons[external_id] = {**body, "externalId": external_id, "tags": list(body.get("tags") or [])}
        return web.json_response(self.persons[external_id])

    async def _tag(self, request: web.Request) -> web.Response:
        key, body, refusal = await self._gate(request, "update")
        if refusal:
            return refusal
        people = (body or {}).get("people") or []
        if not 0 < len(people) <= 1000:
            return error(400, "BAD_REQUEST", "1 to 1000 people per request")
        name = urllib.parse.unquote(request.match_info["name"])
        for entry in people:
            person = self.persons.get(entry["query"]["identifier"]) if entry["query"]["type"] == "EXTERNAL_ID" else None
            if person is None:
                continue
            tags = set(person.get("tags") or [])
            person["tags"] = sorted(tags - {name} if request.method == "DELETE" else tags | {name})
        return web.json_response({})

    async def _event(self, request: web.Request) -> web.Response:
        key, body, refusal = await self._gate(request, "event")
        if refusal:
            return refusal
        if request.query.get("identifierType") != "EXTERNAL_ID":
            return error(400, "BAD_REQUEST", "identifierType is required")
        person = urllib.parse.unquote(request.match_info["person"])
        if person not in self.persons:
            return error(404, "NOT_FOUND", "Person not found")
        self.events.append((person, request.match_info["definition"], (body or {}).get("properties") or {}))
        return web.json_response({}, status=201)
