"""The error model over a real gRPC server: reason and field survive the wire."""

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common.clients import call, channel
from services.common.errors import DomainError, DomainErrorInterceptor, ErrorCode, invalid
from tests.fixtures.postgres import free_port


class Refusing(health_pb2_grpc.HealthServicer):
    async def Check(self, request, context):
        if request.service == "invalid":
            raise invalid("amount", "must be greater than zero")
        if request.service == "crash":
            raise RuntimeError("secret internals")
        raise DomainError(ErrorCode.INSUFFICIENT_POINTS, "only 5 points available")


@pytest.fixture
async def stub():
    server = grpc.aio.server(interceptors=[DomainErrorInterceptor()])
    health_pb2_grpc.add_HealthServicer_to_server(Refusing(), server)
    port = free_port()
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    ch = channel(f"127.0.0.1:{port}")
    yield health_pb2_grpc.HealthStub(ch)
    await ch.close()
    await server.stop(0)


async def test_reason_and_field_cross_the_wire(stub):
    with pytest.raises(DomainError) as err:
        await call(stub.Check(health_pb2.HealthCheckRequest(service="invalid")))
    assert (err.value.code, err.value.field) == (ErrorCode.INVALID_INPUT, "amount")
    assert "must be greater than zero" in err.value.message


async def test_domain_refusal_keeps_its_code(stub):
    with pytest.raises(DomainError) as err:
        await call(stub.Check(health_pb2.HealthCheckRequest(service="x")))
    assert err.value.code == ErrorCode.INSUFFICIENT_POINTS


async def test_unexpected_failure_is_internal_and_leaks_nothing(stub):
    with pytest.raises(DomainError) as err:
        await call(stub.Check(health_pb2.HealthCheckRequest(service="crash")))
    assert err.value.code == ErrorCode.INTERNAL
    assert "secret" not in err.value.message
