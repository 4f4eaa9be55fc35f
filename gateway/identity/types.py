import datetime as dt
import enum

import strawberry

from loyalty.rewards.v1 import rewards_service_pb2 as rewards_pb
from services.common.errors import ErrorCode

from gateway.context import Info
from gateway.errors import graphql_error
from gateway.members.types import Member
from gateway.permissions import MemberSelf
from gateway.rewards.types import RewardEligibility
from gateway.services import rpc
from gateway.tiers.types import TierProgress


@strawberry.type(description="What sign-in gives: a short-lived access token and a one-time refresh token. "
                             "With mfaRequired, sign in again with totpCode.")
class SessionTokens:
    access_token: str | None
    refresh_token: str | None
    expires_at: dt.datetime | None = strawberry.field(description="When the access token expires")
    mfa_required: bool


@strawberry.input
class SignInInput:
    email: str
    password: str
    totp_code: str | None = strawberry.field(default=None, description="The authenticator's code or a recovery code")


@strawberry.input
class AcceptInvitationInput:
    token: str
    password: str
    display_name: str | None = None


@strawberry.input
class ResetPasswordInput:
    token: str
    password: str


@strawberry.input
class RequestMemberPasscodeInput:
    program: str
    email: str | None = None
    phone: str | None = None


@strawberry.input
class MemberSignInInput:
    program: str
    email: str | None = None
    phone: str | None = None
    passcode: str


@strawberry.enum
class PrincipalKind(enum.Enum):
    STAFF = "staff"
    API_KEY = "api_key"
    MEMBER = "member"
    ADMIN_TOKEN = "admin"


@strawberry.type
class ViewerProgram:
    code: str
    name: str
    roles: list[str]
    permissions: list[str]


@strawberry.type(description="The signed-in member (member tokens only)")
class ViewerMember:
    loyalty_number: str
    program: str
    profile: Member = strawberry.field(description="The member: profile, consents, points, tiers, activity")

    @strawberry.field(permission_classes=[MemberSelf], description="Progress towards the next tier, per slab")
    async def tier_progress(self, info: Info) -> list[TierProgress]:
        _own(info, self)
        progress = await info.context.loaders.tier_progress_by_loyalty_number.load(
            (self.program, self.loyalty_number, ""))
        return [TierProgress.from_proto(p) for p in progress.slabs]

    @strawberry.field(permission_classes=[MemberSelf], description="Rewards the member can claim now and next")
    async def claimable_rewards(self, info: Info) -> RewardEligibility:
        _own(info, self)
        md = await info.context.metadata(self.program)
        found = await rpc(info.context.services.rewards.GetEligibility(
            rewards_pb.GetEligibilityRequest(loyalty_number=self.loyalty_number), metadata=md, timeout=10))
        return RewardEligibility.from_proto(found)


def _own(info: Info, member: "ViewerMember") -> None:
    if not info.context.principal.owns(member):
        raise graphql_error(ErrorCode.FORBIDDEN, "a member reads only their own data")


@strawberry.type
class Viewer:
    subject: str
    kind: PrincipalKind
    email: str | None
    display_name: str | None
    platform_permissions: list[str]
    programs: list[ViewerProgram]
    member: ViewerMember | None = None


@strawberry.input
class InviteUserInput:
    program: str = strawberry.field(description='A program code, or "*" with role lms_admin for a platform user')
    email: str
    role: str = strawberry.field(description="A role code: super_admin, admin, management, front_line_manager, "
                                             "lms_admin, or one of the program's custom roles")
    store: str | None = strawberry.field(default=None, description="The role is held at this store (location "
                                         "code) only; null: every store")


@strawberry.type
class Invitation:
    user_id: strawberry.ID
    expires_at: dt.datetime | None = strawberry.field(description="Null when the user was already active: the "
                                                                  "role was added and a notice mailed")


@strawberry.input
class DeactivateUserInput:
    program: str = strawberry.field(description='The program the user works in ("*": platform)')
    user_id: strawberry.ID


@strawberry.input
class RoleAssignmentInput:
    program: str
    user_id: strawberry.ID
    role: str
    store: str | None = strawberry.field(default=None, description="assignRole: the role is held at this store "
                                         "(location code) only, e.g. a Front-Line Manager's; null: every store")


@strawberry.type
class RoleAssignment:
    program: str
    role: str
    store: str | None = None


@strawberry.type
class StaffUser:
    id: strawberry.ID
    email: str
    display_name: str
    status: str
    totp_enabled: bool
    created_at: str
    last_sign_in_at: str | None
    roles: list[RoleAssignment]

    @classmethod
    def from_proto(cls, u) -> "StaffUser":
        return cls(id=strawberry.ID(u.id), email=u.email, display_name=u.display_name, status=u.status,
                   totp_enabled=u.totp_enabled, created_at=u.created_at, last_sign_in_at=u.last_sign_in_at or None,
                   roles=[RoleAssignment(program=a.program_code, role=a.role_code, store=a.store or None)
                          for a in u.assignments])


@strawberry.type
class Role:
    code: str
    name: str
    builtin: bool
    permissions: list[str] = strawberry.field(description="Patterns over the catalogue as stored")
    expanded_permissions: list[str] = strawberry.field(description="What the role grants in a program")


@strawberry.input
class SaveRoleInput:
    program: str
    code: str
    name: str
    permissions: list[str]


@strawberry.type
class PermissionInfo:
    name: str
    description: str
    scope: str


@strawberry.type
class TotpEnrolment:
    secret: str
    provisioning_uri: str
