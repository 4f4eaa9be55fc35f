import strawberry

from loyalty.identity.v1 import identity_service_pb2 as identity_pb

from gateway.context import Info
from gateway.identity.mutations import role_from_proto
from gateway.identity.types import (
    PermissionInfo, PrincipalKind, Role, StaffUser, Viewer, ViewerMember, ViewerProgram,
)
from gateway.members.types import Member
from gateway.permissions import (
    ALL, CATALOGUE, PLATFORM_PERMISSIONS, PROGRAM_PERMISSIONS, Allow, Authenticated, P,
)
from gateway.services import rpc


async def _program_name(info: Info, code: str) -> str:
    try:
        return (await info.context.loaders.program_by_code.load(code)).name
    except Exception:  # an archived or unknown program still shows by code
        return code


@strawberry.type
class IdentityQueries:
    @strawberry.field(permission_classes=[Authenticated], description="Who am I: my programs, roles, permissions")
    async def me(self, info: Info) -> Viewer:
        p = info.context.principal
        kind = PrincipalKind(p.kind)
        platform = sorted(PLATFORM_PERMISSIONS | PROGRAM_PERMISSIONS) if ALL in p.permissions and p.platform_wide \
            else sorted(x for x in p.permissions if x in PLATFORM_PERMISSIONS and p.platform_wide)
        programs = []
        codes = sorted(set(p.grants) | ({c for c in p.programs if c != ALL} if not p.grants else set()))
        for code in codes:
            programs.append(ViewerProgram(code=code, name=await _program_name(info, code),
                                          roles=list(p.roles.get(code, ())), permissions=sorted(p.permissions_in(code))))
        member = None
        if p.member is not None:
            loaded = await info.context.loaders.member_by_loyalty_number.load((p.member.program, p.member.loyalty_number))
            member = ViewerMember(loyalty_number=p.member.loyalty_number, program=p.member.program,
                                  profile=Member.from_proto(loaded, p.member.program))
        return Viewer(subject=p.subject, kind=kind, email=p.email, display_name=p.display_name,
                      platform_permissions=platform, programs=programs, member=member)

    @strawberry.field(permission_classes=[Allow(P.USER_READ)], description='Staff users of a program ("*": all)')
    async def users(self, info: Info, program: str) -> list[StaffUser]:
        reply = await rpc(info.context.services.identity.ListUsers(identity_pb.ListUsersRequest(
            program_code="" if program == ALL else program), timeout=10))
        return [StaffUser.from_proto(u) for u in reply.users]

    @strawberry.field(permission_classes=[Allow(P.USER_READ)], description="Built-in roles and the program's own")
    async def roles(self, info: Info, program: str) -> list[Role]:
        reply = await rpc(info.context.services.identity.ListRoles(identity_pb.ListRolesRequest(program_code=program),
                                                                  timeout=10))
        return [role_from_proto(r) for r in reply.roles]

    @strawberry.field(permission_classes=[Authenticated], description="Every permission the gateway knows")
    def permission_catalogue(self) -> list[PermissionInfo]:
        return [PermissionInfo(name=p.name, description=p.description, scope=p.scope.value)
                for p in CATALOGUE.values()]
