from services.common.settings import ServiceSettings


class RewardsSettings(ServiceSettings):
    grpc_port: int = 50054
    member_addr: str  # members: email and status for passcodes, segments for restricted rewards
    points_addr: str  # the ledger: balances and holds
    tier_addr: str    # tiers for restricted rewards
    # Server secret mixed with each program's random secret into the passcode HMAC; set it in
    # production so a copy of the database alone cannot test codes against the stored hashes.
    rewards_otp_pepper: str = ""
    rewards_otp_requests_per_hour: int = 5
