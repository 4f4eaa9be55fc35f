"""The operator's calls into the platform: ProvisionProgram on all five services, API keys.

Every call here is idempotent, so a retry after any failure is safe: ProvisionProgram with the
program's id updates in place, and API keys are created only for clients the Secret lacks.
Each change it makes (not the look-ups) appends an audit entry with its principal
(`operator:<namespace>/<name>`) and the outcome, through the identity service when one is configured.
"""

import asyncio
import contextlib
import dataclasses
import json
import logging
import uuid

import grpc

from loyalty.billing.v1 import billing_service_pb2_grpc
from loyalty.common.v1 import program_pb2
from loyalty.identity.v1 import identity_service_pb2 as identity_pb
from loyalty.identity.v1 import identity_service_pb2_grpc
from loyalty.member.v1 import member_service_pb2 as member_pb
from loyalty.member.v1 import member_service_pb2_grpc
from loyalty.points.v1 import points_service_pb2_grpc
from loyalty.rewards.v1 import rewards_service_pb2_grpc
from loyalty.tier.v1 import tier_service_pb2 as tier_pb
from loyalty.tier.v1 import tier_service_pb2_grpc
from services.common import clients
from services.common.errors import DomainError, ErrorCode
from services.operator.settings import OperatorConfig

log = logging.getLogger(__name__)

# Services that keep their own copy of the program, provisioned after the member service.
FOLLOWERS = ("points", "tier", "rewards", "billing")


class ServiceFailed(Exception):
    """A service refused or could not be reached; `service` names it, `error` says why."""

    def __init__(self, service: str, error: DomainError):
        super().__init__(f"{service}: {error.code.value}: {error.message}")
        self.service = service
        self.error = error


