"""The one catalogue of permissions, and their declaration on fields: `permission_classes=[Allow(P.POINTS_EARN)]`.

Every permission the gateway checks is declared here with what it allows. Roles (stored by the
identity service) are patterns over this catalogue: "*" (every program permission), "points.*",
"*.read", "!user.*" (take away). A program-scoped permission reads the program code from the
field's `program` argument, its `input.program`, or the object it is a field of (a member's nested
fields), so a principal of program A is refused on program B. Platform permissions hold only for
platform principals (programs "*") and are never given to a program's API key. A member's own
token holds only `self.*`; on their own member object it may also read what MEMBER_SELF allows.
"""

import dataclasses
import enum
import fnmatch
from typing import Any

from strawberry.permission import BasePermission

from services.common.errors import ErrorCode

from gateway.errors import graphql_error


class Scope(enum.Enum):
    PROGRAM = "program"    # held per program
    PLATFORM = "platform"  # held only platform-wide
    MEMBER = "member"      # a member's own token


@dataclasses.dataclass(frozen=True)
class Permission:
    name: str
    description: str
    scope: Scope = Scope.PROGRAM


class P(str, enum.Enum):
    """Every permission string, by name: the catalogue's keys."""

    PROGRAM_CREATE = "program.create"
    PROGRAM_READ = "program.read"
    PROGRAM_MANAGE = "program.manage"
    PROGRAM_MANAGE_API_KEYS = "program.manage_api_keys"
    USER_READ = "user.read"
    USER_MANAGE = "user.manage"
    AUDIT_READ = "audit.read"
    AUDIT_MANAGE = "audit.manage"
    MEMBER_READ = "member.read"
    MEMBER_SEARCH = "member.search"
    MEMBER_ENROLL = "member.enroll"
    MEMBER_UPDATE = "member.update"
    MEMBER_STATUS = "member.status"
    MEMBER_MERGE = "member.merge"
    MEMBER_ERASE = "member.erase"
    SEGMENT_MANAGE = "segment.manage"
    POINTS_READ = "points.read"
    POINTS_EARN = "points.earn"
    POINTS_REDEEM = "points.redeem"
    POINTS_ADJUST = "points.adjust"
    POINTS_GOODWILL = "points.goodwill"
    POINTS_GOODWILL_UNLIMITED = "points.goodwill_unlimited"
    POINTS_TRANSFER = "points.transfer"
    POINTS_VOID = "points.void"
    POINTS_EXTEND_EXPIRY = "points.extend_expiry"
    POINTS_REPORT = "points.report"
    RULES_READ = "rules.read"
    RULES_MANAGE = "rules.manage"
    RULES_PUBLISH = "rules.publish"
    TIER_READ = "tier.read"
    TIER_MANAGE = "tier.manage"
    TIER_OVERRIDE = "tier.override"
    REWARDS_READ = "rewards.read"
    REWARDS_MANAGE = "rewards.manage"
    REWARDS_REDEEM = "rewards.redeem"
    REWARDS_REDEEM_WITHOUT_OTP = "rewards.redeem_without_otp"
    REWARDS_REPORT = "rewards.report"
    BILLING_READ = "billing.read"
    BILLING_MANAGE = "billing.manage"
    BILLING_CLOSE = "billing.close"
    WEBHOOK_READ = "webhook.read"
    WEBHOOK_MANAGE = "webhook.manage"
    IMPORT_READ = "import.read"
    SELF_READ = "self.read"
    SELF_ACT = "self.act"

    def __str__(self) -> str:
        return self.value


