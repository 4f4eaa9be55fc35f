"""Identity: sign-in against the argon2id verify it cannot avoid, and earn throughput with the audit
log on and off, each pair measured side by side in one run.

    .venv/bin/python bench/identity.py            # longer runs
    .venv/bin/python bench/identity.py --quick    # under a minute or two

    RATIO signin_vs_argon2 <v> target <= 1.5           the signIn mutation (gateway -> identity -> PostgreSQL,
                                                        argon2id verify, session, JWT) / one argon2id verify
                                                        with the same parameters, in this process
    RATIO earn_with_audit_vs_without <v> target >= 0.9  earns per second through a gateway with the audit log on
                                                        / through a second gateway with it off

Starts its own PostgreSQL, a real SMTP server (aiosmtpd) and the platform with the production argon2id
cost (64 MiB, 3 passes, 4 lanes); rounds alternate A, B, A, B and the median of per-round ratios is printed.
"""

import argparse
import asyncio
import re
import subprocess
import time

from _common import LeanHttpClient, local_postgres, median, platform, run_for  # noqa: I001 - sets sys.path first

import argon2  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from tests.fixtures import platform as platform_fixture  # noqa: E402
from tests.fixtures.platform import ADMIN_TOKEN  # noqa: E402
from tests.fixtures.postgres import free_port  # noqa: E402
from tests.fixtures.smtp import Mailbox, _Handler  # noqa: E402

ARGON2 = {"ARGON2_TIME_COST": "3", "ARGON2_MEMORY_KIB": "65536", "ARGON2_PARALLELISM": "4"}
PASSWORD = "Bench-password-for-argon2id"
CREATE_PROGRAM = """mutation($code: String!) { createProgram(input: {code: $code, name: "Bench", currency: "EUR",
  timezone: "Europe/Madrid"}) { program { id } } }"""
ENROLL = """mutation($program: String!, $email: String!) { enroll(input: {program: $program, email: $email,
  firstName: "B", lastName: "Ench"}) { member { loyaltyNumber } } }"""
EARN = """mutation($program: String!, $number: String!, $reference: String!) { earn(input: {program: $program,
  loyaltyNumber: $number, amount: "12.50", currency: "EUR", reference: $reference}) { newBalance } }"""
INVITE = """mutation($email: String!) { inviteUser(input: {program: "*", email: $email, role: "lms_admin"}) { userId } }"""
ACCEPT = """mutation($token: String!) { acceptInvitation(input: {token: $token, password: "%s"}) { accessToken } }""" \
    % PASSWORD
SIGN_IN = """mutation($email: String!) { signIn(input: {email: $email, password: "%s"}) { accessToken } }""" % PASSWORD


async def gql(client: LeanHttpClient, query: str, **variables) -> dict:
    body = await client.post_json("/graphql", {"query": query, "variables": variables})
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return body["data"]


async def measure(url: str, url_without_audit: str, mailbox: Mailbox, *, rounds: int, seconds: float,
                  signins: int) -> None:
    admin = LeanHttpClient(url, {"authorization": f"Bearer {ADMIN_TOKEN}"})
    anonymous = LeanHttpClient(url, {})
    # a staff user through the real invitation mail
    email = "bench.admin@example.com"
    await gql(admin, INVITE, email=email)
    token = None
    for _ in range(400):
        for m in mailbox.to(email):
            found = re.search(r"token=(inv_[A-Za-z0-9_\-]+)", m.get_body(preferencelist=("plain",)).get_content())
            token = found and found.group(1)
        if token:
            break
        await asyncio.sleep(0.05)
    await gql(anonymous, ACCEPT, token=token)
    hasher = argon2.PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4, type=argon2.Type.ID)
    stored = hasher.hash(PASSWORD)

    signin_ratios = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(signins):
            await gql(anonymous, SIGN_IN, email=email)
        signin = (time.perf_counter() - t0) / signins
        t0 = time.perf_counter()
        for _ in range(signins):
            hasher.verify(stored, PASSWORD)
        verify = (time.perf_counter() - t0) / signins
        signin_ratios.append(signin / verify)
        print(f"  sign-in {signin * 1000:.1f} ms, argon2id verify {verify * 1000:.1f} ms", flush=True)
    print(f"RATIO signin_vs_argon2 {median(signin_ratios):.3f} target <= 1.5", flush=True)

    program = "bench-identity"
    await gql(admin, CREATE_PROGRAM, code=program)
    numbers = [(await gql(admin, ENROLL, program=program, email=f"m{i}@example.com"))["enroll"]["member"]
               ["loyaltyNumber"] for i in range(16)]
    with_audit = LeanHttpClient(url, {"authorization": f"Bearer {ADMIN_TOKEN}"})
    without = LeanHttpClient(url_without_audit, {"authorization": f"Bearer {ADMIN_TOKEN}"})
    run = iter(range(10**9))

    def earner(client: LeanHttpClient):
        async def one(k: int) -> None:
            await gql(client, EARN, program=program, number=numbers[k % len(numbers)], reference=f"b{next(run)}")
        return one

    await run_for(1, 8, earner(with_audit))  # warm both
    await run_for(1, 8, earner(without))
    ratios = []
    for _ in range(rounds):
        on = await run_for(seconds, 8, earner(with_audit))
        off = await run_for(seconds, 8, earner(without))
        ratios.append(on / off)
        print(f"  earn with audit {on:.0f}/s, without {off:.0f}/s", flush=True)
    print(f"RATIO earn_with_audit_vs_without {median(ratios):.3f} target >= 0.9", flush=True)
    for c in (admin, anonymous, with_audit, without):
        await c.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds, seconds, signins = (3, 3.0, 5) if args.quick else (7, 10.0, 20)
    smtp_port = free_port()
    mailbox = Mailbox(host="127.0.0.1", port=smtp_port)
    controller = Controller(_Handler(mailbox), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        with local_postgres() as database:
            extra = {**ARGON2, "SMTP_PORT": str(smtp_port), "SMTP_HOST": "127.0.0.1"}
            with platform(database, extra_env=extra) as (url, ports, processes):
                env = platform_fixture.platform_env(database, ports, Mailbox(host="127.0.0.1", port=smtp_port))
                env.update({"LOG_LEVEL": "WARNING", **extra})
                # a second gateway replica on the same services with the audit log off
                port = free_port()
                env2 = dict(env, GATEWAY_PORT=str(port), AUDIT_ENABLED="false")
                logs = database.data / "logs"
                gateway2 = subprocess.Popen([platform_fixture.sys.executable, "-m", "gateway"],
                                            cwd=platform_fixture.ROOT, env=env2,
                                            stdout=open(logs / "gateway-2.log", "ab"), stderr=subprocess.STDOUT)
                try:
                    url2 = f"http://127.0.0.1:{port}"
                    platform_fixture.wait_healthy(url2, {"gateway-2": gateway2}, logs, timeout=120)
                    asyncio.run(measure(url, url2, mailbox, rounds=rounds, seconds=seconds, signins=signins))
                finally:
                    gateway2.terminate()
                    gateway2.wait(timeout=15)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
