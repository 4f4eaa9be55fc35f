"""The mesh lets each caller's service account call exactly the gRPC methods its code calls: the
chart's map (files/grpc-calls.yaml) equals a fresh scan of the source, and the rendered
AuthorizationPolicies list exactly that map. When code gains a call, regenerate the map:
    .venv/bin/python -m scripts.grpc_calls --write
"""

import functools
import json
import textwrap

import yaml

from scripts import grpc_calls
from tests.deploy import chart, istio_manifests

ON = {"istio": {"enabled": True}, "authorizationPolicies": {"create": True}, "ignite": {"enabled": True}}
MULTIPLEX = "/loyalty.common.v1.Multiplex/Calls"
REGENERATE = "stale: run `.venv/bin/python -m scripts.grpc_calls --write`"
scan = functools.cache(grpc_calls.scan)


def policies_as_map(docs: list[dict], namespace: str = chart.NAMESPACE) -> dict[str, dict[str, list[str]]]:
    """caller -> callee -> paths, read back from the rendered AuthorizationPolicies of the gRPC services."""
    prefix = f"{chart.RELEASE}-"
    found: dict[str, dict[str, list[str]]] = {}
    for d in docs:
        if d["kind"] != "AuthorizationPolicy":
            continue
        callee = d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
        if callee not in grpc_calls.SERVICES:
            continue
        assert d["spec"]["action"] == "ALLOW"
        for rule in d["spec"].get("rules", []):
            (source,) = rule["from"]
            (principal,) = source["source"]["principals"]
            account = principal.removeprefix(f"cluster.local/ns/{namespace}/sa/")
            assert account.startswith(prefix), principal
            (to,) = rule["to"]
            assert set(to["operation"]) == {"paths"}, "methods are matched by path only"
            paths = [p for p in to["operation"]["paths"] if p != MULTIPLEX]  # checked apart: test_carried_calls_*
            found.setdefault(account.removeprefix(prefix), {})[callee] = sorted(paths)
    return {caller: dict(sorted(callees.items())) for caller, callees in sorted(found.items())}


def test_the_charts_map_is_the_scan_of_the_code():
    on_disk = grpc_calls.CALLS_FILE.read_text()
    assert on_disk == grpc_calls.render_yaml(scan()), REGENERATE


def test_authorization_policies_list_exactly_the_scanned_methods():
    assert policies_as_map(chart.render(ON)) == scan(), REGENERATE


def test_every_grpc_service_has_an_allow_policy_even_if_nobody_calls_it():
    docs = chart.render(ON)
    selected = {d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
                for d in docs if d["kind"] == "AuthorizationPolicy"}
    assert set(grpc_calls.SERVICES) | {"gateway", "ignite"} <= selected


def test_each_caller_has_a_service_account_in_the_chart():
    docs = chart.render(ON)
    accounts = {d["metadata"]["name"] for d in docs if d["kind"] == "ServiceAccount"}
    assert {f"loyalty-{caller}" for caller in scan()} <= accounts


def test_every_scanned_path_is_a_method_of_the_callees_proto():
    services = grpc_calls.proto_services()
    known = {f"/{full}/{m}" for callee, full, rpcs in services.values() for m in rpcs} | {grpc_calls.HEALTH_CHECK}
    served_by = {f"/{full}/{m}": callee for callee, full, rpcs in services.values() for m in rpcs}
    for caller, callees in scan().items():
        for callee, paths in callees.items():
            assert set(paths) <= known
            assert all(served_by.get(p, callee) == callee for p in paths), (caller, callee)


def test_network_policies_let_in_the_same_callers():
    docs = chart.render({"networkPolicies": {"create": True}})
    calls = scan()
    for d in docs:
        callee = d["metadata"]["labels"].get("app.kubernetes.io/name")
        if d["kind"] != "NetworkPolicy" or callee not in grpc_calls.SERVICES:
            continue
        (rule,) = d["spec"]["ingress"]
        exprs = {e["key"]: e["values"] for e in rule["from"][0]["podSelector"]["matchExpressions"]}
        assert exprs["app.kubernetes.io/name"] == sorted(c for c, cs in calls.items() if callee in cs)


def test_the_plain_istio_manifests_are_the_charts():
    for name, text in istio_manifests.contents().items():
        path = istio_manifests.ISTIO_DIR / name
        assert path.exists() and path.read_text() == text, f"istio/{name} {REGENERATE}"
        for doc in yaml.safe_load_all(text):
            if doc:
                chart.validate(doc)


def write(tmp_path, rel: str, source: str) -> None:
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))