_DESCRIPTIONS: dict[P, tuple[str, Scope]] = {
    P.PROGRAM_CREATE: ("Create a program (a tenant)", Scope.PLATFORM),
    P.PROGRAM_READ: ("Read a program's settings", Scope.PROGRAM),
    P.PROGRAM_MANAGE: ("Change a program's settings, clubs, locations; archive it", Scope.PROGRAM),
    P.PROGRAM_MANAGE_API_KEYS: ("List, create, rotate and revoke the program's API keys", Scope.PROGRAM),
    P.USER_READ: ("List the program's staff users and roles", Scope.PROGRAM),
    P.USER_MANAGE: ("Invite, deactivate and assign roles to the program's staff; custom roles", Scope.PROGRAM),
    P.AUDIT_READ: ("Read and export the program's audit log", Scope.PROGRAM),
    P.AUDIT_MANAGE: ("Set the audit log's retention and purge what is past it", Scope.PLATFORM),
    P.MEMBER_READ: ("Look up one member by loyalty number", Scope.PROGRAM),
    P.MEMBER_SEARCH: ("Search and list every member, duplicates, data export (staff)", Scope.PROGRAM),
    P.MEMBER_ENROLL: ("Enrol a member", Scope.PROGRAM),
    P.MEMBER_UPDATE: ("Change a member's profile and the member settings", Scope.PROGRAM),
    P.MEMBER_STATUS: ("Suspend, blacklist, reactivate a member", Scope.PROGRAM),
    P.MEMBER_MERGE: ("Merge two members", Scope.PROGRAM),
    P.MEMBER_ERASE: ("Erase a member's personal data", Scope.PROGRAM),
    P.SEGMENT_MANAGE: ("Create, preview and refresh segments", Scope.PROGRAM),
    P.POINTS_READ: ("Read balances, history, holds", Scope.PROGRAM),
    P.POINTS_EARN: ("Earn points for a purchase (and retro-claims)", Scope.PROGRAM),
    P.POINTS_REDEEM: ("Pay with points", Scope.PROGRAM),
    P.POINTS_ADJUST: ("Adjust a balance by hand", Scope.PROGRAM),
    P.POINTS_GOODWILL: ("Give goodwill points", Scope.PROGRAM),
    P.POINTS_GOODWILL_UNLIMITED: ("Give goodwill over the program's goodwill limit per posting", Scope.PROGRAM),
    P.POINTS_TRANSFER: ("Move points between members", Scope.PROGRAM),
    P.POINTS_VOID: ("Void a transaction", Scope.PROGRAM),
    P.POINTS_EXTEND_EXPIRY: ("Extend the expiry of points", Scope.PROGRAM),
    P.POINTS_REPORT: ("Ledger reports: liability, breakage, KPIs", Scope.PROGRAM),
    P.RULES_READ: ("Read rule sets and campaigns, dry runs", Scope.PROGRAM),
    P.RULES_MANAGE: ("Edit rule sets and campaigns", Scope.PROGRAM),
    P.RULES_PUBLISH: ("Publish rule set revisions", Scope.PROGRAM),
    P.TIER_READ: ("Read tier slabs, a member's tier, progress and history, reports", Scope.PROGRAM),
    P.TIER_MANAGE: ("Define tier slabs, freeze windows, run the evaluation", Scope.PROGRAM),
    P.TIER_OVERRIDE: ("Set or clear a member's manual tier", Scope.PROGRAM),
    P.REWARDS_READ: ("Read the catalogue, claims, vouchers, eligibility", Scope.PROGRAM),
    P.REWARDS_MANAGE: ("Edit the rewards catalogue", Scope.PROGRAM),
    P.REWARDS_REDEEM: ("Claim rewards for a member with their passcode", Scope.PROGRAM),
    P.REWARDS_REDEEM_WITHOUT_OTP: ("Claim rewards without the member's passcode (staff)", Scope.PROGRAM),
    P.REWARDS_REPORT: ("Rewards reports", Scope.PROGRAM),
    P.BILLING_READ: ("Read partners, rate cards, statements, invoices", Scope.PROGRAM),
    P.BILLING_MANAGE: ("Edit partners and rate cards", Scope.PROGRAM),
    P.BILLING_CLOSE: ("Close billing periods and issue invoices", Scope.PROGRAM),
    P.WEBHOOK_READ: ("Read webhook subscriptions, their delivery log, the event catalogue", Scope.PROGRAM),
    P.WEBHOOK_MANAGE: ("Create, change, delete webhook subscriptions, rotate secrets; redeliver, replay",
                       Scope.PROGRAM),
    P.IMPORT_READ: ("Read the legacy import runs: state, counts, reconciliation, rejected rows", Scope.PROGRAM),
    P.SELF_READ: ("A member reads their own data (member token)", Scope.MEMBER),
    P.SELF_ACT: ("A member acts on their own account (member token)", Scope.MEMBER),
}

CATALOGUE: dict[str, Permission] = {
    p.value: Permission(p.value, description, scope) for p, (description, scope) in _DESCRIPTIONS.items()
}
assert set(CATALOGUE) == {p.value for p in P}, "every permission needs a description"

ALL = "*"
PROGRAM_PERMISSIONS = frozenset(n for n, p in CATALOGUE.items() if p.scope is Scope.PROGRAM)
PLATFORM_PERMISSIONS = frozenset(n for n, p in CATALOGUE.items() if p.scope is Scope.PLATFORM)
# What a member's own token may read on their own member object (and nothing else, anywhere).
MEMBER_SELF = frozenset({P.MEMBER_READ.value, P.POINTS_READ.value, P.TIER_READ.value, P.REWARDS_READ.value})


def expand(patterns, *, platform: bool = False) -> frozenset[str]:
    """A role's patterns as concrete permissions. A program role never reaches platform permissions."""
    pool = PROGRAM_PERMISSIONS | PLATFORM_PERMISSIONS if platform else PROGRAM_PERMISSIONS
    if any(p.startswith("self.") for p in patterns):
        pool = pool | {n for n, p in CATALOGUE.items() if p.scope is Scope.MEMBER}
    granted: set[str] = set()
    for pattern in patterns:
        if not pattern.startswith("!"):
            granted |= {n for n in pool if fnmatch.fnmatchcase(n, pattern)}
    for pattern in patterns:
        if pattern.startswith("!"):
            granted -= {n for n in granted if fnmatch.fnmatchcase(n, pattern[1:])}
    return frozenset(granted)


def check_known(permissions, *, field: str) -> list[str]:
    unknown = sorted(p for p in permissions if p not in CATALOGUE)
    if unknown:
        raise graphql_error(ErrorCode.INVALID_INPUT, f"{field}: unknown permission {unknown[0]!r}", field=field)
    return list(permissions)


