"""The error model: a domain error with a stable reason, carried over gRPC as status + reason."""

import enum
import logging

import asyncpg
import grpc

from services.common import deadlines

log = logging.getLogger(__name__)

REASON_KEY = "x-reason"
FIELD_KEY = "x-field"


class ErrorCode(str, enum.Enum):
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    DUPLICATE_PROGRAM = "DUPLICATE_PROGRAM"
    DUPLICATE_MEMBER = "DUPLICATE_MEMBER"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    MEMBER_BLOCKED = "MEMBER_BLOCKED"
    PROGRAM_ARCHIVED = "PROGRAM_ARCHIVED"
    ALREADY_VOIDED = "ALREADY_VOIDED"
    NOT_VOIDABLE = "NOT_VOIDABLE"
    HOLD_NOT_ACTIVE = "HOLD_NOT_ACTIVE"
    RETRO_CLAIM_WINDOW_CLOSED = "RETRO_CLAIM_WINDOW_CLOSED"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"
    # rewards
    DUPLICATE_REWARD = "DUPLICATE_REWARD"
    REWARD_EXPIRED = "REWARD_EXPIRED"
    REWARD_NOT_YET_VALID = "REWARD_NOT_YET_VALID"
    REWARD_INACTIVE = "REWARD_INACTIVE"
    REWARD_NOT_ELIGIBLE = "REWARD_NOT_ELIGIBLE"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    REWARD_LIMIT_REACHED = "REWARD_LIMIT_REACHED"
    CLAIM_NOT_ACTIVE = "CLAIM_NOT_ACTIVE"
    VOUCHER_ALREADY_USED = "VOUCHER_ALREADY_USED"
    OTP_REQUIRED = "OTP_REQUIRED"
    OTP_INVALID = "OTP_INVALID"
    OTP_EXPIRED = "OTP_EXPIRED"
    OTP_USED = "OTP_USED"
    OTP_LOCKED = "OTP_LOCKED"
    OTP_RATE_LIMITED = "OTP_RATE_LIMITED"
    BURN_NOT_ALLOWED = "BURN_NOT_ALLOWED"  # the burn rules do not allow these points on this bill
    # billing
    DUPLICATE_PARTNER = "DUPLICATE_PARTNER"
    RATE_CARD_OVERLAP = "RATE_CARD_OVERLAP"
    PERIOD_NOT_ENDED = "PERIOD_NOT_ENDED"


_STATUS = {
    ErrorCode.INVALID_INPUT: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorCode.FORBIDDEN: grpc.StatusCode.PERMISSION_DENIED,
    ErrorCode.UNAUTHENTICATED: grpc.StatusCode.UNAUTHENTICATED,
    ErrorCode.DUPLICATE_PROGRAM: grpc.StatusCode.ALREADY_EXISTS,
    ErrorCode.DUPLICATE_MEMBER: grpc.StatusCode.ALREADY_EXISTS,
    ErrorCode.IDEMPOTENCY_CONFLICT: grpc.StatusCode.ALREADY_EXISTS,
    ErrorCode.UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
    ErrorCode.INTERNAL: grpc.StatusCode.INTERNAL,
}


class DomainError(Exception):
    """A refusal the caller can act on; `field` names the offending input."""

    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    @property
    def status(self) -> grpc.StatusCode:
        return _STATUS.get(self.code, grpc.StatusCode.FAILED_PRECONDITION)


def invalid(field: str, message: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_INPUT, f"{field}: {message}", field=field)


def not_found(what: str, key: str) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"{what} {key!r} not found")


UNAVAILABLE_MESSAGE = "service unavailable: retry with the same reference"

# SQLSTATE classes and codes of a database that is gone, going or overloaded, or of a conflict that a
# retry resolves: 08 connection exception, 53 insufficient resources, 57 operator intervention
# (admin/crash shutdown, cannot connect now, query cancelled), 40001 serialization, 40P01 deadlock.
_TRANSIENT_CLASSES = ("08", "53", "57")
_TRANSIENT_STATES = ("40001", "40P01")


def is_unavailable(exc: BaseException) -> bool:
    """A fault of the infrastructure (the database unreachable, shutting down, a lost COMMIT), anywhere in
    the exception's chain: the caller may retry with the same reference, which settles it once."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError | TimeoutError | asyncpg.InterfaceError):
            return True
        sqlstate = getattr(exc, "sqlstate", None)
        if isinstance(sqlstate, str) and (sqlstate[:2] in _TRANSIENT_CLASSES or sqlstate in _TRANSIENT_STATES):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def from_rpc_error(err: grpc.aio.AioRpcError) -> DomainError:
    """The caller's side: turn a failed call back into the domain error it carried. Nothing of the
    transport's own text (peer addresses, gRPC internals) is passed on."""
    trailing = dict(err.trailing_metadata() or ())
    reason = trailing.get(REASON_KEY)
    if reason == ErrorCode.UNAVAILABLE.value:
        return DomainError(ErrorCode.UNAVAILABLE, UNAVAILABLE_MESSAGE)
    if reason in ErrorCode.__members__ and reason != ErrorCode.INTERNAL.value:
        return DomainError(ErrorCode(reason), err.details() or reason, field=trailing.get(FIELD_KEY))
    if err.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED):
        return DomainError(ErrorCode.UNAVAILABLE, UNAVAILABLE_MESSAGE)
    return DomainError(ErrorCode.INTERNAL, "internal error")


class DomainErrorInterceptor(grpc.aio.ServerInterceptor):
    """Every servicer method reports DomainError as status + reason; anything else as INTERNAL."""

    def __init__(self):
        # method -> (the handler it wraps, the wrapper): a service's handlers are the same objects call
        # after call, so each is wrapped once, not on every call (tens of microseconds each).
        self._guarded: dict[str, tuple] = {}

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        method = handler_call_details.method
        known = self._guarded.get(method)
        if known is not None and known[0] is handler:
            return known[1]
        guarded = self._guard(handler, method)
        self._guarded[method] = (handler, guarded)
        return guarded

    @staticmethod
    def _guard(handler, method: str):
        inner = handler.unary_unary

        async def guarded(request, context: grpc.aio.ServicerContext):
            try:
                with deadlines.budget(context.time_remaining()):  # nested calls get what the caller has left
                    return await inner(request, context)
            except DomainError as err:
                trailing = [(REASON_KEY, err.code.value)]
                if err.field:
                    trailing.append((FIELD_KEY, err.field))
                await context.abort(err.status, err.message, trailing_metadata=tuple(trailing))
            except grpc.aio.AbortError:
                raise
            except Exception as exc:
                if is_unavailable(exc):  # retryable: UNAVAILABLE, never INTERNAL (a replay settles it once)
                    log.warning("%s: database or peer unavailable: %s", method, type(exc).__name__)
                    await context.abort(grpc.StatusCode.UNAVAILABLE, UNAVAILABLE_MESSAGE,
                                        trailing_metadata=((REASON_KEY, ErrorCode.UNAVAILABLE.value),))
                log.exception("unhandled error in %s", method)
                await context.abort(
                    grpc.StatusCode.INTERNAL,
                    "internal error",
                    trailing_metadata=((REASON_KEY, ErrorCode.INTERNAL.value),),
                )

        return grpc.unary_unary_rpc_method_handler(
            guarded,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