@dataclasses.dataclass
class Platform:
    member: member_service_pb2_grpc.MemberServiceStub
    followers: dict[str, object]  # name -> stub with ProvisionProgram
    channels: list[grpc.aio.Channel]
    timeout: float
    identity: identity_service_pb2_grpc.IdentityServiceStub | None = None
    public_url: str = ""

    @classmethod
    def connect(cls, config: OperatorConfig) -> "Platform":
        made = {name: clients.channel(getattr(config, f"{name}_addr")) for name in ("member", *FOLLOWERS)}
        stubs = {
            "points": points_service_pb2_grpc.PointsServiceStub(made["points"]),
            "tier": tier_service_pb2_grpc.TierServiceStub(made["tier"]),
            "rewards": rewards_service_pb2_grpc.RewardsServiceStub(made["rewards"]),
            "billing": billing_service_pb2_grpc.BillingServiceStub(made["billing"]),
        }
        identity = None
        if config.identity_addr:
            made["identity"] = clients.channel(config.identity_addr)
            identity = identity_service_pb2_grpc.IdentityServiceStub(made["identity"])
        return cls(member=member_service_pb2_grpc.MemberServiceStub(made["member"]), followers=stubs,
                   channels=list(made.values()), timeout=config.rpc_timeout_seconds, identity=identity,
                   public_url=config.public_url)

    async def close(self) -> None:
        await asyncio.gather(*(ch.close() for ch in self.channels))

    @contextlib.asynccontextmanager
    async def _audited(self, operation: str, *, principal: str, program_code: str = "", summary: dict | None = None,
                       targets: tuple[str, ...] = ()):
        """Runs the block, then appends its audit entry (ok or the error's code); a failure to append is
        logged with the entry, never raised over the change already made."""
        outcome = "ok"
        try:
            yield
        except ServiceFailed as failed:
            outcome = failed.error.code.value
            raise
        except Exception as exc:
            outcome = type(exc).__name__
            raise
        finally:
            await self._append_audit(identity_pb.AuditEntry(
                subject=principal, subject_kind="operator", program_code=program_code, operation=operation,
                target_ids=json.dumps(list(targets)), summary_json=json.dumps(summary or {}), outcome=outcome,
                entry_key=uuid.uuid4().hex))

    async def _append_audit(self, entry: identity_pb.AuditEntry) -> None:
        if self.identity is None:
            log.warning("no identity service configured: audit entry not written: %s %s", entry.operation,
                        entry.subject)
            return
        try:
            await self.identity.AppendAudit(identity_pb.AppendAuditRequest(entries=[entry]), timeout=self.timeout)
        except Exception as exc:  # the change stands; the entry is in the log for the record
            log.error("audit entry not written (%s): %s %s %s %s", type(exc).__name__, entry.operation,
                      entry.subject, entry.program_code, entry.outcome)

    async def _call(self, service: str, pending):
        try:
            return await clients.call(pending)
        except DomainError as err:
            raise ServiceFailed(service, err) from None

    async def provision(self, spec: program_pb2.ProgramSpec, *, principal: str) -> program_pb2.ProgramSpec:
        """Member first (it owns the program and answers with its settings), then the others
        with the member's answer. Raises ServiceFailed naming the first service that failed."""
        md = clients.metadata(program_id=None, principal=principal)
        summary = {"name": spec.name, "currency": spec.currency, "timezone": spec.timezone,
                   "expiryDays": spec.expiry.days, "archived": spec.archived}
        async with self._audited("provisionProgram", principal=principal, program_code=spec.code, summary=summary,
                                 targets=(f"code={spec.code}",)):
            made = await self._call("member", self.member.ProvisionProgram(
                program_pb2.ProvisionProgramRequest(spec=spec), metadata=md, timeout=self.timeout))
            request = program_pb2.ProvisionProgramRequest(spec=made.spec)
            results = await asyncio.gather(
                *(self._call(name, stub.ProvisionProgram(request, metadata=md, timeout=self.timeout))
                  for name, stub in self.followers.items()),
                return_exceptions=True,
            )
            for result in results:
                if isinstance(result, BaseException):
                    raise result
        return made.spec

    async def define_tiers(self, slab: tier_pb.Slab, *, program_id: str, principal: str, program_code: str = "") -> None:
        md = clients.metadata(program_id=program_id, principal=principal)
        async with self._audited("defineSlab", principal=principal, program_code=program_code,
                                 summary={"programId": program_id,
                                                                             "slab": slab.code},
                                 targets=(f"programId={program_id}", f"slabCode={slab.code}")):
            await self._call("tier", self.followers["tier"].DefineSlab(
                tier_pb.DefineSlabRequest(slab=slab), metadata=md, timeout=self.timeout))

    async def find(self, code: str, *, principal: str) -> program_pb2.ProgramSpec | None:
        md = clients.metadata(program_id=None, principal=principal)
        try:
            return await self._call("member", self.member.GetProgram(
                member_pb.GetProgramRequest(code=code), metadata=md, timeout=self.timeout))
        except ServiceFailed as failed:
            if failed.error.code == ErrorCode.NOT_FOUND:
                return None
            raise

    async def create_api_key(self, *, program_id: str, name: str, scopes: list[str], principal: str,
                             program_code: str = "") -> str:
        md = clients.metadata(program_id=program_id, principal=principal)
        async with self._audited("createApiKey", principal=principal, program_code=program_code,
                                 summary={"programId": program_id, "name": name,
                                                                               "scopes": list(scopes)},
                                 targets=(f"programId={program_id}",)):
            made = await self._call("member", self.member.CreateApiKey(
                member_pb.CreateApiKeyRequest(name=name, scopes=scopes), metadata=md, timeout=self.timeout))
        return made.api_key

    async def revoke_api_key(self, *, program_id: str, key_id: str, principal: str, program_code: str = "") -> None:
        """Revoked at once on every gateway; a key already gone is fine."""
        md = clients.metadata(program_id=program_id, principal=principal)
        try:
            async with self._audited("revokeApiKey", principal=principal, program_code=program_code,
                                     summary={"programId": program_id},
                                     targets=(f"programId={program_id}", f"keyId={key_id}")):
                await self._call("member", self.member.RevokeApiKey(
                    member_pb.RevokeApiKeyRequest(key_id=key_id), metadata=md, timeout=self.timeout))
        except ServiceFailed as failed:
            if failed.error.code != ErrorCode.NOT_FOUND:
                raise

    async def invite_administrator(self, *, email: str, program_code: str, principal: str) -> bool:
        """Invites `email` as the program's Super Admin (mailed link). False: no identity service configured."""
        if self.identity is None:
            return False
        accept = f"{self.public_url}/accept-invitation" if self.public_url else ""
        async with self._audited("inviteUser", principal=principal, program_code=program_code,
                                 summary={"email": email, "role": "super_admin"}, targets=(f"email={email}",)):
            await self._call("identity", self.identity.InviteUser(identity_pb.InviteUserRequest(
                email=email, program_code=program_code, role_code="super_admin", invited_by=principal,
                accept_url=accept), timeout=self.timeout))
        return True
