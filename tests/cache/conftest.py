"""A platform of its own for the cache tests: the services and TWO gateway replicas, all configured for
the session's Ignite node (IGNITE_ADDRESSES), against the session's PostgreSQL."""

import dataclasses
import subprocess

import pytest

from services.common.dev.dbsetup import SERVICES
from tests.fixtures.graphql import GraphQLClient
from tests.fixtures.platform import ADMIN_TOKEN, _spawn, platform_env, stop_processes, wait_healthy
from tests.fixtures.postgres import free_port


@dataclasses.dataclass
class Replicas:
    urls: list[str]
    processes: dict[str, subprocess.Popen]
    env: dict[str, str]
    logs_dir: object

    def client(self, replica: int, *, token: str | None = None, api_key: str | None = None) -> GraphQLClient:
        return GraphQLClient(self.urls[replica], token=token, api_key=api_key)


@pytest.fixture(scope="session")
def replicas(database, smtp_server, ignite, tmp_path_factory) -> Replicas:
    base = tmp_path_factory.mktemp("replicas")
    spans_dir, logs_dir = base / "spans", base / "logs"
    spans_dir.mkdir()
    logs_dir.mkdir()
    ports = {name: free_port() for name in (*SERVICES, "gateway", "gateway2")}
    env = platform_env(database, ports, smtp_server)
    env.update({"IGNITE_ADDRESSES": ignite.address, "CACHE_DEADLINE_SECONDS": "0.5"})
    processes = {name: _spawn(name, env, ports, spans_dir, logs_dir) for name in (*SERVICES, "gateway", "gateway2")}
    urls = [f"http://127.0.0.1:{ports['gateway']}", f"http://127.0.0.1:{ports['gateway2']}"]
    try:
        for url in urls:
            wait_healthy(url, processes, logs_dir)
        yield Replicas(urls=urls, processes=processes, env=env, logs_dir=logs_dir)
    finally:
        stop_processes(processes.values())


@pytest.fixture
async def admins(replicas):
    """The administrator on each replica."""
    clients = [replicas.client(0, token=ADMIN_TOKEN), replicas.client(1, token=ADMIN_TOKEN)]
    yield clients
    for c in clients:
        await c.aclose()
