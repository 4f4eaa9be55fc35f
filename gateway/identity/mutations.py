import json

import strawberry
from strawberry.scalars import JSON

from loyalty.identity.v1 import identity_service_pb2 as identity_pb
from loyalty.member.v1 import member_service_pb2 as member_pb

from gateway.context import Info
from gateway.identity.signin import client, find_member, session_tokens
from services.common.errors import ErrorCode

from gateway.errors import graphql_error
from gateway.identity.types import (
    AcceptInvitationInput,
    DeactivateUserInput,
    Role,
    RoleAssignmentInput,
    SaveRoleInput,
    StaffUser,
    TotpEnrolment,
    Invitation,
    InviteUserInput,
    MemberSignInInput,
    RequestMemberPasscodeInput,
    ResetPasswordInput,
    SessionTokens,
    SignInInput,
)
from gateway.permissions import Allow, MemberSelf, P, Public, SignedInStaff, check_known, expand
from gateway.services import rpc


def _parse_time(value: str):
    import datetime as dt
    return dt.datetime.fromisoformat(value) if value else None


@strawberry.type
class IdentityMutations:
    @strawberry.mutation(permission_classes=[Public], description="Staff sign-in with email and password")
    async def sign_in(self, info: Info, input: SignInInput) -> SessionTokens:
        grant = await rpc(info.context.services.identity.SignIn(identity_pb.SignInRequest(
            email=input.email, password=input.password, totp_code=input.totp_code or "", client=client(info)),
            timeout=30))
        return session_tokens(info, grant)

    @strawberry.mutation(permission_classes=[Public],
                         description="Spends the refresh token and returns the next one; a spent token used "
                                     "again ends the session")
    async def refresh_session(self, info: Info, refresh_token: str) -> SessionTokens:
        grant = await rpc(info.context.services.identity.RefreshSession(identity_pb.RefreshSessionRequest(
            refresh_token=refresh_token, client=client(info)), timeout=30))
        return session_tokens(info, grant)

    @strawberry.mutation(permission_classes=[Public], description="Ends the session of this refresh token")
    async def sign_out(self, info: Info, refresh_token: str) -> bool:
        reply = await rpc(info.context.services.identity.SignOut(identity_pb.SignOutRequest(
            refresh_token=refresh_token), timeout=30))
        return reply.signed_out

    @strawberry.mutation(permission_classes=[Public], description="Sets the password of an invited user; signs in")
    async def accept_invitation(self, info: Info, input: AcceptInvitationInput) -> SessionTokens:
        grant = await rpc(info.context.services.identity.AcceptInvitation(identity_pb.AcceptInvitationRequest(
            token=input.token, password=input.password, display_name=input.display_name or "",
            client=client(info)), timeout=30))
        return session_tokens(info, grant)

    @strawberry.mutation(permission_classes=[Public],
                         description="Always true: a mail goes out only when the address has an account")
    async def request_password_reset(self, info: Info, email: str) -> bool:
        await rpc(info.context.services.identity.RequestPasswordReset(identity_pb.RequestPasswordResetRequest(
            email=email, reset_url=f"{info.context.settings.public_url}/reset-password"), timeout=30))
        return True

    @strawberry.mutation(permission_classes=[Public], description="Sets a new password; ends every session")
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> bool:
        await rpc(info.context.services.identity.ResetPassword(identity_pb.ResetPasswordRequest(
            token=input.token, password=input.password), timeout=30))
        return True

    @strawberry.mutation(permission_classes=[Public],
                         description="Always true: a passcode is mailed only when a member matches")
    async def request_member_passcode(self, info: Info, input: RequestMemberPasscodeInput) -> bool:
        member, spec = await find_member(info, program=input.program, email=input.email, phone=input.phone)
        if member is not None and member.email:
            await rpc(info.context.services.identity.RequestMemberPasscode(identity_pb.RequestMemberPasscodeRequest(
                program_code=input.program, member_id=member.id, loyalty_number=member.loyalty_number,
                email=member.email, program_name=spec.name), timeout=30))
        return True

    @strawberry.mutation(permission_classes=[Public], description="A member signs in with the mailed passcode")
    async def member_sign_in(self, info: Info, input: MemberSignInInput) -> SessionTokens:
        member, _ = await find_member(info, program=input.program, email=input.email, phone=input.phone)
        grant = await rpc(info.context.services.identity.MemberSignIn(identity_pb.MemberSignInRequest(
            program_code=input.program, member_id=member.id if member else "",
            loyalty_number=member.loyalty_number if member else "", passcode=input.passcode, client=client(info)),
            timeout=30))
        return session_tokens(info, grant)

    @strawberry.mutation(permission_classes=[Allow(P.USER_MANAGE)],
                         description="Invites a person with a role in a program (mailed link, 72 hours, single use)")
    async def invite_user(self, info: Info, input: InviteUserInput) -> Invitation:
        reply = await rpc(info.context.services.identity.InviteUser(identity_pb.InviteUserRequest(
            email=input.email, program_code=input.program, role_code=input.role, invited_by=info.context.subject,
            store=input.store or "",
            accept_url=f"{info.context.settings.public_url}/accept-invitation"), timeout=30))
        return Invitation(user_id=strawberry.ID(reply.user_id), expires_at=_parse_time(reply.expires_at))

    @strawberry.mutation(permission_classes=[Allow(P.USER_MANAGE)],
                         description="The user can no longer sign in; their sessions end at once")
    async def deactivate_user(self, info: Info, input: DeactivateUserInput) -> StaffUser:
        return StaffUser.from_proto(await rpc(info.context.services.identity.DeactivateUser(
            identity_pb.DeactivateUserRequest(user_id=input.user_id, program_code=input.program), timeout=30)))

    @strawberry.mutation(permission_classes=[Allow(P.USER_MANAGE)],
                         description="Takes effect at the user's next refresh (within the access token's life)")
    async def assign_role(self, info: Info, input: RoleAssignmentInput) -> StaffUser:
        await _own_user(info, input.user_id, input.program)
        return StaffUser.from_proto(await rpc(info.context.services.identity.AssignRole(identity_pb.AssignRoleRequest(
            user_id=input.user_id, program_code=input.program, role_code=input.role, store=input.store or ""),
            timeout=30)))

    @strawberry.mutation(permission_classes=[Allow(P.USER_MANAGE)])
    async def remove_role(self, info: Info, input: RoleAssignmentInput) -> StaffUser:
        await _own_user(info, input.user_id, input.program)
        return StaffUser.from_proto(await rpc(info.context.services.identity.RemoveRole(identity_pb.AssignRoleRequest(
            user_id=input.user_id, program_code=input.program, role_code=input.role), timeout=30)))

    @strawberry.mutation(permission_classes=[Allow(P.USER_MANAGE)],
                         description="A custom role of the program: permissions from the catalogue that you hold")
    async def save_role(self, info: Info, input: SaveRoleInput) -> Role:
        check_known(input.permissions, field="permissions")
        principal = info.context.principal
        beyond = sorted(set(input.permissions) - principal.permissions_in(input.program))
        if beyond:
            raise graphql_error(ErrorCode.FORBIDDEN, f"permissions: you cannot grant {beyond[0]!r}, which you do not hold",
                                field="permissions")
        saved = await rpc(info.context.services.identity.SaveRole(identity_pb.SaveRoleRequest(role=identity_pb.Role(
            code=input.code, name=input.name, program_code=input.program, permissions=input.permissions)), timeout=30))
        return role_from_proto(saved)

    @strawberry.mutation(permission_classes=[SignedInStaff],
                         description="Staff: starts TOTP enrolment; confirm with a code to turn it on")
    async def begin_totp(self, info: Info) -> TotpEnrolment:
        reply = await rpc(info.context.services.identity.BeginTotp(identity_pb.BeginTotpRequest(
            user_id=_staff_user_id(info)), timeout=30))
        return TotpEnrolment(secret=reply.secret, provisioning_uri=reply.provisioning_uri)

    @strawberry.mutation(permission_classes=[SignedInStaff],
                         description="Turns TOTP on; returns ten recovery codes, shown once")
    async def confirm_totp(self, info: Info, code: str) -> list[str]:
        reply = await rpc(info.context.services.identity.ConfirmTotp(identity_pb.ConfirmTotpRequest(
            user_id=_staff_user_id(info), code=code), timeout=30))
        return list(reply.recovery_codes)


