"""The service's shape, held: the ledger is the floor (it imports nothing from the rules engine, the
importer or the gRPC layer), api.py files are the only ones that import the service's protos, and no
function is longer than 80 lines (long SQL lives in .sql files)."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[3]
POINTS = ROOT / "services" / "points"


def _imports(path: pathlib.Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return names


def _sources(directory: pathlib.Path):
    return [p for p in sorted(directory.rglob("*.py")) if "tests" not in p.relative_to(ROOT).parts]


def test_the_ledger_imports_nothing_above_it():
    above = ("services.points.rules", "services.points.importing", "services.points.api", "services.points.jobs",
             "services.points.__main__")
    reaching_up = {str(p.relative_to(ROOT)): sorted(n for n in _imports(p) if n.startswith(above))
                   for p in _sources(POINTS / "ledger")}
    assert not {k: v for k, v in reaching_up.items() if v}


def test_only_api_modules_read_or_write_the_ledgers_protos():
    outside = {str(p.relative_to(ROOT)) for p in _sources(POINTS / "ledger")
               if any(n.startswith("loyalty.points") for n in _imports(p))}
    assert not outside


def test_no_function_of_the_service_is_longer_than_80_lines():
    long = []
    for path in _sources(POINTS):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 80:
                long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not long


# --- every service: generated protos only at the boundary --------------------------------------------

SERVICES = ROOT / "services"
# Modules that may read or write generated protos besides each service's api.py and *_api.py: the
# assembly (__main__.py, jobs.py build the stubs) and the one client module of a service that calls
# others (it answers with dataclasses).
BOUNDARY = {
    "services/common/server.py",  # the gRPC server kernel: health and reflection
    "services/common/multiplex.py",  # the kernel's transport: unary calls as messages on long-lived streams
    "services/common/event_export.py",  # the kernel's client of the notifications service (outbox export)
    "services/rewards/peers.py",  # rewards' client of member, points (ledger and burn rules) and tier
    "services/points/rules/facts.py",  # the rules engine's client of member and tier (rule facts)
    "services/points/ledger/events.py",  # the ledger-event relay: sends event batches to member, tier, billing
    "services/member/peers.py",  # member's client of the points service (member copy, merges)
    "services/member/member_proto.py",  # member's api.py message builders (member, search results)
    "services/importer/peers.py",
    "services/notifications/peers.py",  # notifications' client of member (contacts) and points (expiring)  # the import tool's client of the member, points and tier services
}
# Modules that still read or write protos outside the boundary: debt to pay, never to add to.
NOT_YET: set[str] = set()


def _reads_protos(path: pathlib.Path) -> bool:
    return any(n.startswith(("loyalty.", "grpc_health.")) for n in _imports(path))


def _at_the_boundary(path: pathlib.Path) -> bool:
    relative = str(path.relative_to(ROOT))
    return (path.name in ("api.py", "__main__.py", "jobs.py") or path.name.endswith("_api.py")
            or relative in BOUNDARY or relative.startswith("services/operator/"))  # the operator is a client


def test_only_the_boundary_of_each_service_reads_or_writes_generated_protos():
    inside = {str(p.relative_to(ROOT)) for p in _sources(SERVICES) if _reads_protos(p) and not _at_the_boundary(p)}
    assert inside - NOT_YET == set(), "domain modules importing generated protos: take commands, return dataclasses"


def test_the_rewards_domain_reads_no_protos():
    inside = {p.name for p in _sources(SERVICES / "rewards") if _reads_protos(p)}
    assert inside == {"api.py", "__main__.py", "peers.py"}


def test_the_boundary_check_sees_a_domain_module_reading_protos(tmp_path):
    # a proto import at the top, inside a function, or of a name from a generated module, all count
    for source in ("from loyalty.points.v1 import points_service_pb2 as pb\n",
                   "def f():\n    import loyalty.rewards.v1.rewards_service_pb2\n",
                   "from loyalty.common.v1.events_pb2 import LedgerEvent\n"):
        module = tmp_path / "module.py"
        module.write_text(source)
        assert _reads_protos(module), source
    module.write_text("from services.common.ledger_event import LedgerEvent\n")
    assert not _reads_protos(module)
    # and a domain module is not at the boundary, whatever service it is in
    for domain in ("services/rewards/catalogue.py", "services/member/merge.py", "services/points/ledger/earning.py"):
        assert not _at_the_boundary(ROOT / domain), domain
    for boundary in ("services/tier/api.py", "services/member/import_api.py", "services/rewards/peers.py"):
        assert _at_the_boundary(ROOT / boundary), boundary
