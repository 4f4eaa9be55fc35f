"""GraphQL errors: every one carries `extensions.code` (and `field` for bad input)."""

from graphql import GraphQLError

from services.common.errors import DomainError, ErrorCode


def graphql_error(code: ErrorCode | str, message: str, *, field: str | None = None) -> GraphQLError:
    extensions = {"code": code.value if isinstance(code, ErrorCode) else code}
    if field:
        extensions["field"] = field
    return GraphQLError(message, extensions=extensions)


def from_domain(err: DomainError) -> GraphQLError:
    return graphql_error(err.code, err.message, field=err.field)


def invalid_input(field: str, message: str) -> GraphQLError:
    return graphql_error(ErrorCode.INVALID_INPUT, f"{field}: {message}", field=field)
