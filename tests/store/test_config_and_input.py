"""Bad configuration stops the agent with the variable named; bad input gets the field named and
writes nothing. The agent is a real process here, its platform a port nobody listens on."""

import subprocess
import sys

import httpx
import pytest

from store_agent.settings import ConfigError, load_settings
from tests.fixtures.postgres import ROOT, free_port
from tests.store.conftest import AgentProcess, Store, agent_env

REQUIRED = ["STORE_AGENT_PLATFORM_URL", "STORE_AGENT_API_KEY", "STORE_AGENT_PROGRAM", "STORE_AGENT_STORE_CODE",
            "STORE_AGENT_TERMINAL_ID"]


def cli(*args, env):
    return subprocess.run([sys.executable, "-m", "store_agent", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def test_missing_settings_stop_the_agent_naming_each_variable(tmp_path):
    env = {k: v for k, v in agent_env(platform_url="http://127.0.0.1:1", store=Store("p", "k", None),
                                      data_dir=tmp_path).items() if k not in REQUIRED}
    done = cli("run", env=env)
    assert done.returncode == 2
    for name in REQUIRED:
        assert f"{name}: required, not set" in done.stderr
    assert not (tmp_path / "queue.sqlite3").exists()


@pytest.mark.parametrize(("name", "value", "message"), [
    ("PROGRAM", "Tapas ES!", "STORE_AGENT_PROGRAM: String should match pattern"),
    ("PLATFORM_URL", "loyalty.example.com", "STORE_AGENT_PLATFORM_URL: Input should be a valid URL"),
    ("TERMINAL_ID", "", "STORE_AGENT_TERMINAL_ID: String should match pattern"),
    ("RECEIPT_REFERENCE_PATTERN", "Ref: (", "STORE_AGENT_RECEIPT_REFERENCE_PATTERN: Value error, not a regular"),
    ("RECEIPT_TOTAL_PATTERN", r"TOTAL (\d+)", "STORE_AGENT_RECEIPT_TOTAL_PATTERN: Value error, needs a named group"),
    ("RECEIPT_ENCODING", "klingon", "STORE_AGENT_RECEIPT_ENCODING: Value error, unknown encoding 'klingon'"),
    ("PROXY_PORT", "99999", "STORE_AGENT_PROXY_PORT: Input should be less than or equal to 65535"),
    ("ONLINE_WAIT_SECONDS", "soon", "STORE_AGENT_ONLINE_WAIT_SECONDS: Input should be a valid number"),
])
def test_a_bad_setting_is_named_with_what_is_wrong(name, value, message, tmp_path, monkeypatch):
    env = agent_env(platform_url="http://127.0.0.1:1", store=Store("prog", "key", None), data_dir=tmp_path)
    env[f"STORE_AGENT_{name}"] = value
    for k, v in env.items():
        if k.startswith("STORE_AGENT_"):
            monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert any(p.startswith(message) for p in err.value.problems), err.value.problems


def test_check_config_reads_an_env_file(tmp_path):
    env_file = tmp_path / "store-agent.env"
    env_file.write_text("STORE_AGENT_PLATFORM_URL=https://loyalty.example.com\nSTORE_AGENT_API_KEY=k\n"
                        "STORE_AGENT_PROGRAM=tapas-es\nSTORE_AGENT_STORE_CODE=madrid-01\nSTORE_AGENT_TERMINAL_ID=till-1\n")
    env = {k: v for k, v in agent_env(platform_url="x", store=Store("p", "k", None), data_dir=tmp_path).items()
           if k not in REQUIRED}
    done = cli("--env-file", str(env_file), "check-config", env=env)
    assert done.returncode == 0, done.stderr
    assert "ok: program tapas-es, store madrid-01, terminal till-1" in done.stdout


@pytest.fixture
def offline_agent(agents):
    return agents(platform_url=f"http://127.0.0.1:{free_port()}", store=Store("prog", "key", None)).start()


@pytest.fixture(scope="module")
def shared_offline_agent(tmp_path_factory):
    data = tmp_path_factory.mktemp("agent")
    agent = AgentProcess(agent_env(platform_url=f"http://127.0.0.1:{free_port()}", store=Store("prog", "key", None),
                                   data_dir=data), data).start()
    yield agent
    agent.stop()


@pytest.mark.parametrize(("path", "body", "field", "message"), [
    ("/v1/earn", {"loyalty_number": "10000000017", "amount": "-5", "reference": "R-1"}, "amount",
     "amount: must be greater than zero"),
    ("/v1/earn", {"loyalty_number": "10000000017", "amount": 12.5, "reference": "R-1"}, "amount",
     'amount: send money as a string, e.g. "12.50"'),
    ("/v1/earn", {"loyalty_number": "10000000017", "amount": "1.234", "reference": "R-1"}, "amount",
     "amount: at most 2 decimal places"),
    ("/v1/earn", {"loyalty_number": "10000000017", "amount": "abc", "reference": "R-1"}, "amount",
     "amount: 'abc' is not a decimal amount"),
    ("/v1/earn", {"loyalty_number": "10000000017", "amount": "5"}, "reference", "reference: required"),
    ("/v1/earn", {"loyalty_number": "1 0", "amount": "5", "reference": "R-1"}, "loyalty_number",
     "loyalty_number: '1 0' is not a valid loyalty number"),
    ("/v1/earn", {"loyalty_number": "10000000017", "amount": "5", "reference": "R-1", "points": 3}, "points",
     "points: unknown field"),
    ("/v1/earn", {"loyalty_number": "10000000017", "amount": "5", "reference": "R-1", "currency": "USD"},
     "currency", "currency: this store takes EUR, not USD"),
    ("/v1/earn", {"loyalty_number": "10000000017", "amount": "5", "reference": "R-1",
                  "items": [{"sku": "A", "quantity": "0"}]}, "items.0.quantity", "items.0.quantity: must be greater"),
    ("/v1/redeem", {"loyalty_number": "10000000017", "reference": "P-1"}, "points",
     "points: give the points to use or the transaction_value"),
    ("/v1/redeem", {"loyalty_number": "10000000017", "reference": "P-1", "transaction_value": "0"},
     "transaction_value", "transaction_value: must be greater than zero"),
    ("/v1/enrol", {"reference": "E-1", "email": "not-an-email", "first_name": "A", "last_name": "B"}, "email",
     "email: 'not-an-email' is not a valid email"),
])
async def test_bad_input_names_the_field_and_queues_nothing(shared_offline_agent, path, body, field, message):
    async with httpx.AsyncClient(base_url=shared_offline_agent.url, timeout=30) as till:
        r = await till.post(path, json=body)
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert (error["code"], error["field"]) == ("INVALID_INPUT", field)
        assert error["message"].startswith(message), error["message"]
        assert (await till.get("/v1/queue")).json()["pending"] == 0


async def test_a_reference_reused_for_another_sale_is_a_conflict(offline_agent):
    async with httpx.AsyncClient(base_url=offline_agent.url, timeout=30) as till:
        first = await till.post("/v1/earn", json={"loyalty_number": "10000000017", "amount": "5", "reference": "R-1"})
        assert first.status_code == 202 and first.json()["status"] == "accepted"
        other = await till.post("/v1/earn", json={"loyalty_number": "10000000017", "amount": "6", "reference": "R-1"})
        assert other.status_code == 409 and other.json()["error"] == {
            "code": "IDEMPOTENCY_CONFLICT", "field": "reference",
            "message": "reference: 'R-1' was already used for a different request"}
        not_json = await till.post("/v1/earn", content=b"{", headers={"content-type": "application/json"})
        assert not_json.status_code == 400 and not_json.json()["error"]["message"] == "the body is not JSON"
        assert (await till.get("/v1/queue")).json()["pending"] == 1


async def test_the_cashier_screen_earns_and_says_it_will_post_while_offline(offline_agent):
    from store_agent.tui import StoreTUI

    app = StoreTUI(offline_agent.url)
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.click("#number")
        await pilot.press(*"10000000017")
        await pilot.click("#amount")
        await pilot.press(*"12.50")
        await pilot.click("#reference")
        await pilot.press(*"T-1")
        await pilot.click("#earn")
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = "\n".join(line.text for line in app.query_one("#log").lines)
        assert "earn: Accepted, will post: about 12 points" in shown
        await app.workers.wait_for_complete()
        status = str(app.query_one("#status").render())
        assert "OFFLINE" in status and "queued 1" in status
