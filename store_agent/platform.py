"""The platform's GraphQL API as the store sees it, with the store's API key.

Two kinds of failure: `PlatformUnavailable` (no answer, a timeout, a 5xx, a service behind the
gateway down: retry later) and `PlatformRejected` (the platform answered no, with its code and
field: retrying the same request cannot help).
"""

import httpx

# Codes the gateway returns when a service behind it is down or slow: worth retrying.
TRANSIENT_CODES = frozenset({"UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED", "SERVICE_UNAVAILABLE", "TIMEOUT",
                             "RESOURCE_EXHAUSTED", "INTERNAL_SERVER_ERROR", None})


class PlatformUnavailable(Exception):
    pass


class PlatformRejected(Exception):
    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.field = code, message, field


def points(value) -> int:
    """Points from the gateway's Long scalar: a JSON number (Python's json reads it exactly, at any
    size) or a string of digits, as 64-bit-safe serialisations send it. A float is taken only while
    it is exact (below 2^53): past that it has already lost the number, so it is refused."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError("points: not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    raise ValueError(f"points: {value!r} is not a whole number")


EARN = """
mutation($input: EarnInput!) {
  earn(input: $input) {
    transactionId oldBalance pointsEarned newBalance pending
    breakdown { rule pointType points description campaignCode }
  }
}"""
VOID = """
mutation($input: VoidInput!) { void(input: $input) { transactionId kind points newBalance } }"""
ENROLL = """
mutation($input: EnrollInput!) { enroll(input: $input) { member { loyaltyNumber } } }"""
ENQUIRE = """
query($program: String!, $number: String!) {
  enquire(program: $program, loyaltyNumber: $number) {
    availablePoints pendingPoints nextExpiringPoints nextExpiryDate
  }
}"""
ELIGIBILITY = """
query($program: String!, $number: String!, $location: String) {
  rewardEligibility(program: $program, loyaltyNumber: $number, locationCode: $location) {
    highest { reward { code name pointsCost } }
    next { reward { code name pointsCost } }
  }
}"""
REQUEST_OTP = """
mutation($program: String!, $number: String!) {
  requestOtp(input: {program: $program, loyaltyNumber: $number}) { channel destination }
}"""
REDEEM = """
mutation($input: RedeemInput!) {
  redeem(input: $input) {
    transactionId oldBalance pointsUsed newBalance moneyValue currency transactionValue newTransactionValue
    breakdown { rule ruleVersion points value maxPoints description }
  }
}"""
RULES = """
query($program: String!) {
  program(program: $program) { currency timezone }
  ruleSets(program: $program) { code scope scopeRef publishedVersion publishedRules archived }
  campaigns(program: $program) {
    code startsAt endsAt archived budgetTotal budgetPerMember
    targets { segments tiers clubs partners locations }
  }
}"""


class PlatformClient:
    def __init__(self, *, graphql_url: str, api_key: str, timeout: float):
        self._client = httpx.AsyncClient(
            headers={"x-api-key": api_key, "user-agent": "loyalty-store-agent"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)),
        )
        self._url = graphql_url

    async def aclose(self) -> None:
        await self._client.aclose()

    async def execute(self, query: str, *, timeout: float | None = None, **variables) -> dict:
        kwargs = {"timeout": timeout} if timeout is not None else {}
        try:
            response = await self._client.post(self._url, json={"query": query, "variables": variables}, **kwargs)
        except httpx.HTTPError as e:
            raise PlatformUnavailable(f"{type(e).__name__}: {e}".rstrip(": ")) from e
        if response.status_code >= 500:
            raise PlatformUnavailable(f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise PlatformUnavailable(f"HTTP {response.status_code}: not JSON") from None
        errors = body.get("errors")
        if errors:
            first = errors[0]
            ext = first.get("extensions") or {}
            code = ext.get("code")
            if code in TRANSIENT_CODES:
                raise PlatformUnavailable(f"{code or 'error'}: {first.get('message')}")
            raise PlatformRejected(code, first.get("message", ""), ext.get("field"))
        if response.status_code >= 400:
            raise PlatformRejected(f"HTTP_{response.status_code}", response.text[:200])
        return body["data"]

    async def earn(self, payload: dict, *, timeout: float | None = None) -> dict:
        r = (await self.execute(EARN, input=payload, timeout=timeout))["earn"]
        return {"transaction_id": r["transactionId"], "old_balance": points(r["oldBalance"]),
                "points_earned": points(r["pointsEarned"]), "new_balance": points(r["newBalance"]),
                "pending": r["pending"],
                "lines": [{"rule": x["rule"], "points": points(x["points"]), "description": x["description"],
                           "point_type": x["pointType"]} for x in r["breakdown"]]}

    async def void(self, payload: dict, *, timeout: float | None = None) -> dict:
        r = (await self.execute(VOID, input=payload, timeout=timeout))["void"]
        return {"transaction_id": r["transactionId"], "points": points(r["points"]),
                "new_balance": points(r["newBalance"])}

    async def enroll(self, payload: dict, *, timeout: float | None = None) -> dict:
        r = (await self.execute(ENROLL, input=payload, timeout=timeout))["enroll"]
        return {"loyalty_number": r["member"]["loyaltyNumber"]}

    async def enquire(self, program: str, number: str, *, timeout: float | None = None) -> dict:
        r = (await self.execute(ENQUIRE, program=program, number=number, timeout=timeout))["enquire"]
        return {"available_points": points(r["availablePoints"]), "pending_points": points(r["pendingPoints"]),
                "next_expiring_points": points(r["nextExpiringPoints"]), "next_expiry_date": r["nextExpiryDate"]}

    async def claimable_reward(self, program: str, number: str, location: str, *,
                               timeout: float | None = None) -> dict | None:
        r = (await self.execute(ELIGIBILITY, program=program, number=number, location=location,
                                timeout=timeout))["rewardEligibility"]
        best = r.get("highest")
        if not best:
            return None
        reward = best["reward"]
        return {"code": reward["code"], "name": reward["name"], "points_cost": points(reward["pointsCost"])}

    async def request_passcode(self, program: str, number: str) -> dict:
        return (await self.execute(REQUEST_OTP, program=program, number=number))["requestOtp"]

    async def rules(self, program: str) -> dict:
        """What the till needs to compute points offline; campaigns flattened with their targets."""
        r = await self.execute(RULES, program=program)
        campaigns = [{**{k: v for k, v in c.items() if k != "targets"}, **(c.get("targets") or {})}
                     for c in r["campaigns"] if not c.get("archived")]
        return {"program": r["program"], "ruleSets": r["ruleSets"], "campaigns": campaigns}

    async def redeem(self, variables: dict, *, timeout: float | None = None) -> dict:
        payload = {k: v for k, v in variables.items() if v is not None}
        r = (await self.execute(REDEEM, input=payload, timeout=timeout))["redeem"]
        return {"transaction_id": r["transactionId"], "old_balance": points(r["oldBalance"]),
                "points_used": points(r["pointsUsed"]), "new_balance": points(r["newBalance"]),
                "money_value": r["moneyValue"], "currency": r["currency"], "transaction_value": r["transactionValue"],
                "new_transaction_value": r["newTransactionValue"],
                "breakdown": [{"rule": x["rule"], "points": points(x["points"]), "value": x["value"],
                               "max_points": points(x["maxPoints"]), "description": x["description"]}
                              for x in r["breakdown"]]}
