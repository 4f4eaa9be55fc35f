"""The till install: one command into a fresh virtualenv, the same pins as the repository, and the
`make run` Procfile line against the real platform."""

import os
import pathlib
import re
import subprocess
import sys
import time

import httpx
import pytest

from tests.fixtures.platform import ADMIN_TOKEN
from tests.fixtures.postgres import ROOT, free_port

pytestmark = pytest.mark.e2e
AGENT = pathlib.Path(ROOT) / "store_agent"


def _pins(path: pathlib.Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_the_till_pins_are_the_repository_pins():
    till, repo = _pins(AGENT / "constraints.txt"), _pins(pathlib.Path(ROOT) / "requirements.lock")
    assert {k: v for k, v in till.items() if repo.get(k) != v} == {}


def test_one_command_installs_a_working_agent_on_a_clean_python(tmp_path):
    prefix = tmp_path / "till"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORE_AGENT_", "VIRTUAL_ENV", "PYTHONPATH"))}
    done = subprocess.run(["sh", str(AGENT / "install.sh"), str(prefix)], env=env, capture_output=True, text=True,
                          timeout=900, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"installed {prefix}/bin/store-agent" in done.stdout
    # the installed copy runs from the new environment, not from this checkout
    where = subprocess.run([prefix / "bin/python", "-c", "import store_agent; print(store_agent.__file__)"],
                           env=env, capture_output=True, text=True, cwd=tmp_path)
    assert where.stdout.startswith(str(prefix)), where
    # its settings template is there; unedited it passes validation, emptied it names what is missing
    env_file = prefix / "etc/store-agent.env"
    ok = subprocess.run([prefix / "bin/store-agent", "--env-file", env_file, "check-config"], env=env,
                        capture_output=True, text=True, cwd=tmp_path)
    assert ok.returncode == 0 and "ok: program tapas-es" in ok.stdout, ok.stderr
    env_file.write_text("STORE_AGENT_PROGRAM=tapas-es\n")
    bad = subprocess.run([prefix / "bin/store-agent", "--env-file", env_file, "check-config"], env=env,
                         capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2 and "STORE_AGENT_API_KEY: required, not set" in bad.stderr


async def test_the_procfile_line_provisions_and_runs_an_agent(platform, tmp_path):
    line = next(x for x in (pathlib.Path(ROOT) / "Procfile").read_text().splitlines() if x.startswith("store:"))
    command = line.split(":", 1)[1].split()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORE_AGENT_")}
    env.update(GATEWAY_PORT=str(platform.ports["gateway"]), LOYALTY_ADMIN_TOKEN=ADMIN_TOKEN,
               LOYALTY_DATA=str(tmp_path), STORE_AGENT_HTTP_PORT=str(port),
               STORE_AGENT_PROGRAM=f"store-demo-{port}", PATH=f"{pathlib.Path(sys.executable).parent}:{env['PATH']}")
    log = open(tmp_path / "store.log", "wb")
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            assert proc.poll() is None, (tmp_path / "store.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as till:
            enrolled = await till.post("/v1/enrol", json={"reference": "E-1", "email": f"a{port}@example.com",
                                                          "first_name": "Ana", "last_name": "Ruiz"})
            assert enrolled.status_code == 200, enrolled.text
            number = enrolled.json()["loyalty_number"]
            earned = await till.post("/v1/earn", json={"loyalty_number": number, "amount": "9.99",
                                                       "reference": "R-1"})
            assert earned.json()["new_balance"] == 9
        assert (tmp_path / "store" / "api-key").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
