"""A database that is gone answers UNAVAILABLE (retryable), never INTERNAL; no transport text reaches callers."""

import asyncpg
import grpc

from services.common.errors import ErrorCode, REASON_KEY, from_rpc_error, is_unavailable


def test_lost_connections_and_shutdowns_are_unavailable_anywhere_in_the_chain():
    assert is_unavailable(asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"))
    assert is_unavailable(ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"))
    assert is_unavailable(asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"))
    assert is_unavailable(asyncpg.exceptions.CannotConnectNowError("the database system is starting up"))
    assert is_unavailable(asyncpg.exceptions.SerializationError("could not serialize access"))
    try:
        try:
            raise ConnectionResetError("reset by peer")
        except ConnectionResetError as inner:
            raise RuntimeError("while committing") from inner
    except RuntimeError as outer:
        assert is_unavailable(outer)
    assert not is_unavailable(ValueError("a bug"))
    assert not is_unavailable(asyncpg.exceptions.UniqueViolationError("duplicate key"))


class _Failed(grpc.aio.AioRpcError):
    def __init__(self, code, details, trailing=()):
        super().__init__(code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailing), details=details)


def test_transport_details_never_travel_on():
    down = from_rpc_error(_Failed(grpc.StatusCode.UNAVAILABLE,
                                  "failed to connect to all addresses; last error: ipv4:127.0.0.1:50052"))
    assert down.code == ErrorCode.UNAVAILABLE and "127.0.0.1" not in down.message
    late = from_rpc_error(_Failed(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded"))
    assert late.code == ErrorCode.UNAVAILABLE
    fault = from_rpc_error(_Failed(grpc.StatusCode.INTERNAL, "Exception calling application: KeyError('x')",
                                   ((REASON_KEY, "INTERNAL"),)))
    assert fault.code == ErrorCode.INTERNAL and fault.message == "internal error"