def test_the_scanner_follows_each_way_code_holds_a_stub(tmp_path):
    """Given a small tree with every pattern the platform uses, the scan finds each call and no other."""
    write(tmp_path, "proto/loyalty/points/v1/points_service.proto", """
        syntax = "proto3";
        package loyalty.points.v1;
        service PointsService {
          rpc Earn(A) returns (B);  // a comment
          rpc Burn(A) returns (B);
          rpc Hold(A) returns (B);
          rpc Void(A) returns (B);
          rpc Never(A) returns (B);
        }
        service PointsImportService {
          rpc ImportHistory(A) returns (B);
        }
        """)
    write(tmp_path, "proto/loyalty/member/v1/member_service.proto", """
        package loyalty.member.v1;
        service MemberService {
          rpc GetMember(A) returns (B);
        }
        """)
    write(tmp_path, "gateway/services.py", """
        import dataclasses
        @dataclasses.dataclass
        class Services:
            member: member_grpc.MemberServiceStub
            points: "points_grpc.PointsServiceStub"
        """)
    write(tmp_path, "gateway/mutations.py", """
        async def earn(info, services):
            await info.context.services.points.Earn(x)
            for stub in (services.points,):
                await stub.Burn(x)
            await health_pb2_grpc.HealthStub(channel).Check(req)
            await services.points.close()
        """)
    write(tmp_path, "gateway/tests/test_x.py", "services.points.Never(x)\n")
    write(tmp_path, "services/__init__.py", "")
    write(tmp_path, "services/rewards/__init__.py", "")
    write(tmp_path, "services/rewards/peers.py", """
        class Peers:
            def __init__(self, ch):
                self.points = points_grpc.PointsServiceStub(ch)
            async def hold(self):
                return await self.points.Hold(x)
        def handlers(points: points_grpc.PointsServiceStub):
            async def f():
                await points.Void(x)
            return f
        """)
    write(tmp_path, "services/importer/__init__.py", "")
    write(tmp_path, "services/importer/runner.py", """
        def connect(ch):
            stubs = {"points": PointsImportServiceStub(ch)}
            return Runner(followers=stubs)
        async def run(self):
            for name, stub in self.followers.items():
                await stub.ImportHistory(x)
        """)
    write(tmp_path, "services/common/__init__.py", "")
    assert grpc_calls.scan(tmp_path) == {
        "gateway": {
            "member": ["/grpc.health.v1.Health/Check"],
            "points": ["/grpc.health.v1.Health/Check", "/loyalty.points.v1.PointsService/Burn",
                       "/loyalty.points.v1.PointsService/Earn"],
        },
        "importer": {"points": ["/loyalty.points.v1.PointsImportService/ImportHistory"]},
        "rewards": {"points": ["/loyalty.points.v1.PointsService/Hold", "/loyalty.points.v1.PointsService/Void"]},
    }


def test_the_shared_kernel_calls_no_service_itself():
    """services/common runs inside every process, so a call there would belong to no one caller; the
    scan leaves it out, and this keeps that true."""
    files = sorted(p for p in (chart.ROOT / "services" / "common").rglob("*.py") if "tests" not in p.parts)
    assert grpc_calls.scan_caller(files, grpc_calls.proto_services()) == {}


def service_env(docs: list[dict], name: str) -> dict[str, str]:
    (deployment,) = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == f"{chart.RELEASE}-{name}"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value") for e in container["env"]}


def test_carried_calls_are_admitted_for_the_gateway_alone_and_checked_again_by_each_service():
    """The gateway carries its calls on Multiplex streams (services/common/multiplex.py): one path to the
    mesh. Its policy admits that path on each service it calls, and nobody else's; each such service gets
    the gateway's own list of methods (MULTIPLEX_METHODS) and refuses any other carried call."""
    docs = chart.render(ON)
    scanned = scan()
    for d in docs:
        if d["kind"] != "AuthorizationPolicy" or d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] \
                not in grpc_calls.SERVICES:
            continue
        callee = d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
        carrying = [rule["from"][0]["source"]["principals"][0].rsplit("/", 1)[-1] for rule in d["spec"].get("rules", [])
                    if MULTIPLEX in rule["to"][0]["operation"]["paths"]]
        assert carrying == ([f"{chart.RELEASE}-gateway"] if callee in scanned["gateway"] else []), callee
    for service in grpc_calls.SERVICES:
        allowed = json.loads(service_env(docs, service)["MULTIPLEX_METHODS"])
        assert allowed == scanned["gateway"].get(service, []), service


def test_without_the_mesh_policies_services_take_any_carried_call():
    for values in ({}, {"istio": {"enabled": True}, "authorizationPolicies": {"create": False}}):
        docs = chart.render(values)
        for service in grpc_calls.SERVICES:
            assert "MULTIPLEX_METHODS" not in service_env(docs, service)
        assert "MULTIPLEX_CALLS" not in service_env(docs, "gateway")  # on by default
