"""gRPC servicer: proto <-> domain, nothing else."""

import asyncio
import uuid

import asyncpg
import grpc

from loyalty.identity.v1 import identity_service_pb2 as pb
from loyalty.identity.v1 import identity_service_pb2_grpc as pb_grpc
from services.common.errors import invalid
from services.identity import accounts, audit, member_signin, passwords, revocations, sessions


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise invalid(field, "is not an id") from None


def _time(value) -> str:
    return value.isoformat() if value else ""


def _assignment(a: sessions.Assignment) -> pb.RoleAssignment:
    return pb.RoleAssignment(program_code=a.program_code, role_code=a.role_code, permissions=a.permissions,
                             store=a.store)


def _grant(g: sessions.Grant) -> pb.SessionGrant:
    return pb.SessionGrant(
        session_id=str(g.session_id) if not g.mfa_required else "", refresh_token=g.refresh_token,
        refresh_expires_at=_time(g.refresh_expires_at), kind=g.kind, user_id=g.user_id, email=g.email,
        display_name=g.display_name, mfa_required=g.mfa_required,
        assignments=[_assignment(a) for a in g.assignments],
        member_loyalty_number=g.member_loyalty_number, member_program_code=g.member_program_code,
    )


def _user(row, assignments) -> pb.User:
    return pb.User(
        id=str(row["id"]), email=row["email"], display_name=row["display_name"], status=row["status"],
        totp_enabled=row["totp_enabled"], created_at=_time(row["created_at"]),
        last_sign_in_at=_time(row["last_sign_in_at"]),
        assignments=[_assignment(a) for a in assignments],
    )


def _role(row) -> pb.Role:
    return pb.Role(code=row["code"], name=row["name"], program_code=row["program_code"],
                   permissions=list(row["permissions"]), builtin=row["builtin"])


def _audit(row) -> pb.AuditEntry:
    import json
    return pb.AuditEntry(
        id=str(row["id"]), occurred_at=_time(row["occurred_at"]), subject=row["subject"],
        subject_kind=row["subject_kind"], roles=row["roles"], program_code=row["program_code"], ip=row["ip"],
        user_agent=row["user_agent"], operation=row["operation"], target_ids=json.dumps(row["target_ids"]),
        summary_json=json.dumps(row["summary"]), request_id=row["request_id"], outcome=row["outcome"],
    )


