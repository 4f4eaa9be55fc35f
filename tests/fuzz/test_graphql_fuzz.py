"""Property-based fuzzing of the live schema (issue 21), as the platform administrator and anonymously.

Documents come from hypothesis-graphql over the gateway's whole schema (graphql-core's printout of the
schema object the gateway serves, federation fields included: the subgraph SDL from `_service` leaves
them out and introspection is off), valid ones and invalid ones, with a fixed example budget and seed (derandomized). For every answer:
every error has a documented code, none is INTERNAL, none shows internals (Python exception text,
gRPC or asyncpg names, addresses), and an anonymous caller gets no data.

The gateway under test is one of its own on the session's services, with the production settings
except that anonymous callers are not rate limited (so the fuzzer reaches the schema, not the limiter).
"""

import json
import subprocess

import httpx
import pytest
from graphql import NameNode, ObjectFieldNode, print_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from tests.faults.till import DOCUMENTED_CODES, LEAKS
from tests.fixtures.platform import ADMIN_TOKEN, _spawn, wait_healthy
from tests.fixtures.postgres import free_port

pytestmark = pytest.mark.fuzz

EXAMPLES = 40  # per property; derandomized, so every run sends the same documents

SCALARS = {
    "Long": st.integers(min_value=-(2**63), max_value=2**63 - 1).map(nodes.Int),
    "JSON": st.one_of(st.text(max_size=20).map(nodes.String), st.integers(-5, 5).map(nodes.Int)),
    "_Any": st.fixed_dictionaries({"__typename": st.sampled_from(["Member", "Program", "Nope"]).map(nodes.String),
                                   "id": st.text(max_size=10).map(nodes.String)}).map(
        lambda fields: nodes.Object([ObjectFieldNode(name=NameNode(value=k), value=v) for k, v in fields.items()])),
}


@pytest.fixture(scope="module")
def fuzz_gateway(platform):
    env = dict(platform.env, GATEWAY_PORT=str(free_port()), ANONYMOUS_RATE_PER_IP="100000",
               ANONYMOUS_BURST_PER_IP="100000", ANONYMOUS_RATE_TOTAL="100000", ANONYMOUS_BURST_TOTAL="100000")
    ports = dict(platform.ports, gateway=int(env["GATEWAY_PORT"]))
    process = _spawn("gateway", env, ports, platform.spans_dir, platform.logs_dir)
    url = f"http://127.0.0.1:{ports['gateway']}"
    try:
        wait_healthy(url, {"gateway": process}, platform.logs_dir, timeout=120)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def sdl() -> str:
    from gateway.schema import schema

    return print_schema(schema._schema)


def check(response: httpx.Response, *, anonymous: bool) -> None:
    assert response.headers["content-type"].startswith("application/json"), response.text[:300]
    body = response.json()
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code in DOCUMENTED_CODES, error
        assert code != "INTERNAL", error
        text = json.dumps(error)
        assert not any(leak in text for leak in LEAKS), error
    if anonymous:
        assert not _values(body.get("data")), body


def _values(data) -> list:
    """Every leaf value in a response's data except __typename."""
    if isinstance(data, dict):
        return [v for key, value in data.items() if key != "__typename" for v in _values(value)]
    if isinstance(data, list):
        return [v for item in data for v in _values(item)]
    return [] if data is None else [data]


FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


def _run(url: str, document, *, token: str | None) -> None:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(f"{url}/graphql", json={"query": document}, headers=headers, timeout=30)
    check(response, anonymous=token is None)


@pytest.mark.parametrize("token", [ADMIN_TOKEN, None], ids=["admin", "anonymous"])
@pytest.mark.parametrize("mode", [Mode.POSITIVE, Mode.NEGATIVE], ids=["valid", "invalid"])
def test_queries(fuzz_gateway, sdl, token, mode):
    @FUZZ
    @given(document=queries(sdl, custom_scalars=SCALARS, mode=mode))
    def property_(document):
        _run(fuzz_gateway, document, token=token)

    property_()


@pytest.mark.parametrize("token", [ADMIN_TOKEN, None], ids=["admin", "anonymous"])
@pytest.mark.parametrize("mode", [Mode.POSITIVE, Mode.NEGATIVE], ids=["valid", "invalid"])
def test_mutations(fuzz_gateway, sdl, token, mode):
    @FUZZ
    @given(document=mutations(sdl, custom_scalars=SCALARS, mode=mode))
    def property_(document):
        _run(fuzz_gateway, document, token=token)

    property_()
