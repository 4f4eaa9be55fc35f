"""Which gRPC methods each caller calls, found by reading the Python source (no imports, no guessing).
A dev tool (it writes the chart's map and istio/); tests/deploy/test_authorization.py checks with its scan.

The chart's AuthorizationPolicies are generated from this map (charts/loyalty/files/grpc-calls.yaml),
so each caller's service account may call only the methods its code calls.

    .venv/bin/python -m scripts.grpc_calls            # print the map
    .venv/bin/python -m scripts.grpc_calls --write    # rewrite the chart's map and istio/

What counts as a call on a stub (`<stub>.<Method>(` where Method is an rpc of the stub's service; a
service is served by the deployment whose proto folder declares it, proto/loyalty/<callee>/v1/):
- a `<X>ServiceStub(...)` call, and every name or attribute assigned from one
  (`points = PointsServiceStub(ch)`, `self.points = points_grpc.PointsServiceStub(ch)`);
- a parameter or class field annotated with `...<Svc>ServiceStub` (`def handlers(points: PointsServiceStub)`,
  the gateway's `Services` dataclass, whose fields make `services.member`, `info.context.services.member` stubs);
- a loop variable over a tuple, list or dict of stubs (`for stub in (services.points, services.tier)`,
  `for name, stub in self.followers.items()`), and a keyword argument passing stubs (`cls(followers=stubs)`
  makes the attribute `followers` hold them);
- `HealthStub(...).Check(` grants `/grpc.health.v1.Health/Check` on every service the caller talks to
  (the gateway's /healthz asks every service it knows).
Callers: `gateway` (gateway/) and each package under services/ (the five services, `operator`, batch-only
packages such as `importer`), each running under a service account of the same name in the chart. Tests
folders are skipped; services/common holds no stub calls of its own (a test keeps it so).
"""

import argparse
import ast
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
SERVICES = ("member", "points", "tier", "rewards", "billing", "identity", "notifications")
HEALTH_CHECK = "/grpc.health.v1.Health/Check"
CALLS_FILE = ROOT / "charts" / "loyalty" / "files" / "grpc-calls.yaml"
HEADER = """\
# Which gRPC methods each caller (a service account of the chart) may call, per callee.
# GENERATED from a static scan of the source; do not edit by hand. Regenerate with:
#   .venv/bin/python -m scripts.grpc_calls --write
# tests/deploy/test_authorization.py fails when this file and the code disagree.
"""


def proto_services(root: pathlib.Path = ROOT) -> dict[str, tuple[str, str, set[str]]]:
    """gRPC service name -> (callee, full service name, rpc names), from proto/loyalty/<callee>/v1/*.proto.
    The callee is the deployment that serves it (MemberImportService is served by member)."""
    found = {}
    for proto in sorted((root / "proto" / "loyalty").glob("*/v1/*.proto")):
        callee = proto.parts[-3]
        text = re.sub(r"//[^\n]*", "", proto.read_text())
        package = re.search(r"^\s*package\s+([\w.]+)\s*;", text, re.M).group(1)
        for name, body in re.findall(r"\bservice\s+(\w+)\s*\{(.*?)\n\}", text, re.S):
            found[name] = (callee, f"{package}.{name}", set(re.findall(r"\brpc\s+(\w+)\s*\(", body)))
    return found


