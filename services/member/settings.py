from services.common.settings import ServiceSettings


class MemberSettings(ServiceSettings):
    grpc_port: int = 50051
    points_addr: str  # the points service, told about every member change