class IdentityServicer(pb_grpc.IdentityServiceServicer):
    def __init__(self, pool: asyncpg.Pool, *, hasher: passwords.Hasher, policy: accounts.Policy,
                 passcodes: member_signin.PasscodePolicy, hub: revocations.RevocationHub, kick_mail):
        self.pool = pool
        self.hasher = hasher
        self.policy = policy
        self.passcodes = passcodes
        self.hub = hub
        self.kick_mail = kick_mail

    async def InviteUser(self, request, context):
        user_id, invitation_id, expires = await accounts.invite(
            self.pool, email=request.email, program_code=request.program_code, role_code=request.role_code,
            invited_by=request.invited_by, accept_url=request.accept_url, policy=self.policy, store=request.store)
        self.kick_mail()
        return pb.InviteUserResponse(user_id=str(user_id), invitation_id=invitation_id or "",
                                     expires_at=_time(expires))

    async def AcceptInvitation(self, request, context):
        grant = await accounts.accept_invitation(
            self.pool, self.hasher, token=request.token, password=request.password,
            display_name=request.display_name, ip=request.client.ip, user_agent=request.client.user_agent,
            policy=self.policy)
        return _grant(grant)

    async def SignIn(self, request, context):
        return _grant(await accounts.sign_in(
            self.pool, self.hasher, email=request.email, password=request.password, totp_code=request.totp_code,
            ip=request.client.ip, user_agent=request.client.user_agent, policy=self.policy))

    async def RefreshSession(self, request, context):
        return _grant(await sessions.refresh(self.pool, request.refresh_token))

    async def SignOut(self, request, context):
        return pb.SignOutResponse(signed_out=await sessions.sign_out(self.pool, request.refresh_token))

    async def RequestPasswordReset(self, request, context):
        await accounts.request_reset(self.pool, email=request.email, reset_url=request.reset_url, policy=self.policy)
        self.kick_mail()
        return pb.RequestPasswordResetResponse()

    async def ResetPassword(self, request, context):
        await accounts.reset_password(self.pool, self.hasher, token=request.token, password=request.password)
        return pb.ResetPasswordResponse()

    async def GetUser(self, request, context):
        return _user(*await accounts.user(self.pool, _uuid(request.user_id, "userId")))

    async def ListUsers(self, request, context):
        found = await accounts.list_users(self.pool, program_code=request.program_code)
        return pb.ListUsersResponse(users=[_user(r, a) for r, a in found])

    async def DeactivateUser(self, request, context):
        user_id = _uuid(request.user_id, "userId")
        await accounts.deactivate(self.pool, user_id=user_id, program_code=request.program_code)
        return _user(*await accounts.user(self.pool, user_id))

    async def AssignRole(self, request, context):
        user_id = _uuid(request.user_id, "userId")
        await accounts.assign_role(self.pool, user_id=user_id, program_code=request.program_code,
                                   role_code=request.role_code, store=request.store)
        return _user(*await accounts.user(self.pool, user_id))

    async def RemoveRole(self, request, context):
        user_id = _uuid(request.user_id, "userId")
        await accounts.assign_role(self.pool, user_id=user_id, program_code=request.program_code,
                                   role_code=request.role_code, remove=True)
        return _user(*await accounts.user(self.pool, user_id))

    async def ListRoles(self, request, context):
        return pb.ListRolesResponse(roles=[_role(r) for r in await accounts.list_roles(
            self.pool, program_code=request.program_code)])

    async def SaveRole(self, request, context):
        r = request.role
        return _role(await accounts.save_role(self.pool, program_code=r.program_code, code=r.code, name=r.name,
                                              permissions=list(r.permissions)))

    async def BeginTotp(self, request, context):
        secret, uri = await accounts.begin_totp(self.pool, user_id=_uuid(request.user_id, "userId"),
                                                policy=self.policy)
        return pb.BeginTotpResponse(secret=secret, provisioning_uri=uri)

    async def ConfirmTotp(self, request, context):
        codes = await accounts.confirm_totp(self.pool, user_id=_uuid(request.user_id, "userId"), code=request.code)
        return pb.ConfirmTotpResponse(recovery_codes=codes)

    async def CheckSession(self, request, context):
        return pb.CheckSessionResponse(live=await sessions.is_live(self.pool, _uuid(request.session_id, "sid")))

    async def WatchRevocations(self, request, context):
        with self.hub.watch() as queue:
            await self.hub.wait_listening()
            for sid in await revocations.recently_revoked_sessions(self.pool, request.since_seconds or 3600):
                yield pb.RevocationEvent(kind="session", id=sid)
            yield pb.RevocationEvent(kind="snapshot_done")
            while True:
                item = await queue.get()
                if item is None:  # the listener lost events: the watcher must reconnect
                    return
                yield pb.RevocationEvent(kind=item[0], id=item[1])

    async def RequestMemberPasscode(self, request, context):
        await member_signin.request(
            self.pool, program_code=request.program_code, member_id=_uuid(request.member_id, "memberId"),
            loyalty_number=request.loyalty_number, email=request.email, program_name=request.program_name,
            policy=self.passcodes)
        self.kick_mail()
        return pb.RequestMemberPasscodeResponse()

    async def MemberSignIn(self, request, context):
        member_id = _uuid(request.member_id, "memberId") if request.member_id else None
        return _grant(await member_signin.sign_in(
            self.pool, program_code=request.program_code, member_id=member_id, loyalty_number=request.loyalty_number,
            passcode=request.passcode, ip=request.client.ip, user_agent=request.client.user_agent,
            policy=self.passcodes))

    async def AppendAudit(self, request, context):
        entries = [{f.name: v for f, v in e.ListFields()} for e in request.entries]
        return pb.AppendAuditResponse(appended=await audit.append(self.pool, entries))

    async def QueryAudit(self, request, context):
        rows = await audit.query(self.pool, program_code=request.program_code, subject=request.subject,
                                 operation=request.operation, outcome=request.outcome,
                                 from_=getattr(request, "from"), to=request.to, limit=request.limit,
                                 before_id=request.before_id)
        return pb.QueryAuditResponse(entries=[_audit(r) for r in rows])

    async def PurgeAudit(self, request, context):
        return pb.PurgeAuditResponse(purged=await audit.purge(self.pool, retention_days=request.retention_days))


def register(server: grpc.aio.Server, pool: asyncpg.Pool, servicer: IdentityServicer) -> None:
    pb_grpc.add_IdentityServiceServicer_to_server(servicer, server)