def _stub_service(node: ast.AST | None) -> str | None:
    """`XStub` or `mod.XStub` (as a call's function or an annotation) -> gRPC service name 'X'."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # string annotation
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
    if name and name.endswith("ServiceStub"):
        return name[: -len("Stub")]
    return None


def _is_health_stub(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Attribute) and node.func.attr == "HealthStub")
        or (isinstance(node.func, ast.Name) and node.func.id == "HealthStub")
    )


class _Bindings:
    """Names and attribute names that hold stubs, across one caller's files (an over-approximation
    by name, which is the safe side: a policy may allow a method a branch never reaches, never deny one)."""

    def __init__(self):
        self.names: dict[str, set[str]] = {}
        self.attrs: dict[str, set[str]] = {}

    def resolve(self, node: ast.AST) -> set[str]:
        if isinstance(node, ast.Call):
            svc = _stub_service(node.func)
            if svc:
                return {svc}
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("items", "values"):
                return self.resolve(node.func.value)  # for name, stub in stubs.items()
            return set()
        if isinstance(node, ast.Dict):
            return set().union(set(), *(self.resolve(v) for v in node.values))
        if isinstance(node, ast.Subscript):
            return self.resolve(node.value)  # stubs["points"]
        if isinstance(node, ast.Name):
            return set(self.names.get(node.id, ()))
        if isinstance(node, ast.Attribute):
            return set(self.attrs.get(node.attr, ()))
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return set().union(*(self.resolve(e) for e in node.elts)) if node.elts else set()
        return set()

    def bind(self, target: ast.AST, services: set[str]) -> bool:
        if not services:
            return False
        if isinstance(target, (ast.Tuple, ast.List)):  # for name, stub in ...: bind each name
            return any([self.bind(t, services) for t in target.elts])
        table, key = (self.names, target.id) if isinstance(target, ast.Name) else (
            (self.attrs, target.attr) if isinstance(target, ast.Attribute) else (None, None))
        if table is None or services <= table.get(key, set()):
            return False
        table.setdefault(key, set()).update(services)
        return True


def _bind_all(trees: list[ast.AST], b: _Bindings) -> None:
    changed = True
    while changed:  # to a fixed point: bindings can depend on each other
        changed = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign):
                    for t in node.targets:
                        changed |= b.bind(t, b.resolve(node.value))
                elif isinstance(node, ast.AnnAssign):
                    svc = _stub_service(node.annotation)
                    found = {svc} if svc else b.resolve(node.value) if node.value else set()
                    changed |= b.bind(node.target, found)
                    if isinstance(node.target, ast.Name):  # a class field is read as an attribute
                        changed |= b.bind(ast.Attribute(value=node.target, attr=node.target.id), found)
                elif isinstance(node, ast.arg):
                    svc = _stub_service(node.annotation)
                    if svc:
                        changed |= b.bind(ast.Name(id=node.arg), {svc})
                elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                    changed |= b.bind(node.target, b.resolve(node.iter))
                elif isinstance(node, ast.Call):  # Peers(points=stub): a field of that name holds it
                    for kw in node.keywords:
                        if kw.arg:
                            changed |= b.bind(ast.Attribute(value=ast.Name(id="_"), attr=kw.arg), b.resolve(kw.value))


def scan_caller(files: list[pathlib.Path], services: dict[str, tuple[str, str, set[str]]]) -> dict[str, set[str]]:
    """callee -> set of gRPC paths this caller's code calls."""
    trees = [ast.parse(f.read_text(), filename=str(f)) for f in files]
    b = _Bindings()
    _bind_all(trees, b)
    calls: dict[str, set[str]] = {}
    health = False
    for tree in trees:
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr == "Check" and _is_health_stub(node.func.value):
                health = True
                continue
            for service in b.resolve(node.func.value):
                if service not in services:
                    continue
                callee, full, rpcs = services[service]
                if node.func.attr in rpcs:
                    calls.setdefault(callee, set()).add(f"/{full}/{node.func.attr}")
    if health:  # the health stub's channel is dynamic: every service this caller holds a stub for
        for service in set().union(set(), *b.attrs.values(), *b.names.values()):
            if service in services:
                calls.setdefault(services[service][0], set()).add(HEALTH_CHECK)
    return calls


def _py_files(folder: pathlib.Path) -> list[pathlib.Path]:
    return sorted(p for p in folder.rglob("*.py") if "tests" not in p.relative_to(folder).parts)


def callers(root: pathlib.Path = ROOT) -> dict[str, list[pathlib.Path]]:
    found = {"gateway": _py_files(root / "gateway")}
    for folder in sorted((root / "services").iterdir()):
        if folder.is_dir() and folder.name != "common" and (folder / "__init__.py").exists():
            found[folder.name] = _py_files(folder)
    return found


def scan(root: pathlib.Path = ROOT) -> dict[str, dict[str, list[str]]]:
    """caller -> callee -> sorted gRPC paths. Empty callers and self-calls are left out."""
    services = proto_services(root)
    result = {}
    for caller, files in callers(root).items():
        calls = {callee: sorted(paths) for callee, paths in sorted(scan_caller(files, services).items())
                 if callee != caller and paths}
        if calls:
            result[caller] = calls
    return result


def render_yaml(calls: dict[str, dict[str, list[str]]]) -> str:
    lines = [HEADER.rstrip("\n")]
    for caller, callees in calls.items():
        lines.append(f"{caller}:")
        for callee, paths in callees.items():
            lines.append(f"  {callee}:")
            lines.extend(f"    - {p}" for p in paths)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.grpc_calls")
    parser.add_argument("--write", action="store_true",
                        help=f"rewrite {CALLS_FILE.relative_to(ROOT)} and the plain manifests in istio/")
    args = parser.parse_args(argv)
    text = render_yaml(scan())
    if not args.write:
        sys.stdout.write(text)
        return 0
    CALLS_FILE.write_text(text)
    print(f"wrote {CALLS_FILE.relative_to(ROOT)}")
    from tests.deploy import istio_manifests  # renders the chart, so only when writing

    for path in istio_manifests.write():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
