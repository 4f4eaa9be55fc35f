"""`_entities`: the federation entry point, with the same authentication and error model as any field.

A supergraph router asks for entities by key. Each representation is checked (a JSON object with a
known `__typename` and its key), the caller must be signed in and hold the permission the ordinary
query needs (program.read for Program, member.read for Member) in that program, and the entity is
fetched from its service: nothing a caller sends is taken as the entity itself.
"""

from graphql import GraphQLError

from loyalty.member.v1 import member_service_pb2 as member_pb
from services.common.errors import ErrorCode

from gateway.errors import graphql_error, invalid_input
from gateway.services import rpc

FIELD = "representations"


def _authorized(info, permission: str, program_code: str) -> None:
    ctx = info.context
    if ctx.auth_error is not None:
        raise ctx.auth_error
    principal = ctx.principal
    if principal is None:
        raise graphql_error(ErrorCode.UNAUTHENTICATED, "authentication required: send a bearer token or an API key")
    if not principal.has(permission):
        raise graphql_error(ErrorCode.FORBIDDEN, f"{principal.subject} lacks permission {permission}")
    if not principal.may_act_on(program_code):
        raise graphql_error(ErrorCode.FORBIDDEN, f"{principal.subject} may not act on program {program_code!r}")


def _text(representation: dict, key: str, index: int) -> str:
    value = representation.get(key)
    if not isinstance(value, str) or not value or "\x00" in value or len(value) > 200:
        raise invalid_input(f"{FIELD}.{index}.{key}", "must be a non-empty string")
    return value


async def _program(info, representation: dict, index: int):
    from gateway.programs.types import Program

    code = _text(representation, "code", index)
    _authorized(info, "program.read", code)
    return Program.from_proto(await info.context.loaders.program_by_code.load(code))


async def _member(info, representation: dict, index: int):
    from gateway.members.types import Member

    member_id = _text(representation, "id", index)
    principal = info.context.principal
    code = representation.get("program")
    if code is None and principal is not None and len(principal.programs) == 1 and "*" not in principal.programs:
        code = next(iter(principal.programs))
    if code is None:
        if principal is None or info.context.auth_error is not None:
            _authorized(info, "member.read", "")
        raise invalid_input(f"{FIELD}.{index}.program", "a Member needs its program's code when the caller may act "
                                                         "on more than one program")
    code = _text({"program": code}, "program", index)
    _authorized(info, "member.read", code)
    md = await info.context.metadata(code)
    found = await rpc(info.context.services.member.GetMember(member_pb.GetMemberRequest(member_id=member_id),
                                                             metadata=md, timeout=5))
    # The union needs the Member type itself, not the lazy record ordinary fields return.
    record = Member.from_proto(found, code)
    fields = {f.python_name: getattr(record, f.python_name)
              for f in Member.__strawberry_definition__.fields if f.base_resolver is None}
    return Member(**fields, program=code)


RESOLVERS = {"Program": _program, "Member": _member}


async def resolve_entities(info, representations: list) -> list:
    """One result per representation, in order; a bad one is an error in its place."""
    if info.context.principal is None or info.context.auth_error is not None:
        _authorized(info, "", "")  # raises UNAUTHENTICATED (or the credentials' own error)
    results: list = []
    for index, representation in enumerate(representations):
        try:
            if not isinstance(representation, dict):
                raise invalid_input(f"{FIELD}.{index}", "must be an object with __typename")
            resolver = RESOLVERS.get(representation.get("__typename"))
            if resolver is None:
                raise invalid_input(f"{FIELD}.{index}.__typename", f"must be one of {', '.join(sorted(RESOLVERS))}")
            results.append(await resolver(info, representation, index))
        except GraphQLError as error:
            results.append(error)
    return results
