"""Browser tests: Playwright drives Debian's Chromium (installed by scripts/bootstrap.sh) against
the built web app served by the real gateway of the `platform` fixture.

The sync Playwright API runs its own loop in a greenlet; these tests are plain functions and do
their GraphQL set-up with a blocking httpx client.
"""

import os
import pathlib
import re
import time
import uuid

import httpx
import jwt
import pytest

from tests.fixtures.platform import ADMIN_TOKEN, JWT_SECRET

ROOT = pathlib.Path(__file__).resolve().parents[2]
UI_DIST = ROOT / "gateway" / "ui" / "dist"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium-headless-shell", "/usr/lib/chromium/chromium")

# What the built-in Front-Line Manager role grants, as the identity service stores it and the gateway
# expands it (filled once per session by `front_line_role` below): the till tests sign in with exactly
# the role's powers, never a hand-picked list.
FRONT_LINE: list[str] = []

pytestmark = pytest.mark.ui


def chromium_path() -> str:
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit
    for candidate in CHROMIUM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError("no Chromium binary: run scripts/bootstrap.sh (installs chromium-headless-shell)")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": chromium_path()}


@pytest.fixture(scope="session")
def app_url(platform) -> str:
    if not (UI_DIST / "index.html").is_file():
        raise RuntimeError("gateway/ui/dist is missing: scripts/bootstrap.sh builds it (npm ci && npm run build)")
    return platform.url


@pytest.fixture
def page(app_url, page):
    """The platform starts before the browser (its PostgreSQL start runs an asyncio loop of its own,
    which cannot start inside Playwright's). Every page a test opens must show no console error and throw no uncaught exception."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.set_default_timeout(15_000)
    yield page
    assert not problems, problems


class Api:
    """GraphQL as a given credential, for test set-up and for checking what the UI did."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token

    def __call__(self, query: str, **variables) -> dict:
        body = self.raw(query, **variables)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def raw(self, query: str, **variables) -> dict:
        r = httpx.post(f"{self.url}/graphql", json={"query": query, "variables": variables},
                       headers={"authorization": f"Bearer {self.token}"}, timeout=30)
        r.raise_for_status()
        return r.json()


@pytest.fixture(scope="session")
def api(app_url) -> Api:
    return Api(app_url, ADMIN_TOKEN)


@pytest.fixture(scope="session", autouse=True)
def front_line_role(api) -> list[str]:
    program = new_program(api)
    roles = api("query($p: String!) { roles(program: $p) { code builtin expandedPermissions } }", p=program)["roles"]
    [role] = [r for r in roles if r["code"] == "front_line_manager" and r["builtin"]]
    FRONT_LINE[:] = role["expandedPermissions"]
    return FRONT_LINE


def staff_token(*, programs: list[str], permissions: list[str], subject: str = "ui-test") -> str:
    """A staff bearer token as the gateway accepts them (HS256, audience loyalty)."""
    return jwt.encode({"sub": subject, "aud": "loyalty", "exp": int(time.time()) + 3600, "programs": programs,
                       "permissions": permissions}, JWT_SECRET, algorithm="HS256")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def new_program(api: Api) -> str:
    code = unique("ui")
    api("""mutation($code: String!) { createProgram(input: {code: $code, name: "Tapas UI", currency: "EUR",
           timezone: "Europe/Madrid"}) { program { code } } }""", code=code)
    return code


def enroll(api: Api, program: str, *, first: str = "Ana", last: str = "López", phone: str | None = None) -> tuple[str, str]:
    email = f"{unique(first.lower())}@example.com"
    data = api("""mutation($p: String!, $e: String!, $f: String!, $l: String!, $ph: String) {
        enroll(input: {program: $p, email: $e, firstName: $f, lastName: $l, phone: $ph}) { member { loyaltyNumber } } }""",
               p=program, e=email, f=first, l=last, ph=phone)
    return data["enroll"]["member"]["loyaltyNumber"], email


def earn(api: Api, program: str, number: str, amount: str, reference: str | None = None) -> dict:
    return api("""mutation($p: String!, $n: String!, $a: String!, $r: String!) {
        earn(input: {program: $p, loyaltyNumber: $n, amount: $a, currency: "EUR", reference: $r}) { newBalance } }""",
               p=program, n=number, a=amount, r=reference or unique("seed"))["earn"]


def balance(api: Api, program: str, number: str) -> int:
    return api("query($p: String!, $n: String!) { enquire(program: $p, loyaltyNumber: $n) { availablePoints } }",
               p=program, n=number)["enquire"]["availablePoints"]


def sign_in(page, app_url: str, *, program: str, token: str = ADMIN_TOKEN, next_path: str | None = None) -> None:
    page.goto(f"{app_url}/sign-in" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Program").fill(program)
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in with token").click()


def screenshot(page, name: str) -> None:
    """README screenshots: written to docs/screenshots only when UPDATE_SCREENSHOTS=1 (a normal run
    leaves the checkout clean)."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def mailed(mailbox, email: str, pattern: str, *, after: int = 0) -> str:
    """The first match of `pattern` in the mails to `email` after the first `after` of them."""
    for _ in range(600):  # some mail leaves through a relay after commit; this only waits for it
        for message in mailbox.to(email)[after:]:
            found = re.search(pattern, message.get_body(preferencelist=("plain",)).get_content())
            if found:
                return found.group(1)
        time.sleep(0.05)
    raise AssertionError(f"nothing matching {pattern!r} mailed to {email}")


def mailed_code(mailbox, email: str, *, after: int = 0) -> str:
    return mailed(mailbox, email, r"\b(\d{6})\b", after=after)
