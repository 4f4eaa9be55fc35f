"""The status a LoyaltyProgram reports: a phase state machine and standard conditions.

    (new) Pending --create--> Provisioning --all services + Secret (+ policy)--> Ready
    Provisioning --transient failure--> Provisioning (condition Ready=False, reason RetryScheduled)
    Provisioning/Ready --invalid spec--> Failed (condition names the problem)
    Failed/Ready --spec change--> Provisioning
"""

import datetime as dt
import enum


class Phase(str, enum.Enum):
    PENDING = "Pending"
    PROVISIONING = "Provisioning"
    READY = "Ready"
    FAILED = "Failed"


ALLOWED = {
    Phase.PENDING: {Phase.PROVISIONING, Phase.FAILED},
    Phase.PROVISIONING: {Phase.PROVISIONING, Phase.READY, Phase.FAILED},
    Phase.READY: {Phase.PROVISIONING, Phase.FAILED},
    Phase.FAILED: {Phase.PROVISIONING, Phase.FAILED},
}


def transition(current: str | None, to: Phase) -> Phase:
    """The next phase; a transition the machine does not have is a bug in the operator."""
    source = Phase(current) if current else Phase.PENDING
    if to not in ALLOWED[source]:
        raise ValueError(f"no transition from {source.value} to {to.value}")
    return to


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def condition(type_: str, status: bool | None, reason: str, message: str, *, generation: int | None,
              at: str | None = None) -> dict:
    return {
        "type": type_,
        "status": "Unknown" if status is None else ("True" if status else "False"),
        "reason": reason,
        "message": message,
        "observedGeneration": generation,
        "lastTransitionTime": at or now(),
    }


def merge_conditions(existing: list[dict] | None, *updates: dict) -> list[dict]:
    """Replace conditions by type; keep lastTransitionTime when the status did not change."""
    merged = {c["type"]: dict(c) for c in existing or []}
    for new in updates:
        old = merged.get(new["type"])
        if old and old.get("status") == new["status"]:
            new = {**new, "lastTransitionTime": old.get("lastTransitionTime", new["lastTransitionTime"])}
        merged[new["type"]] = new
    return sorted(merged.values(), key=lambda c: c["type"])
