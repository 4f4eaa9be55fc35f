"""Pure functions that build what the operator sends: program specs and child manifests.

No I/O here, so every shape the operator produces is tested without a cluster.
"""

import base64

from loyalty.common.v1 import program_pb2

GROUP = "loyalty.dev"
VERSION = "v1"
PLURAL = "loyaltyprograms"
KIND = "LoyaltyProgram"
MANAGED_BY = {"app.kubernetes.io/managed-by": "loyalty-operator"}
PROGRAM_LABEL = f"{GROUP}/program"


def build_program_spec(spec: dict, *, program_id: str, archived: bool = False) -> program_pb2.ProgramSpec:
    """The resource's spec as the services' ProgramSpec, carrying the program's id."""
    expiry = spec.get("expiryPolicy") or {}
    return program_pb2.ProgramSpec(
        id=program_id,
        code=spec["code"],
        name=spec["name"],
        currency=spec["currency"],
        timezone=spec["timezone"],
        expiry=program_pb2.ExpiryPolicy(
            days=int(expiry.get("days", 0)), round_to_month_end=bool(expiry.get("roundToMonthEnd", False))
        ),
        archived=archived,
    )


def api_keys_secret_name(resource_name: str) -> str:
    return f"{resource_name}-api-keys"


def build_api_keys_secret(resource_name: str, program_code: str) -> dict:
    """An empty Secret that will hold one API key per API client (data key = client name)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": api_keys_secret_name(resource_name),
            "labels": {**MANAGED_BY, PROGRAM_LABEL: program_code},
        },
        "data": {},
    }


def build_api_key_entry(client_name: str, api_key: str) -> dict:
    """A merge patch adding one client's key to the Secret."""
    return {"data": {client_name: base64.b64encode(api_key.encode()).decode()}}


def missing_api_clients(api_clients: list[dict], secret_data: dict | None) -> list[dict]:
    """The API clients that have no key in the Secret yet (existing keys are never re-created)."""
    have = set((secret_data or {}).keys())
    return [client for client in api_clients if client["name"] not in have]


def decode_secret_data(secret_data: dict | None) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in (secret_data or {}).items()}


def key_id(api_key: str) -> str:
    """`lk_<key id>_<secret>` -> the key id, which is safe to show (the secret is not)."""
    prefix, _, rest = api_key.partition("_")
    kid, _, secret = rest.partition("_")
    if prefix != "lk" or not kid or not secret:
        raise ValueError("not an API key of this platform")
    return kid


def authorization_policy_name(resource_name: str) -> str:
    return f"{resource_name}-api-clients"


def build_authorization_policy(
    resource_name: str, program_code: str, key_ids: list[str], gateway_labels: dict[str, str]
) -> dict:
    """An Istio ALLOW policy on the GraphQL gateway for this program's API clients.

    It matches the key id part of the key (`lk_<id>_*`), never the secret, in either header
    the gateway accepts (`x-api-key: lk_...` or `authorization: ApiKey lk_...`). It adds to the
    chart's gateway policy (staff and UI traffic); with no keys yet it allows nothing.
    """
    operation = {"operation": {"paths": ["/graphql"], "methods": ["GET", "POST"]}}
    ids = sorted(set(key_ids))
    rules = []
    if ids:
        rules = [
            {"to": [operation], "when": [{"key": "request.headers[x-api-key]", "values": [f"lk_{k}_*" for k in ids]}]},
            {"to": [operation],
             "when": [{"key": "request.headers[authorization]", "values": [f"ApiKey lk_{k}_*" for k in ids]}]},
        ]
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {
            "name": authorization_policy_name(resource_name),
            "labels": {**MANAGED_BY, PROGRAM_LABEL: program_code},
        },
        "spec": {"selector": {"matchLabels": dict(gateway_labels)}, "action": "ALLOW", "rules": rules},
    }


SLAB_CODE = "status"


def build_tier_slab(spec: dict):
    """The program's tier slab from the resource: tiers ordered by threshold, the lowest (threshold
    0) the base; qualification by points earned (or spend, or transactions) in a rolling window."""
    from loyalty.tier.v1 import tier_service_pb2 as tier_pb

    rules = spec.get("tierQualification") or {}
    validity = int(rules.get("validityMonths", 12))
    ordered = sorted(spec.get("tiers") or [], key=lambda t: t["threshold"])
    return tier_pb.Slab(
        code=SLAB_CODE, name="Status", metric=rules.get("metric", "points"),
        window_length=int(rules.get("windowMonths", 12)), window_unit="month",
        downgrade=rules.get("downgrade", "one_level"), close_to_upgrade_percent=90,
        tiers=[tier_pb.Tier(code=t["code"], name=t["name"], threshold=str(t["threshold"]),
                            validity_months=validity if t["threshold"] > 0 else 0) for t in ordered],
    )
