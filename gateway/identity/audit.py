"""The audit trail of every mutation: who (subject, kind, roles, program, IP, user agent), what (the
operation, target ids, its arguments without secrets), when, the request id and the outcome.

`AuditExtension` notes each root mutation field once the operation has run; `AuditWriter` sends the
entries to the identity service in batches (one RPC for whatever gathered while the previous one
was in flight), so the earn path pays a few microseconds, not a round trip. The trade-off: entries
of the last moments before a gateway crash can be lost (a graceful stop flushes them); the
identity service being down delays them (kept in memory, bounded, retried).
"""

import asyncio
import collections
import contextlib
import functools
import json
import logging
import re
import uuid
from collections.abc import Iterator

import grpc
from google.protobuf.json_format import MessageToDict
from graphql import OperationDefinitionNode, value_from_ast_untyped
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from loyalty.identity.v1 import identity_service_pb2 as identity_pb
from loyalty.identity.v1 import identity_service_pb2_grpc

log = logging.getLogger(__name__)

SECRET = re.compile(r"(password|token|passcode|totp|otp|secret|apikey|api_key|card|cvv|pan)", re.I)
TARGET = re.compile(r"(loyaltyNumber|LoyaltyNumber|Id$|^id$|reference|Reference|^code$|Code$|^email$)")
MAX_BUFFER = 100_000


# An argument's keys are the schema's names (and an input's JSON keys): the same few on every request,
# so each key's verdict is kept instead of running both patterns on it per entry.
@functools.lru_cache(maxsize=4_096)
def is_secret(key: str) -> bool:
    return SECRET.search(key) is not None


@functools.lru_cache(maxsize=4_096)
def is_target(key: str) -> bool:
    return TARGET.search(key) is not None and not is_secret(key)


def scrub(value):
    """Arguments without secrets: any key that names one is replaced."""
    if isinstance(value, dict):
        return {text(k): ("[redacted]" if is_secret(k) else scrub(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return text(value) if isinstance(value, str) else value


def targets(value, found: list) -> list:
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (str, int)) and is_target(k):
                found.append(text(f"{k}={v}"))
            else:
                targets(v, found)
    elif isinstance(value, list):
        for v in value:
            targets(v, found)
    return found


# Failures worth waiting out (the service or its database away, a deadline): the batch is kept, in order.
# Any other refusal is about what an entry holds, and retrying it would hold back every later entry.
TRANSIENT = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED,
                       grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.ABORTED})


def _transient(exc: Exception) -> bool:
    return isinstance(exc, grpc.aio.AioRpcError) and exc.code() in TRANSIENT


class AuditWriter:
    """Sends entries in batches. A batch the service cannot take now is kept and retried with backoff; a
    batch it refuses is sent entry by entry, and an entry refused alone is written without its arguments
    (who, what, outcome kept), so one bad entry never holds back or loses the others."""

    def __init__(self, stub: identity_service_pb2_grpc.IdentityServiceStub, *, max_batch: int = 500,
                 linger_seconds: float = 0.0):
        self._stub: identity_service_pb2_grpc.IdentityServiceStub = stub
        # a call and a transaction per batch whatever it holds: under load, one entry per call without this
        self._linger = linger_seconds
        self._buffer: collections.deque = collections.deque()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # one flush at a time: the loop's and a caller's never send an entry twice
        self._task: asyncio.Task | None = None
        self._max_batch = max_batch
        self.dropped = 0  # past MAX_BUFFER while the service was away
        self.stripped = 0  # written without their arguments
        self.rejected = 0  # refused even so (logged with the entry)

    @property
    def waiting(self) -> int:
        return len(self._buffer)

    def record(self, entry: identity_pb.AuditEntry) -> None:
        if len(self._buffer) >= MAX_BUFFER:
            self._buffer.popleft()
            self.dropped += 1
            log.error("audit buffer full: the oldest entry was dropped (%d so far)", self.dropped)
        self._buffer.append(entry)
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="audit-writer")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self.flush()

    async def flush(self) -> None:
        """Writes everything recorded so far; raises while the service cannot take it (nothing is lost)."""
        async with self._lock:
            while self._buffer:
                batch = [self._buffer.popleft() for _ in range(min(self._max_batch, len(self._buffer)))]
                try:
                    await self._append(batch)
                except Exception as exc:
                    if _transient(exc):
                        self._buffer.extendleft(reversed(batch))  # kept, in order, for the next try
                        raise
                    await self._one_by_one(batch)

    async def _append(self, entries: list) -> None:
        await self._stub.AppendAudit(identity_pb.AppendAuditRequest(entries=entries), timeout=10)

    async def _one_by_one(self, batch: list) -> None:
        for i, entry in enumerate(batch):
            try:
                try:
                    await self._append([entry])
                except Exception as exc:
                    if _transient(exc):
                        raise
                    await self._append([stripped(entry, exc)])
                    self.stripped += 1
                    log.error("audit entry %s/%s written without its arguments: %s", entry.operation,
                              entry.subject, _reason(exc))
            except Exception as exc:
                if _transient(exc):
                    self._buffer.extendleft(reversed(batch[i:]))
                    raise
                self.rejected += 1
                log.error("audit entry refused by the identity service (%s): %s", _reason(exc),
                          json.dumps(MessageToDict(entry))[:4000])

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            await self._wake.wait()
            if self._linger and len(self._buffer) < self._max_batch:
                await asyncio.sleep(self._linger)  # let a busy moment's entries go in one call
            self._wake.clear()
            try:
                await self.flush()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("audit entries not written yet (%s); %d waiting", _reason(exc), len(self._buffer))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                self._wake.set()


