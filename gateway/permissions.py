"""Permissions declared on fields: `permission_classes=[Allow("points.earn")]`.

A program-scoped permission reads the program code from the field's `program` argument or its
`input.program`, so an API key of program A is refused on program B.
"""

from typing import Any

from strawberry.permission import BasePermission

from services.common.errors import ErrorCode

from gateway.errors import graphql_error


def _program_argument(kwargs: dict[str, Any]) -> str | None:
    if "program" in kwargs:
        return kwargs["program"]
    value = kwargs.get("input")
    return getattr(value, "program", None)


def Allow(permission: str, *, program_scoped: bool = True) -> type[BasePermission]:  # noqa: N802 - reads as a declaration
    class _Allow(BasePermission):
        message = f"requires permission {permission}"
        error_extensions = {"code": ErrorCode.FORBIDDEN.value}

        def has_permission(self, source, info, **kwargs) -> bool:  # no I/O: no coroutine per check
            ctx = info.context
            if ctx.auth_error is not None:
                raise ctx.auth_error
            principal = ctx.principal
            if principal is None:
                raise graphql_error(ErrorCode.UNAUTHENTICATED, "authentication required: send a bearer token or an API key")
            if not principal.has(permission):
                raise graphql_error(ErrorCode.FORBIDDEN, f"{principal.subject} lacks permission {permission}")
            if program_scoped:
                code = _program_argument(kwargs)
                if code is not None and not principal.may_act_on(code):
                    raise graphql_error(ErrorCode.FORBIDDEN, f"{principal.subject} may not act on program {code!r}")
            return True

    _Allow.__name__ = f"Allow[{permission}]"
    return _Allow
