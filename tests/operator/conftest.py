"""The operator against a real kube-apiserver and the real services.

One API server (tests.kube.apiserver) and one operator (kopf.testing.KopfRunner, watching the
namespaces named lp-*) serve the module's tests; each test works in a namespace of its own.
"""

import asyncio
import pathlib
import time
import uuid

import grpc
import kopf.testing
import pytest
import yaml

from loyalty.member.v1 import member_service_pb2 as member_pb
from loyalty.member.v1 import member_service_pb2_grpc
from services.operator import handlers  # noqa: F401 - registers the handlers with kopf
from services.operator.manifests import GROUP, PLURAL, VERSION
from tests.kube.apiserver import KubeApiServer, running_apiserver

ROOT = pathlib.Path(__file__).resolve().parents[2]
CRD = ROOT / "charts" / "loyalty" / "crds" / "loyaltyprogram.yaml"
NAMESPACE_PREFIX = "lp-"

# Istio's CRDs are not on a bare API server: register a minimal AuthorizationPolicy kind so the
# operator's objects can be stored (the real CRD's schema is Istio's; this one keeps any fields).
ISTIO_AUTHORIZATION_POLICY_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "authorizationpolicies.security.istio.io"},
    "spec": {
        "group": "security.istio.io",
        "scope": "Namespaced",
        "names": {"kind": "AuthorizationPolicy", "plural": "authorizationpolicies", "singular": "authorizationpolicy",
                  "listKind": "AuthorizationPolicyList"},
        "versions": [{
            "name": "v1", "served": True, "storage": True,
            "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}},
        }],
    },
}


def poll(what: str, check, timeout: float = 120.0, interval: float = 0.3):
    """Wait (bounded) until check() returns something truthy; return it."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


async def apoll(what: str, check, timeout: float = 120.0, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        await asyncio.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def apply_crd(kube: KubeApiServer, crd: dict) -> None:
    status, body = kube.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    assert status in (201, 409), body
    name = crd["metadata"]["name"]

    def established() -> bool:
        s, got = kube.request("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
        conditions = (((got or {}).get("status") or {}).get("conditions") or []) if s == 200 else []
        return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)

    poll(f"CRD {name} established", established, timeout=60)
    group, version = crd["spec"]["group"], crd["spec"]["versions"][0]["name"]
    plural = crd["spec"]["names"]["plural"]
    # Discovery can lag "Established" briefly.
    poll(f"{plural} served", lambda: kube.request("GET", f"/apis/{group}/{version}/{plural}")[0] == 200, timeout=60)


@pytest.fixture(scope="session")
def kube(tmp_path_factory) -> KubeApiServer:
    with running_apiserver(tmp_path_factory.mktemp("kube-operator")) as api:
        yield api


@pytest.fixture(scope="session")
def crds(kube: KubeApiServer) -> None:
    apply_crd(kube, yaml.safe_load(CRD.read_text()))
    apply_crd(kube, ISTIO_AUTHORIZATION_POLICY_CRD)


@pytest.fixture(scope="session")
def operator(kube: KubeApiServer, crds, platform):
    """The operator (in a thread, via KopfRunner) with the mesh on and short retry delays."""
    env = {
        "KUBECONFIG": str(kube.kubeconfig),
        "MEMBER_ADDR": platform.env["MEMBER_ADDR"],
        "POINTS_ADDR": platform.env["POINTS_ADDR"],
        "TIER_ADDR": platform.env["TIER_ADDR"],
        "IDENTITY_ADDR": platform.env["IDENTITY_ADDR"],
        "REWARDS_ADDR": platform.env["REWARDS_ADDR"],
        "BILLING_ADDR": platform.env["BILLING_ADDR"],
        "MESH_ENABLED": "true",
        "RETRY_DELAY_SECONDS": "1",
        "RPC_TIMEOUT_SECONDS": "5",
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        args = ["run", "--standalone", "--verbose", f"--namespace={NAMESPACE_PREFIX}*",
                "-m", "services.operator.handlers"]
        with kopf.testing.KopfRunner(args, timeout=60) as runner:
            yield runner


@pytest.fixture
def namespace(kube: KubeApiServer) -> str:
    name = f"{NAMESPACE_PREFIX}{uuid.uuid4().hex[:8]}"
    status, body = kube.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                               "metadata": {"name": name}})
    assert status == 201, body
    yield name
    kube.request("DELETE", f"/api/v1/namespaces/{name}")


class LoyaltyPrograms:
    """The custom resources of one namespace, through the real API server."""

    def __init__(self, kube: KubeApiServer, namespace: str):
        self.kube = kube
        self.namespace = namespace
        self.base = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}"

    @staticmethod
    def manifest(name: str, spec: dict) -> dict:
        return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "LoyaltyProgram", "metadata": {"name": name},
                "spec": spec}

    def apply(self, name: str, spec: dict) -> tuple[int, dict]:
        return self.kube.request("POST", self.base, self.manifest(name, spec))

    def get(self, name: str) -> dict | None:
        status, body = self.kube.request("GET", f"{self.base}/{name}")
        return body if status == 200 else None

    def patch_spec(self, name: str, spec: dict) -> dict:
        status, body = self.kube.request("PATCH", f"{self.base}/{name}", {"spec": spec},
                                         content_type="application/merge-patch+json")
        assert status == 200, body
        return body

    def delete(self, name: str) -> None:
        status, body = self.kube.request("DELETE", f"{self.base}/{name}")
        assert status == 200, body

    def core(self, kind: str, name: str) -> dict | None:
        status, body = self.kube.request("GET", f"/api/v1/namespaces/{self.namespace}/{kind}/{name}")
        return body if status == 200 else None

    def authorization_policy(self, name: str) -> dict | None:
        status, body = self.kube.request(
            "GET", f"/apis/security.istio.io/v1/namespaces/{self.namespace}/authorizationpolicies/{name}")
        return body if status == 200 else None

    async def wait_phase(self, name: str, phase: str, *, generation: int | None = None,
                         timeout: float = 120.0) -> dict:
        def reached():
            obj = self.get(name)
            st = (obj or {}).get("status") or {}
            if st.get("phase") != phase:
                return None
            if generation is not None and st.get("observedGeneration") != generation:
                return None
            return obj

        return await apoll(f"{self.namespace}/{name} to be {phase}", reached, timeout=timeout)


@pytest.fixture
def programs(kube: KubeApiServer, namespace: str, operator) -> LoyaltyPrograms:
    return LoyaltyPrograms(kube, namespace)


@pytest.fixture
def member_stub(platform):
    channel = grpc.insecure_channel(platform.env["MEMBER_ADDR"])
    yield member_service_pb2_grpc.MemberServiceStub(channel)
    channel.close()


def get_program(member_stub, code: str):
    return member_stub.GetProgram(member_pb.GetProgramRequest(code=code), metadata=(("x-principal", "test"),),
                                  timeout=10)


def condition(obj: dict, type_: str) -> dict | None:
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == type_), None)
