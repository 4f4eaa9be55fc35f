"""Stubs for ProgramConfigService (served by the member process), one channel for the gateway's life."""

from loyalty.member.v1 import program_config_service_pb2_grpc
from services.common import clients

from gateway.services import Services

_stubs: dict[str, program_config_service_pb2_grpc.ProgramConfigServiceStub] = {}


def config_stub(services: Services) -> program_config_service_pb2_grpc.ProgramConfigServiceStub:
    address = services.addresses["member"]
    stub = _stubs.get(address)
    if stub is None:
        stub = _stubs[address] = program_config_service_pb2_grpc.ProgramConfigServiceStub(clients.channel(address))
    return stub
