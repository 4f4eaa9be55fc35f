"""The operator's pure build_* functions and its status state machine (no cluster needed)."""

import base64
import subprocess
import sys

import pytest
import yaml

from services.operator import manifests
from services.operator.status import Phase, condition, merge_conditions, transition
from tests.operator.conftest import CRD, ROOT

SPEC = {"code": "tapas", "name": "Tapas", "currency": "EUR", "timezone": "Europe/Madrid",
        "expiryPolicy": {"days": 180, "roundToMonthEnd": True}}


def test_program_spec_carries_the_id_and_the_expiry_policy():
    spec = manifests.build_program_spec(SPEC, program_id="5b0c3c9e-0000-4000-8000-000000000001")
    assert (spec.id, spec.code, spec.currency, spec.timezone) == (
        "5b0c3c9e-0000-4000-8000-000000000001", "tapas", "EUR", "Europe/Madrid")
    assert (spec.expiry.days, spec.expiry.round_to_month_end, spec.archived) == (180, True, False)
    no_expiry = manifests.build_program_spec({**SPEC, "expiryPolicy": None}, program_id="x", archived=True)
    assert (no_expiry.expiry.days, no_expiry.archived) == (0, True)


def test_only_clients_without_a_key_get_one():
    data = manifests.build_api_key_entry("pos", "lk_abc_secret")["data"]
    assert base64.b64decode(data["pos"]) == b"lk_abc_secret"
    clients = [{"name": "pos"}, {"name": "app"}]
    assert manifests.missing_api_clients(clients, data) == [{"name": "app"}]
    assert manifests.missing_api_clients(clients, None) == clients


def test_authorization_policy_matches_key_ids_never_secrets():
    policy = manifests.build_authorization_policy("tapas", "tapas", ["b2", "a1"], {"app": "gateway"})
    assert policy["metadata"]["name"] == "tapas-api-clients"
    assert policy["spec"]["selector"] == {"matchLabels": {"app": "gateway"}}
    assert policy["spec"]["action"] == "ALLOW"
    by_header = {r["when"][0]["key"]: r["when"][0]["values"] for r in policy["spec"]["rules"]}
    assert by_header == {"request.headers[x-api-key]": ["lk_a1_*", "lk_b2_*"],
                         "request.headers[authorization]": ["ApiKey lk_a1_*", "ApiKey lk_b2_*"]}
    assert all(r["to"][0]["operation"]["paths"] == ["/graphql"] for r in policy["spec"]["rules"])
    # no clients yet: the policy allows nothing
    assert manifests.build_authorization_policy("t", "t", [], {"app": "gateway"})["spec"]["rules"] == []
    assert manifests.key_id("lk_abc123_s3cr3t") == "abc123"
    with pytest.raises(ValueError):
        manifests.key_id("not-a-key")


def test_phase_state_machine():
    assert transition(None, Phase.PROVISIONING) is Phase.PROVISIONING
    assert transition("Provisioning", Phase.READY) is Phase.READY
    assert transition("Ready", Phase.PROVISIONING) is Phase.PROVISIONING
    assert transition("Failed", Phase.PROVISIONING) is Phase.PROVISIONING
    with pytest.raises(ValueError):
        transition("Pending", Phase.READY)  # never Ready without provisioning


def test_conditions_keep_their_transition_time_while_unchanged():
    first = condition("Ready", False, "ServiceUnavailable", "tier down", generation=1, at="2024-01-01T00:00:00Z")
    again = condition("Ready", False, "ServiceUnavailable", "tier down", generation=1, at="2024-01-01T00:05:00Z")
    assert merge_conditions([first], again)[0]["lastTransitionTime"] == "2024-01-01T00:00:00Z"
    ready = condition("Ready", True, "Provisioned", "ok", generation=1, at="2024-01-01T00:06:00Z")
    other = condition("ApiKeysReady", True, "SecretUpToDate", "2", generation=1)
    merged = merge_conditions([first], ready, other)
    assert [c["type"] for c in merged] == ["ApiKeysReady", "Ready"]
    assert merged[1]["lastTransitionTime"] == "2024-01-01T00:06:00Z"


def test_crd_and_example_agree():
    crd = yaml.safe_load(CRD.read_text())
    version = crd["spec"]["versions"][0]
    assert (crd["spec"]["group"], version["name"], crd["spec"]["names"]["plural"]) == (
        manifests.GROUP, manifests.VERSION, manifests.PLURAL)
    assert version["subresources"] == {"status": {}}
    phases = version["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]["phase"]["enum"]
    assert phases == [p.value for p in Phase]
    example = yaml.safe_load((ROOT / "charts" / "loyalty" / "examples" / "loyaltyprogram.yaml").read_text())
    assert example["apiVersion"] == f"{manifests.GROUP}/{manifests.VERSION}"
    assert set(example["spec"]) <= set(version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"])


def test_missing_settings_stop_the_operator_naming_them():
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT}:{ROOT / 'gen'}"}
    proc = subprocess.run([sys.executable, "-m", "services.operator"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    for name in ("MEMBER_ADDR", "POINTS_ADDR", "TIER_ADDR", "REWARDS_ADDR", "BILLING_ADDR"):
        assert name in proc.stderr
