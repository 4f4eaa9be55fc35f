"""`make run` as a new user runs it: everything starts, the contract works, Ctrl-C stops it all."""

import os
import shutil
import signal
import subprocess
import time

import httpx
import pytest

from tests.fixtures.postgres import ROOT, free_port

pytestmark = pytest.mark.e2e


def _descendants(pid: int) -> set[int]:
    found, frontier = set(), [pid]
    while frontier:
        parent = frontier.pop()
        try:
            children = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout.split()
        except FileNotFoundError:
            return found
        for child in map(int, children):
            found.add(child)
            frontier.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_make_run_serves_the_contract_and_stops_cleanly(tmp_path):
    port = free_port()
    env = dict(os.environ, GATEWAY_PORT=str(port), LOYALTY_ADMIN_TOKEN="acceptance-token",
               LOYALTY_DATA=str(tmp_path / "data"), PGPORT=str(free_port()), SMTP_PORT=str(free_port()),
               MEMBER_PORT=str(free_port()), POINTS_PORT=str(free_port()), TIER_PORT=str(free_port()),
               REWARDS_PORT=str(free_port()), BILLING_PORT=str(free_port()))
    for key in ("DATABASE_URL", "GRPC_PORT"):
        env.pop(key, None)
    tmp_path.chmod(0o755)
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()[-3000:]
            time.sleep(0.5)
        headers = {"authorization": "Bearer acceptance-token"}

        def gql(query: str) -> dict:
            return httpx.post(f"{url}/graphql", json={"query": query}, headers=headers, timeout=30).json()

        assert gql('mutation { createProgram(input: {code: "demo", name: "Demo", currency: "EUR",'
                   ' timezone: "Europe/Madrid"}) { program { code } } }')["data"]["createProgram"]["program"]["code"] == "demo"
        number = gql('mutation { enroll(input: {program: "demo", email: "guest@example.com", firstName: "Guest",'
                     ' lastName: "One"}) { member { loyaltyNumber } } }')["data"]["enroll"]["member"]["loyaltyNumber"]
        earn = ('mutation { earn(input: {program: "demo", loyaltyNumber: "%s", amount: "12.50", currency: "EUR",'
                ' reference: "pos-1"}) { oldBalance pointsEarned newBalance } }' % number)
        assert gql(earn)["data"]["earn"] == {"oldBalance": 0, "pointsEarned": 12, "newBalance": 12}
        assert gql(earn)["data"]["earn"] == {"oldBalance": 0, "pointsEarned": 12, "newBalance": 12}
        bad = gql('mutation { earn(input: {program: "demo", loyaltyNumber: "%s", amount: "-1", currency: "EUR",'
                  ' reference: "pos-2"}) { newBalance } }' % number)
        assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
        enquire = gql('{ enquire(program: "demo", loyaltyNumber: "%s") { availablePoints } }' % number)
        assert enquire["data"]["enquire"]["availablePoints"] == 12
        children = _descendants(proc.pid)
        assert len(children) >= 8  # postgres, mail, five services, gateway
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in the terminal reaches the whole group
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    time.sleep(1)
    assert not [pid for pid in children if _alive(pid)], (tmp_path / "run.log").read_text()[-3000:]
    cluster = tmp_path / "data" / "pg"
    if cluster.is_symlink():  # kept outside the temporary folder: remove it too
        shutil.rmtree(cluster.resolve(), ignore_errors=True)
