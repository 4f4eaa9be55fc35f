"""The cashier's terminal UI (Textual): enrol, enquire, earn, redeem, over the agent's local HTTP API.

It holds no state of its own: everything goes through the running agent, so the queue, the
offline answers and the receipts are the same whether the till uses the API or this screen.
"""

import uuid

import httpx
from textual import on, work
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Header, Input, Label, RichLog


def describe(answer: dict) -> str:
    """One or two lines a cashier can read out."""
    if "error" in answer:
        e = answer["error"]
        return f"[b red]{e['code']}[/]: {e['message']}"
    status = answer.get("status")
    if "points" in answer and status in ("posted", "accepted") and "lines" in answer:
        if status == "posted":
            return (f"[green]Posted[/] {answer['points']} points; balance {answer['old_balance']} -> "
                    f"{answer['new_balance']}")
        approx = "" if answer.get("exact") else "about "
        return f"[yellow]Accepted, will post[/]: {approx}{answer['points']} points (the platform is unreachable)"
    if "points_used" in answer:
        line = f"[green]Redeemed[/] {answer['points_used']} points; balance {answer['old_balance']} -> " \
               f"{answer['new_balance']}"
        if answer.get("new_transaction_value") is not None:
            line += f"\nBill {answer['transaction_value']} -> {answer['new_transaction_value']} " \
                    f"(points worth {answer['money_value']})"
        return line
    if "available_points" in answer:
        line = f"Balance {answer['available_points']} points"
        if answer.get("next_expiring_points"):
            line += f"; {answer['next_expiring_points']} expire on {answer['next_expiry_date']}"
        if answer.get("queued_points"):
            line += f"; {answer['queued_points']} queued at this till"
        return line
    if "loyalty_number" in answer and status:
        return f"Enrolment {status}: member number {answer['loyalty_number'] or 'sent by mail once posted'}"
    if "destination" in answer:
        return f"Passcode sent by {answer['channel']} to {answer['destination']}"
    return str(answer)


class StoreTUI(App):
    TITLE = "Loyalty at the till"
    CSS = """
    Input { width: 1fr; }
    #buttons Button { margin: 0 1 0 0; }
    #status { height: 1; color: $text-muted; }
    """
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def __init__(self, url: str):
        super().__init__()
        self.url = url
        self.client: httpx.AsyncClient | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            with Horizontal():
                yield Input(placeholder="member number", id="number")
                yield Input(placeholder="amount / bill, e.g. 23.40", id="amount")
                yield Input(placeholder="receipt reference", id="reference")
            with Horizontal():
                yield Input(placeholder="passcode (redeem)", id="passcode")
                yield Input(placeholder="points to use (empty: by the bill)", id="points")
                yield Input(placeholder="email (enrol)", id="email")
                yield Input(placeholder="first last (enrol)", id="name")
            with Horizontal(id="buttons"):
                yield Button("Enquire", id="enquire")
                yield Button("Earn", id="earn", variant="primary")
                yield Button("Passcode", id="passcode-send")
                yield Button("Redeem", id="redeem", variant="warning")
                yield Button("Enrol", id="enrol")
            yield Label("", id="status")
            yield RichLog(id="log", markup=True, wrap=True)
        yield Footer()

    async def on_mount(self) -> None:
        self.client = httpx.AsyncClient(base_url=self.url, timeout=15)
        self.set_interval(2, self.refresh_status)
        await self.refresh_status()

    async def on_unmount(self) -> None:
        if self.client:
            await self.client.aclose()

    def value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value.strip()

    async def refresh_status(self) -> None:
        try:
            q = (await self.client.get("/v1/queue")).json()
        except httpx.HTTPError:
            text = "[red]the store agent is not running[/]"
        else:
            online = "online" if q["platform_online"] else "[yellow]OFFLINE[/]"
            text = f"platform {online} | queued {q['pending']} | oldest {q['oldest_pending_age_seconds']:.0f}s"
            if q["alert"]:
                text += " | [b red]ALERT: queue too old, call support[/]"
        self.query_one("#status", Label).update(text)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.call_agent(event.button.id)

    @work(exclusive=False)
    async def call_agent(self, action: str) -> None:
        log = self.query_one("#log", RichLog)
        number = self.value("number")
        try:
            if action == "enquire":
                r = await self.client.get(f"/v1/members/{number}")
            elif action == "earn":
                r = await self.client.post("/v1/earn", json={"loyalty_number": number, "amount": self.value("amount"),
                                                             "reference": self.value("reference")})
            elif action == "passcode-send":
                r = await self.client.post("/v1/passcode", json={"loyalty_number": number})
            elif action == "redeem":
                body = {"loyalty_number": number, "reference": self.value("reference") or f"pay-{uuid.uuid4().hex[:8]}",
                        "passcode": self.value("passcode") or None}
                if self.value("points"):
                    body["points"] = int(self.value("points")) if self.value("points").isdigit() else self.value("points")
                if self.value("amount"):
                    body["transaction_value"] = self.value("amount")
                r = await self.client.post("/v1/redeem", json=body)
            else:
                first, _, last = self.value("name").partition(" ")
                r = await self.client.post("/v1/enrol", json={"reference": f"enrol-{uuid.uuid4().hex[:12]}",
                                                              "email": self.value("email"), "first_name": first,
                                                              "last_name": last})
            log.write(f"{action}: {describe(r.json())}")
        except httpx.HTTPError as e:
            log.write(f"[b red]{action}: the store agent did not answer ({type(e).__name__})[/]")
        await self.refresh_status()


def run_tui(url: str) -> int:
    StoreTUI(url).run()
    return 0
