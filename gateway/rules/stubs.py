"""RulesService (served by the points process): one channel for the gateway's life.

`rules_stub(services).rules` is a RulesServiceStub; the field's annotation lets the chart's gRPC
call scan (tests/deploy/grpc_calls.py) see which methods the gateway calls.
"""

import dataclasses

from loyalty.points.v1 import rules_service_pb2_grpc
from services.common import clients

from gateway.services import Services


@dataclasses.dataclass(frozen=True)
class RulesClient:
    rules: rules_service_pb2_grpc.RulesServiceStub


_clients: dict[str, RulesClient] = {}


def rules_stub(services: Services) -> RulesClient:
    address = services.addresses["points"]
    client = _clients.get(address)
    if client is None:
        client = _clients[address] = RulesClient(
            rules=rules_service_pb2_grpc.RulesServiceStub(clients.channel(address)))
    return client
