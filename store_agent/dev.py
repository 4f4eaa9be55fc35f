"""`make run`'s store agent (local development only): waits for the gateway, makes a demo program and a
store API key once with the admin token (kept in the data directory), then runs the agent.

A till is configured by hand instead (docs/store.md); nothing here is used there.
"""

import os
import pathlib
import socket
import sys
import time

import httpx

from store_agent.__main__ import main

SCOPES = ["member.enroll", "member.read", "points.earn", "points.read", "points.void", "points.redeem",
          "rewards.read", "rewards.redeem", "rules.read", "program.read"]


def _gql(url: str, token: str, query: str, **variables) -> dict:
    r = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables},
                   headers={"authorization": f"Bearer {token}"}, timeout=30)
    return r.json()


def _wait(url: str) -> None:
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)


def _free(port: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


def provision(*, url: str, token: str, program: str, data: pathlib.Path) -> str:
    key_file = data / "api-key"
    if key_file.exists():
        return key_file.read_text().strip()
    created = _gql(url, token, 'mutation($c: String!) { createProgram(input: {code: $c, name: "Store demo", '
                   'currency: "EUR", timezone: "Europe/Madrid"}) { program { code } } }', c=program)
    if created.get("errors") and "exist" not in created["errors"][0]["message"].lower():
        raise SystemExit(f"store agent (dev): cannot create program {program}: {created['errors'][0]['message']}")
    r = _gql(url, token, 'mutation($p: String!, $s: [String!]) { createApiKey(input: {program: $p, '
             'name: "make run till", scopes: $s}) { apiKey } }', p=program, s=SCOPES)
    if r.get("errors"):
        raise SystemExit(f"store agent (dev): cannot create an API key: {r['errors'][0]['message']}")
    data.mkdir(parents=True, exist_ok=True)
    key_file.write_text(r["data"]["createApiKey"]["apiKey"])
    key_file.chmod(0o600)
    return key_file.read_text()


def run() -> int:
    url = f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8080')}"
    data = pathlib.Path(os.environ.get("STORE_AGENT_DATA_DIR") or pathlib.Path(os.environ["LOYALTY_DATA"]) / "store")
    program = os.environ.setdefault("STORE_AGENT_PROGRAM", "store-demo")
    _wait(url)
    key = provision(url=url, token=os.environ["LOYALTY_ADMIN_TOKEN"], program=program, data=data)
    wanted = int(os.environ.get("STORE_AGENT_HTTP_PORT", "8765"))
    port = _free(wanted)
    if port != wanted:
        print(f"store agent: port {wanted} is busy; using {port}", flush=True)
    os.environ.update({"STORE_AGENT_PLATFORM_URL": url, "STORE_AGENT_API_KEY": key,
                       "STORE_AGENT_DATA_DIR": str(data), "STORE_AGENT_HTTP_PORT": str(port)})
    os.environ.setdefault("STORE_AGENT_STORE_CODE", "demo-store")
    os.environ.setdefault("STORE_AGENT_TERMINAL_ID", "till-1")
    if os.environ.get("STORE_AGENT_PRINTER_HOST"):
        os.environ["STORE_AGENT_PROXY_PORT"] = str(_free(int(os.environ.get("STORE_AGENT_PROXY_PORT", "9100"))))
    return main(["run"])


if __name__ == "__main__":
    sys.exit(run())
