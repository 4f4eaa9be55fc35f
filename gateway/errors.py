"""GraphQL errors: every one carries `extensions.code` (and `field` for bad input).

Domain codes come from the services (services/common/errors.py ErrorCode); the gateway adds its own
for what it refuses before any service is asked (GatewayErrorCode). `public_error` is the last step
for every error a client sees: an error without a code gets one, and an unexpected one (a Python
exception, graphql-core's output checks) is answered as INTERNAL with no exception text.
"""

import enum
import logging

from graphql import GraphQLError

from services.common.errors import DomainError, ErrorCode

log = logging.getLogger(__name__)


class GatewayErrorCode(str, enum.Enum):
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"  # not a GraphQL document
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"  # not valid against the schema
    BAD_REQUEST = "BAD_REQUEST"  # not a GraphQL request (body, content type, method, operation name)
    REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"  # body over the limit (HTTP 413)
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"  # tokens, aliases, cost or mutations per document over the limit
    RATE_LIMITED = "RATE_LIMITED"  # too many requests: retry after `extensions.retryAfter` seconds (HTTP 429)
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"  # unknown hash: send the request again with `query`
    PERSISTED_QUERY_MISMATCH = "PERSISTED_QUERY_MISMATCH"  # the hash is not the query's SHA-256 (HTTP 400)


INTERNAL_MESSAGE = "internal error"


def graphql_error(code: ErrorCode | GatewayErrorCode | str, message: str, *, field: str | None = None,
                  **extra) -> GraphQLError:
    extensions = {"code": code.value if isinstance(code, enum.Enum) else code}
    if field:
        extensions["field"] = field
    extensions.update(extra)
    return GraphQLError(message, extensions=extensions)


def from_domain(err: DomainError) -> GraphQLError:
    return graphql_error(err.code, err.message, field=err.field)


def invalid_input(field: str, message: str) -> GraphQLError:
    return graphql_error(ErrorCode.INVALID_INPUT, f"{field}: {message}", field=field)


def error_body(code: GatewayErrorCode | ErrorCode, message: str, **extra) -> dict:
    """A whole response refused before execution, in the GraphQL response shape."""
    return {"data": None, "errors": [{"message": message, "extensions": {"code": code.value, **extra}}]}


def _variable_name(message: str) -> str | None:
    # graphql-core: "Variable '$input' got invalid value ..." / "Variable '$x' of required type ..."
    if message.startswith("Variable '$"):
        return message[len("Variable '$"):].split("'", 1)[0]
    return None


def is_fault(error: GraphQLError) -> bool:
    """An error of ours (answered INTERNAL, worth a log line), not a refusal of the client's request."""
    code = (error.extensions or {}).get("code")
    if code:
        return code == ErrorCode.INTERNAL.value
    return public_error(error)["extensions"]["code"] == ErrorCode.INTERNAL.value


def public_error(error: GraphQLError) -> dict:
    """The error as the client sees it: with a code, never with a Python exception's text."""
    formatted = error.formatted
    extensions = dict(formatted.get("extensions") or {})
    if extensions.get("code"):
        return formatted
    original = error.original_error
    python_text = original is not None and not isinstance(original, GraphQLError)
    if error.path is None:
        # Refused before execution: graphql-core's messages about the document or the variables; where
        # they quote a Python exception (a scalar's parser), the quote is cut.
        message = error.message
        if (message.startswith("Syntax Error") and message.split("\n", 1)[0].endswith("Parsing aborted.")) \
                or isinstance(original, RecursionError):
            message = "document too large or nested too deeply" if python_text else message
            code = GatewayErrorCode.QUERY_TOO_COMPLEX.value
        elif message.startswith("Syntax Error"):
            code = GatewayErrorCode.GRAPHQL_PARSE_FAILED.value
        elif (variable := _variable_name(message)) is not None:
            code = ErrorCode.INVALID_INPUT.value
            extensions["field"] = variable
            if python_text:
                message = f"Variable '${variable}' got an invalid value."
        elif message.startswith("Expected value of type"):
            code = GatewayErrorCode.GRAPHQL_VALIDATION_FAILED.value
            if python_text:
                message = message.split(";", 1)[0] + "."
        elif not python_text:
            code = GatewayErrorCode.GRAPHQL_VALIDATION_FAILED.value
        else:
            code = None
        if code is not None:
            extensions["code"] = code
            formatted["message"] = message
            formatted["extensions"] = extensions
            return formatted
    # Anything else is a fault of ours; it was logged (LoyaltySchema.process_errors).
    formatted = {"message": INTERNAL_MESSAGE, "extensions": {"code": ErrorCode.INTERNAL.value}}
    if error.locations is not None:
        formatted["locations"] = [location._asdict() for location in error.locations]
    if error.path is not None:
        formatted["path"] = error.path
    return formatted
