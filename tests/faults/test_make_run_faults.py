"""`make run` under faults (issue 21): a killed service comes back while the rest keep serving; Ctrl-C lets
PostgreSQL finish its shutdown; two bootstraps of one checkout never run side by side."""

import fcntl
import os
import re
import signal
import subprocess
import time

import httpx
import pytest

from tests.fixtures.postgres import ROOT, free_port

pytestmark = pytest.mark.faults

TOKEN = "faults-token"


def _wait(predicate, *, log, what: str, timeout: float = 180):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what}:\n{log.read_text()[-3000:]}"
        time.sleep(0.5)


def _gql(url: str, query: str) -> dict:
    try:
        return httpx.post(f"{url}/graphql", json={"query": query}, headers={"authorization": f"Bearer {TOKEN}"},
                          timeout=30).json()
    except (httpx.HTTPError, ValueError):
        return {}


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _pids(log, name: str) -> list[int]:
    return [int(p) for p in re.findall(rf"{name}\s+\| started with pid (\d+)", log.read_text())]


def test_a_killed_service_restarts_while_the_rest_serve_and_ctrl_c_lets_postgresql_finish(tmp_path):
    port = free_port()
    data = tmp_path / "data"
    env = dict(os.environ, GATEWAY_PORT=str(port), LOYALTY_ADMIN_TOKEN=TOKEN, LOYALTY_DATA=str(data),
               PGPORT=str(free_port()), SMTP_PORT=str(free_port()), MEMBER_PORT=str(free_port()),
               POINTS_PORT=str(free_port()), TIER_PORT=str(free_port()), REWARDS_PORT=str(free_port()),
               BILLING_PORT=str(free_port()))
    for key in ("DATABASE_URL", "GRPC_PORT"):
        env.pop(key, None)
    tmp_path.chmod(0o755)
    log = tmp_path / "run.log"
    proc = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _healthy(url), log=log, what="the platform never became healthy")
        created = _gql(url, 'mutation { createProgram(input: {code: "demo", name: "Demo", currency: "EUR",'
                            ' timezone: "Europe/Madrid"}) { program { code } } }')
        assert created.get("data"), created
        number = _gql(url, 'mutation { enroll(input: {program: "demo", email: "k@example.com", firstName: "K",'
                           ' lastName: "L"}) { member { loyaltyNumber } } }')["data"]["enroll"]["member"]["loyaltyNumber"]
        member = '{ member(program: "demo", loyaltyNumber: "%s") { loyaltyNumber } }' % number

        # when the points service is killed with -9
        [first] = _pids(log, "points")
        os.kill(first, signal.SIGKILL)
        # then the rest keep serving (the member service answers through the same gateway) ...
        assert _gql(url, member)["data"]["member"]["loyaltyNumber"] == number
        # ... and the supervisor starts points again, which earns again
        _wait(lambda: len(_pids(log, "points")) >= 2, log=log, what="points was not restarted")
        earn = ('mutation { earn(input: {program: "demo", loyaltyNumber: "%s", amount: "10", currency: "EUR",'
                ' reference: "after-kill"}) { newBalance } }' % number)
        _wait(lambda: (_gql(url, earn).get("data") or {}).get("earn"), log=log, what="no earn after the restart")
        assert "exited with -9" in log.read_text() or "exited with 137" in log.read_text()
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in the terminal reaches the whole group
        try:
            proc.wait(timeout=180)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    # PostgreSQL finished its own shutdown: not killed, nothing left behind
    cluster = (data / "pg").resolve()
    try:
        assert not (cluster / "postmaster.pid").exists(), log.read_text()[-3000:]
        assert "database system is shut down" in (cluster / "server.log").read_text()
        assert "killing it" not in log.read_text()
    finally:
        if (data / "pg").is_symlink():
            subprocess.run(["rm", "-rf", str(cluster)], check=False)


def test_bootstrap_waits_for_another_bootstrap_of_the_same_checkout():
    # given a bootstrap of this checkout in progress (we hold its lock)
    with open(ROOT / ".bootstrap.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.Popen(["bash", "scripts/bootstrap.sh"], cwd=ROOT, stdout=subprocess.DEVNULL)
        try:
            # then a second one waits on the lock (a flock child appears) instead of running
            waiting = False
            while proc.poll() is None and not waiting:
                children = subprocess.run(["pgrep", "-P", str(proc.pid), "-l"], capture_output=True, text=True).stdout
                waiting = "flock" in children
                time.sleep(0.1)
            assert waiting, "bootstrap.sh ran beside another bootstrap"
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    # and finishes once the first is done
    assert proc.wait(timeout=600) == 0
