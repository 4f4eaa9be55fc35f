"""Each role's allowed and refused operations, over every root field of the schema, against the real
platform with tokens from real sign-ins. The expectation is generated from the permission each field
declares and the role's patterns expanded over the catalogue: a new field without a declared
permission fails gateway/tests/test_permission_declarations.py, and one whose declaration a role does
not cover is refused here."""

import asyncio

import pytest
from graphql import (
    GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType, get_named_type,
    is_leaf_type,
)

from gateway.permissions import CATALOGUE, Scope, expand
from gateway.schema import schema
from tests.e2e.identity_helpers import invite_and_accept
from tests.e2e.test_identity_members import sign_in_member
from tests.e2e.test_members_statuses import enrol, new_program

pytestmark = pytest.mark.e2e

# The built-in roles' patterns, as services/identity/migrations seed them (0001; 0002 gave the
# Front-Line Manager member.search for the till's find box).
ROLES = {
    "lms_admin": (["*"], True),
    "super_admin": (["*"], False),
    "admin": (["*", "!user.*"], False),
    "management": (["*.read", "*.report", "audit.read"], False),
    "front_line_manager": (["program.read", "member.read", "member.search", "member.enroll", "points.read",
                            "points.earn", "points.redeem", "points.goodwill", "points.void", "rewards.read",
                            "rewards.redeem", "tier.read"], False),
}
# Fields left out: they would end the test's own sessions or change what the others rely on.
SKIP = {"signOut", "resetPassword", "purgeAuditLog"}
SCALARS = {"String": '"x"', "ID": '"x"', "Int": "1", "Float": "1.5", "Boolean": "false", "JSON": "{}",
           "DateTime": '"2026-01-01T00:00:00Z"', "_Any": "{}"}


def literal(gql_type, *, name: str, program: str) -> str:
    if isinstance(gql_type, GraphQLNonNull):
        return literal(gql_type.of_type, name=name, program=program)
    if isinstance(gql_type, GraphQLList):
        return f"[{literal(gql_type.of_type, name=name, program=program)}]"
    if name == "program":
        return f'"{program}"'
    if isinstance(gql_type, GraphQLEnumType):
        return next(iter(gql_type.values))
    if isinstance(gql_type, GraphQLScalarType):
        return SCALARS[gql_type.name]
    assert isinstance(gql_type, GraphQLInputObjectType)
    parts = [f"{n}: {literal(f.type, name=n, program=program)}" for n, f in gql_type.fields.items()
             if isinstance(f.type, GraphQLNonNull) or n == "program"]
    return "{" + ", ".join(parts) + "}"


def document(kind: str, name: str, field, program: str) -> str:
    args = [f"{n}: {literal(a.type, name=n, program=program)}" for n, a in field.args.items()
            if isinstance(a.type, GraphQLNonNull) or n == "program"]
    call = f"{name}({', '.join(args)})" if args else name
    selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
    return f"{kind} {{ {call}{selection} }}"


def declaration(root, name: str) -> str:
    definition = root.fields[name].extensions["strawberry-definition"]
    [declared] = [p.declared for p in definition.permission_classes]
    return declared


def allowed(role: str, declared: str) -> bool:
    if declared in ("public", "authenticated"):
        return True
    if role == "member":
        return declared == "self"
    if declared in ("self", "staff"):
        return declared == "staff"
    patterns, platform = ROLES[role]
    if CATALOGUE[declared].scope is Scope.PLATFORM:
        return platform and declared in expand(patterns, platform=True)
    return declared in expand(patterns, platform=platform)


def cases():
    s = schema._schema
    for kind, root in (("query", s.query_type), ("mutation", s.mutation_type)):
        for name in root.fields:
            if not name.startswith("_") and name not in SKIP:
                yield kind, root, name


@pytest.fixture(scope="module")
async def role_clients(platform, smtp_server):
    """A client per role, each signed in for real; and the program they hold their roles in."""
    from tests.fixtures.graphql import GraphQLClient
    from tests.fixtures.platform import ADMIN_TOKEN

    admin = GraphQLClient(platform.url, token=ADMIN_TOKEN)
    program = await new_program(admin)
    clients = {}
    for role in ROLES:
        _, tokens = await invite_and_accept(admin, platform, smtp_server, program="*" if role == "lms_admin"
                                            else program, role=role)
        clients[role] = GraphQLClient(platform.url, token=tokens["accessToken"])
    member = await enrol(admin, program)
    tokens = await sign_in_member(GraphQLClient(platform.url), smtp_server, program=program, email=member["email"])
    clients["member"] = GraphQLClient(platform.url, token=tokens["accessToken"])
    return program, clients


async def test_every_field_for_every_role(role_clients):
    program, clients = role_clients
    wrong = []
    semaphore = asyncio.Semaphore(8)

    async def one(role, kind, root, name):
        declared = declaration(root, name)
        async with semaphore:
            result = await clients[role](document(kind, name, root.fields[name], program))
        # A public field's UNAUTHENTICATED is its answer about the credentials it was given, not a refusal.
        refused = "FORBIDDEN" in result.codes or ("UNAUTHENTICATED" in result.codes and declared != "public")
        if refused == allowed(role, declared):
            wrong.append((role, name, declared, result.codes, (result.errors or [{}])[0].get("message")))

    await asyncio.gather(*(one(role, kind, root, name) for role in clients for kind, root, name in cases()))
    assert not wrong, "\n".join(map(str, wrong))
