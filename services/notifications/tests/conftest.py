"""The notifications service in-process over real gRPC and the session's PostgreSQL."""

import grpc
import pytest

from loyalty.notifications.v1 import notifications_service_pb2_grpc as pb_grpc
from services.common.errors import DomainErrorInterceptor
from services.notifications import api


@pytest.fixture(scope="session")
async def notifications_channel(pools):
    server = grpc.aio.server(interceptors=[DomainErrorInterceptor()])
    api.register(server, api.NotificationsServicer(pools["notifications"]))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield channel
    await channel.close()
    await server.stop(0)


@pytest.fixture(scope="session")
def notifications_stub(notifications_channel):
    return pb_grpc.NotificationsServiceStub(notifications_channel)