def _reason(exc: Exception) -> str:
    if isinstance(exc, grpc.aio.AioRpcError):
        return f"{exc.code().name}: {exc.details()}"
    return type(exc).__name__


def stripped(entry: identity_pb.AuditEntry, exc: Exception) -> identity_pb.AuditEntry:
    """The entry without its arguments and targets: who, what, when and the outcome still recorded."""
    copy = identity_pb.AuditEntry()
    copy.CopyFrom(entry)
    copy.target_ids = "[]"
    copy.summary_json = json.dumps({"notStored": f"the arguments could not be stored ({_reason(exc)[:200]})"})
    return copy


def text(value: str) -> str:
    """A string a protobuf field can carry: a lone surrogate (legal in JSON input) kept as its escape."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")


def request_id(request) -> str:
    explicit = request.headers.get("x-request-id")
    if explicit:
        return explicit[:100]
    parent = request.headers.get("traceparent", "")
    parts = parent.split("-")
    if len(parts) == 4 and len(parts[1]) == 32:
        return parts[1]
    return uuid.uuid4().hex


class AuditExtension(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        yield
        ctx = self.execution_context
        if ctx.operation_type is not OperationType.MUTATION:  # strawberry's enum
            return
        context = ctx.context
        writer = getattr(context, "audit", None)
        if writer is None or ctx.graphql_document is None:
            return
        try:
            self._record(ctx, context, writer)
        except Exception:  # the audit never breaks an answer already given
            log.exception("could not record audit entries")

    @staticmethod
    def _record(ctx, context, writer: AuditWriter) -> None:
        operation = next((d for d in ctx.graphql_document.definitions if isinstance(d, OperationDefinitionNode)
                          and (ctx.operation_name is None or (d.name and d.name.value == ctx.operation_name))), None)
        if operation is None:
            return
        result = ctx.result
        errors = getattr(result, "errors", None) or []
        variables = ctx.variables or {}
        principal = context.principal
        request = context.request
        forwarded = request.headers.get("x-forwarded-for", "")
        ip = forwarded.split(",")[0].strip() if forwarded else (request.client.host if request.client else "")
        rid = request_id(request)
        for selection in operation.selection_set.selections:
            name = getattr(getattr(selection, "name", None), "value", None)
            if name is None or name.startswith("__"):
                continue
            key = selection.alias.value if getattr(selection, "alias", None) else name
            args = {a.name.value: value_from_ast_untyped(a.value, variables) for a in selection.arguments or ()}
            # an error without a path refused the whole operation (at the edge): every field's outcome
            codes = [(e.extensions or {}).get("code", "INTERNAL") for e in errors
                     if not e.path or e.path[0] == key]
            program = args.get("program")
            if not program and isinstance(args.get("input"), dict):
                program = args["input"].get("program")
            if not program and principal is not None and principal.member is not None:
                program = principal.member.program  # a member's own mutations name no program: theirs
            program = text(program) if isinstance(program, str) else ""
            roles = ",".join(principal.roles.get(program, ())) if principal and program else ""
            writer.record(identity_pb.AuditEntry(
                subject=principal.subject if principal else "anonymous",
                subject_kind=principal.kind if principal else "anonymous", roles=roles,
                program_code=program, ip=ip,
                user_agent=request.headers.get("user-agent", "")[:300], operation=name,
                target_ids=json.dumps(targets(args, [])), summary_json=json.dumps(scrub(args), default=str),
                request_id=rid, outcome=codes[0] if codes else "ok", entry_key=uuid.uuid4().hex))


# --- reading it ------------------------------------------------------------------------------------

import csv  # noqa: E402
import io  # noqa: E402
from typing import Annotated  # noqa: E402

import strawberry  # noqa: E402

from gateway.context import Info  # noqa: E402
from gateway.permissions import ALL, Allow, P  # noqa: E402
from gateway.services import rpc  # noqa: E402

CSV_COLUMNS = ("id", "occurred_at", "subject", "subject_kind", "roles", "program_code", "ip", "user_agent",
               "operation", "target_ids", "summary_json", "request_id", "outcome")


@strawberry.type
class AuditEntry:
    id: str
    occurred_at: str
    subject: str
    subject_kind: str
    roles: str
    program: str
    ip: str
    user_agent: str
    operation: str
    target_ids: list[str]
    summary: strawberry.scalars.JSON
    request_id: str
    outcome: str

    @classmethod
    def from_proto(cls, e: identity_pb.AuditEntry) -> "AuditEntry":
        return cls(id=e.id, occurred_at=e.occurred_at, subject=e.subject, subject_kind=e.subject_kind, roles=e.roles,
                   program=e.program_code, ip=e.ip, user_agent=e.user_agent, operation=e.operation,
                   target_ids=json.loads(e.target_ids or "[]"), summary=json.loads(e.summary_json or "{}"),
                   request_id=e.request_id, outcome=e.outcome)


async def _query(info: Info, *, program: str, subject: str | None, operation: str | None, outcome: str | None,
                 from_: str | None, to: str | None, first: int, before: str | None) -> identity_pb.QueryAuditResponse:
    request = identity_pb.QueryAuditRequest(
        program_code="" if program == ALL else program, subject=subject or "", operation=operation or "",
        outcome=outcome or "", to=to or "", limit=first, before_id=before or "")
    setattr(request, "from", from_ or "")
    return await rpc(info.context.services.identity.QueryAudit(request, timeout=30))


@strawberry.type
class AuditQueries:
    @strawberry.field(permission_classes=[Allow(P.AUDIT_READ)],
                      description='Newest first; program "*" (platform users): every program. Page with before=<last id>')
    async def audit_log(self, info: Info, program: str, subject: str | None = None, operation: str | None = None,
                        outcome: str | None = None, from_: Annotated[str | None, strawberry.argument(name="from")] = None,
                        to: str | None = None, first: int = 100, before: str | None = None) -> list[AuditEntry]:
        reply = await _query(info, program=program, subject=subject, operation=operation, outcome=outcome,
                             from_=from_, to=to, first=first, before=before)
        return [AuditEntry.from_proto(e) for e in reply.entries]

    @strawberry.field(permission_classes=[Allow(P.AUDIT_READ)], description="The same filters, as CSV (up to 10,000 rows)")
    async def audit_log_csv(self, info: Info, program: str, subject: str | None = None, operation: str | None = None,
                            outcome: str | None = None,
                            from_: Annotated[str | None, strawberry.argument(name="from")] = None,
                            to: str | None = None, first: int = 10_000) -> str:
        reply = await _query(info, program=program, subject=subject, operation=operation, outcome=outcome,
                             from_=from_, to=to, first=first, before=None)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for e in reply.entries:
            writer.writerow([e.id, e.occurred_at, e.subject, e.subject_kind, e.roles, e.program_code, e.ip,
                             e.user_agent, e.operation, e.target_ids, e.summary_json, e.request_id, e.outcome])
        return out.getvalue()


@strawberry.type
class AuditMutations:
    @strawberry.mutation(permission_classes=[Allow(P.AUDIT_MANAGE, program_scoped=False)],
                         description="Sets the retention (days, at least 30) when given; deletes entries older than it")
    async def purge_audit_log(self, info: Info, retention_days: int | None = None) -> int:
        reply = await rpc(info.context.services.identity.PurgeAudit(
            identity_pb.PurgeAuditRequest(retention_days=retention_days or 0), timeout=60))
        return reply.purged