def _staff_user_id(info: Info) -> str:
    return info.context.principal.subject.removeprefix("staff:")


async def _own_user(info: Info, user_id: str, program: str) -> None:
    """A program's user manager reaches only users of that program (a new role goes through inviteUser)."""
    if info.context.principal.platform_wide:
        return
    user = await rpc(info.context.services.identity.GetUser(identity_pb.GetUserRequest(user_id=user_id), timeout=30))
    if not any(a.program_code == program for a in user.assignments):
        raise graphql_error(ErrorCode.NOT_FOUND, f"user {user_id!r} not found")


def role_from_proto(r) -> Role:
    return Role(code=r.code, name=r.name, builtin=r.builtin, permissions=list(r.permissions),
                expanded_permissions=sorted(expand(r.permissions)))


@strawberry.type
class MemberSelfMutations:
    @strawberry.mutation(permission_classes=[MemberSelf],
                         description="Everything the member service holds about me, as JSON (data subject access)")
    async def export_my_data(self, info: Info) -> JSON:
        m = info.context.principal.member
        md = await info.context.metadata(m.program)
        found = await rpc(info.context.services.member.ExportMember(
            member_pb.GetMemberRequest(loyalty_number=m.loyalty_number), metadata=md, timeout=10))
        return json.loads(found.json)

    @strawberry.mutation(permission_classes=[MemberSelf],
                         description="Erases my personal data for good (the ledger stays whole); confirm must be true")
    async def erase_my_data(self, info: Info, confirm: bool) -> bool:
        if not confirm:
            raise graphql_error(ErrorCode.INVALID_INPUT, "confirm: must be true to erase", field="confirm")
        m = info.context.principal.member
        md = await info.context.metadata(m.program)
        await rpc(info.context.services.member.EraseMember(
            member_pb.EraseMemberRequest(loyalty_number=m.loyalty_number), metadata=md, timeout=10))
        return True
