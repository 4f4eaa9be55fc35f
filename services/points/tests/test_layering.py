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
