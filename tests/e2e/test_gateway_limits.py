"""Rate limits on a gateway of its own with small limits (issue 21): a documented code and Retry-After."""

import subprocess

import httpx
import pytest

from tests.fixtures.platform import ADMIN_TOKEN, _spawn, wait_healthy
from tests.fixtures.postgres import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def strict_gateway(platform):
    env = dict(platform.env, GATEWAY_PORT=str(free_port()), ANONYMOUS_RATE_PER_IP="0.5", ANONYMOUS_BURST_PER_IP="3",
               RATE_PER_KEY="0.5", BURST_PER_KEY="5")
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


@pytest.mark.parametrize("headers", [{}, {"authorization": f"Bearer {ADMIN_TOKEN}"}], ids=["anonymous", "per-key"])
def test_over_the_rate_a_caller_gets_429_rate_limited_with_retry_after(strict_gateway, headers):
    answers = [httpx.post(f"{strict_gateway}/graphql", json={"query": "{ __typename }"}, headers=headers, timeout=30)
               for _ in range(8)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited, [a.status_code for a in answers]
    body = limited[0].json()
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(limited[0].headers["retry-after"]) >= 1
    assert body["errors"][0]["extensions"]["retryAfter"] == int(limited[0].headers["retry-after"])
