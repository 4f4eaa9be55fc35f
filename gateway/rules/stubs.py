"""Stubs for RulesService (served by the points process), one channel for the gateway's life."""

from loyalty.points.v1 import rules_service_pb2_grpc
from services.common import clients

from gateway.services import Services

_stubs: dict[str, rules_service_pb2_grpc.RulesServiceStub] = {}


def rules_stub(services: Services) -> rules_service_pb2_grpc.RulesServiceStub:
    address = services.addresses["points"]
    stub = _stubs.get(address)
    if stub is None:
        stub = _stubs[address] = rules_service_pb2_grpc.RulesServiceStub(clients.channel(address))
    return stub
