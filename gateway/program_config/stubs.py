"""ProgramConfigService (served by the member process): one channel for the gateway's life.

`config_stub(services).config` is a ProgramConfigServiceStub; the field's annotation lets the
chart's gRPC call scan (tests/deploy/grpc_calls.py) see which methods the gateway calls.
"""

import dataclasses

from loyalty.member.v1 import program_config_service_pb2_grpc
from services.common import clients

from gateway.services import Services


@dataclasses.dataclass(frozen=True)
class ProgramConfigClient:
    config: program_config_service_pb2_grpc.ProgramConfigServiceStub


_clients: dict[str, ProgramConfigClient] = {}


def config_stub(services: Services) -> ProgramConfigClient:
    address = services.addresses["member"]
    client = _clients.get(address)
    if client is None:
        client = _clients[address] = ProgramConfigClient(
            config=program_config_service_pb2_grpc.ProgramConfigServiceStub(clients.channel(address)))
    return client