# What a POS terminal or an app key gets when no scopes are asked for: the counter's work, no staff powers
# (no search over every member, no adjustments, no redemption without the member's passcode).
DEFAULT_KEY_SCOPES = (P.MEMBER_ENROLL.value, P.MEMBER_READ.value, P.POINTS_EARN.value, P.POINTS_READ.value,
                      P.POINTS_REDEEM.value, P.REWARDS_READ.value, P.REWARDS_REDEEM.value)


def grantable_scopes(principal, program: str, scopes) -> list[str]:
    """A key's scopes: catalogue permissions of a program that the granting principal holds there itself.
    No wildcard, no platform permission, nothing the granter lacks."""
    if ALL in scopes:
        raise graphql_error(ErrorCode.INVALID_INPUT, "scopes: name each permission; '*' is not grantable",
                            field="scopes")
    check_known(scopes, field="scopes")
    for scope in scopes:
        if CATALOGUE[scope].scope is not Scope.PROGRAM:
            raise graphql_error(ErrorCode.FORBIDDEN, f"scopes: {scope!r} cannot be given to a program's key",
                                field="scopes")
        if not principal.has(scope, program):
            raise graphql_error(ErrorCode.FORBIDDEN, f"scopes: you cannot grant {scope!r}, which you do not hold",
                                field="scopes")
    return sorted(set(scopes))


def _program_of(source: Any, kwargs: dict[str, Any]) -> str | None:
    if "program" in kwargs:
        return kwargs["program"]
    value = kwargs.get("input")
    if value is not None and getattr(value, "program", None) is not None:
        return value.program
    return getattr(source, "program", None) or None


def require_principal(info):
    ctx = info.context
    if ctx.auth_error is not None:
        raise ctx.auth_error
    if ctx.principal is None:
        raise graphql_error(ErrorCode.UNAUTHENTICATED, "authentication required: send a bearer token or an API key")
    return ctx.principal


def Allow(permission: "P | str", *, program_scoped: bool = True) -> type[BasePermission]:  # noqa: N802 - a declaration
    name = str(permission)
    known = CATALOGUE.get(name)
    if known is None:
        raise ValueError(f"permission {name!r} is not in the catalogue (gateway/permissions.py)")
    platform = known.scope is Scope.PLATFORM
    self_readable = name in MEMBER_SELF

    class _Allow(BasePermission):
        message = f"requires permission {name}"
        error_extensions = {"code": ErrorCode.FORBIDDEN.value}
        declared = name

        def has_permission(self, source, info, **kwargs) -> bool:  # no I/O: no coroutine per check
            principal = require_principal(info)
            if principal.kind == "member":
                # Only on their own member object, reached through `me`; never a root field.
                if self_readable and principal.owns(source):
                    return True
                raise graphql_error(ErrorCode.FORBIDDEN, f"{principal.subject} lacks permission {name}")
            if platform:
                if not principal.platform_wide or not principal.has(name):
                    raise graphql_error(ErrorCode.FORBIDDEN, f"{principal.subject} lacks platform permission {name}")
                return True
            code = _program_of(source, kwargs) if program_scoped else None
            if code is not None and not principal.may_act_on(code):
                raise graphql_error(ErrorCode.FORBIDDEN, f"{principal.subject} may not act on program {code!r}")
            if not principal.has(name, code):
                raise graphql_error(ErrorCode.FORBIDDEN, f"{principal.subject} lacks permission {name}")
            return True

    _Allow.__name__ = f"Allow[{name}]"
    return _Allow


class Authenticated(BasePermission):
    """Any signed-in principal (the field answers about the caller only, e.g. `me`)."""

    message = "authentication required"
    error_extensions = {"code": ErrorCode.UNAUTHENTICATED.value}
    declared = "authenticated"

    def has_permission(self, source, info, **kwargs) -> bool:
        require_principal(info)
        return True


class Public(BasePermission):
    """Open to anyone on purpose (sign-in, passcode requests): declared so the schema test sees the intent."""

    message = ""
    declared = "public"

    def has_permission(self, source, info, **kwargs) -> bool:
        return True


class MemberSelf(BasePermission):
    """A member's own token only (`self.read` / `self.act`)."""

    message = "requires a member's own sign-in"
    error_extensions = {"code": ErrorCode.FORBIDDEN.value}
    declared = "self"

    def has_permission(self, source, info, **kwargs) -> bool:
        principal = require_principal(info)
        if principal.kind != "member":
            raise graphql_error(ErrorCode.FORBIDDEN, "only a member's own sign-in may do this")
        return True


class SignedInStaff(BasePermission):
    """A staff user signed in through a session (their own account: the second factor)."""

    message = "requires a staff sign-in"
    error_extensions = {"code": ErrorCode.FORBIDDEN.value}
    declared = "staff"

    def has_permission(self, source, info, **kwargs) -> bool:
        principal = require_principal(info)
        if principal.kind != "staff" or principal.session_id is None:
            raise graphql_error(ErrorCode.FORBIDDEN, "only a signed-in staff user has a second factor")
        return True
