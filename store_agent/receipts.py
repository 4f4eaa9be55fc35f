"""The receipt interceptor: a raw-printing proxy (the port 9100 protocol) between the POS and the printer.

Bytes go on to the printer as soon as they are parsed; only a receipt's cut is held back while
the agent looks up the receipt's loyalty activity (found by the store's reference pattern), for at
most the deadline. With activity, the loyalty block goes in just before the cut; without it, or
when the deadline passes, the cut follows unchanged, so such a receipt reaches the printer byte for
byte as the POS sent it. Whatever the printer answers (status bytes) goes straight back to the POS.

Plain-text mode (printers driven through OPOS or a driver that sends text): a receipt ends at a
form feed or when the POS closes the connection, and the block goes in before that end.
"""

import asyncio
import logging
import re
from decimal import Decimal, InvalidOperation

from store_agent.escpos import Token, Tokenizer

log = logging.getLogger("store_agent.receipts")

BOLD_ON, BOLD_OFF, LEFT = b"\x1bE\x01", b"\x1bE\x00", b"\x1ba\x00"


def mask(number: str) -> str:
    return "*" * max(0, len(number) - 4) + number[-4:]


def _row(left: str, right: str, width: int) -> str:
    space = max(1, width - len(left) - len(right))
    return (left + " " * space + right)[: max(width, len(left) + 1 + len(right))]


def render_block(info: dict, *, width: int, currency: str) -> list[str]:
    """The loyalty block's lines (without line ends)."""
    lines = ["-" * width, _row("LOYALTY", f"Member {mask(info['loyalty_number'] or '')}", width)]
    earn = info.get("earn")
    if earn:
        posted = earn["status"] == "posted"
        exact = posted or earn.get("exact")
        pts = earn.get("points") or 0
        label = "Points earned" if posted else "Points (will post)"
        lines.append(_row(label, f"{'' if exact else '~'}+{pts}", width))
        for line in earn.get("lines") or []:
            if line.get("points"):
                lines.append(_row("  " + (line.get("description") or line.get("rule") or "")[: width - 10],
                                  str(line["points"]), width))
        if not posted and not exact:
            lines.append("  ~ estimate: some rules are applied only")
            lines.append("    by the platform; final points may differ")
        if not posted:
            lines.append("  Points post when the till is back online")
    redeem = info.get("redeem")
    if redeem:
        lines.append(_row("Points used", str(redeem.get("points_used")), width))
        if redeem.get("money_value") is not None:
            lines.append(_row("  worth", f"{currency} {redeem['money_value']}", width))
        if redeem.get("transaction_value") is not None and redeem.get("new_transaction_value") is not None:
            lines.append(_row("  Bill", f"{redeem['transaction_value']} -> {redeem['new_transaction_value']}", width))
        for part in redeem.get("breakdown") or []:
            lines.append(_row("  " + str(part.get("description") or part.get("rule") or "")[: width - 12],
                              str(part.get("points", "")), width))
    enquiry = info.get("enquiry")
    balance = None
    if enquiry:
        balance = enquiry["available_points"]
    elif earn and earn["status"] == "posted":
        balance = earn.get("new_balance")
    elif redeem:
        balance = redeem.get("new_balance")
    if redeem and redeem.get("old_balance") is not None:
        lines.append(_row("Balance", f"{redeem['old_balance']} -> {redeem['new_balance']}", width))
    elif balance is not None:
        lines.append(_row("Balance", f"{balance} pts", width))
    if enquiry and enquiry.get("next_expiring_points"):
        lines.append(f"{enquiry['next_expiring_points']} pts expire on {enquiry.get('next_expiry_date') or '?'}"
                     [:width])
    reward = info.get("reward")
    if reward:
        lines.append(f"You can claim: {reward['name']} ({reward['points_cost']} pts)"[:width])
    lines.append("-" * width)
    return lines


def block_bytes(info: dict, *, width: int, currency: str, encoding: str, escpos: bool) -> bytes:
    text = "\n".join(render_block(info, width=width, currency=currency)) + "\n"
    body = text.encode(encoding, errors="replace")
    if not escpos:
        return b"\n" + body
    head, _, rest = body.partition(b"\n")
    return LEFT + b"\n" + head + b"\n" + BOLD_ON + rest.split(b"\n", 1)[0] + b"\n" + BOLD_OFF + \
        rest.split(b"\n", 1)[1]


def _money(value: str) -> Decimal | None:
    try:
        return Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        return None


def _plain_tokens(data: bytes) -> list[Token]:
    return [Token("command" if part == b"\x0c" else "newline" if part == b"\n" else "text", part, part)
            for part in re.split(rb"(\n|\x0c)", data) if part]


class ReceiptProxy:
    def __init__(self, *, agent, settings):
        self._agent, self._s = agent, settings
        self._ref = re.compile(settings.receipt_reference_pattern)
        self._total = re.compile(settings.receipt_total_pattern)
        self._server: asyncio.AbstractServer | None = None
        self.receipts = 0
        self.blocks = 0

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, self._s.proxy_host, self._s.proxy_port)
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, pos_reader: asyncio.StreamReader, pos_writer: asyncio.StreamWriter) -> None:
        # Connect to the printer while the POS's first bytes arrive, not after.
        connecting = asyncio.ensure_future(asyncio.wait_for(
            asyncio.open_connection(self._s.printer_host, self._s.printer_port), 5))
        first = pos_reader.read(65536)
        try:
            (pr, pw), data = await asyncio.gather(connecting, first)
        except (OSError, asyncio.TimeoutError) as e:
            log.error("printer %s:%s unreachable: %s", self._s.printer_host, self._s.printer_port, e)
            pos_writer.close()
            return
        back = asyncio.create_task(self._pipe(pr, pos_writer))
        try:
            await self._forward(pos_reader, pw, data)
        except (ConnectionError, OSError) as e:
            log.warning("print job interrupted: %s", e)
        finally:
            try:
                if pw.can_write_eof():
                    pw.write_eof()
                await pw.drain()
            except (ConnectionError, OSError):
                pass
            try:
                await asyncio.wait_for(back, 10)
            except (asyncio.TimeoutError, ConnectionError, OSError):
                back.cancel()
            for w in (pw, pos_writer):
                w.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(4096):
            writer.write(data)
            await writer.drain()

    async def _forward(self, reader: asyncio.StreamReader, printer: asyncio.StreamWriter, data: bytes) -> None:
        escpos = self._s.receipt_mode == "escpos"
        tokens = Tokenizer()
        text: list[str] = []
        line: list[bytes] = []
        while data:
            out = bytearray()
            parsed = tokens.feed(data) if escpos else _plain_tokens(data)
            for tok in parsed:
                if tok.kind == "text":
                    line.append(tok.data or tok.raw)
                elif tok.kind == "newline" and tok.raw == b"\n":
                    text.append(self._decode(b"".join(line)))
                    line = []
                is_end = tok.kind == "cut" if escpos else tok.raw == b"\x0c"
                if is_end:
                    text.append(self._decode(b"".join(line)))
                    line = []
                    printer.write(bytes(out))
                    out.clear()
                    await printer.drain()
                    out += await self._block_for("\n".join(text))
                    text = []
                out += tok.raw
            if out:
                printer.write(bytes(out))
                await printer.drain()
            data = await reader.read(65536)
        rest = tokens.flush()
        text.append(self._decode(b"".join(line)))
        if any(t.strip() for t in text):
            # The POS ended the job without a cut: the block goes at its end.
            printer.write(await self._block_for("\n".join(text)))
        printer.write(rest)
        await printer.drain()

    def _decode(self, raw: bytes) -> str:
        return raw.decode(self._s.receipt_encoding, errors="replace")

    async def _block_for(self, text: str) -> bytes:
        self.receipts += 1
        m = self._ref.search(text)
        if not m:
            return b""
        reference = m.group("ref")
        if not self._agent.has_activity(reference):
            return b""  # the common case, answered without waiting on anything
        deadline = self._s.receipt_deadline_ms / 1000
        try:
            # The agent answers with what it has by 80% of the deadline; the rest is the hard stop.
            info = await asyncio.wait_for(self._agent.receipt_info(reference, budget=deadline * 0.8), deadline)
        except asyncio.TimeoutError:
            log.warning("receipt %s printed without its loyalty block: the deadline passed", reference)
            return b""
        except Exception:  # noqa: BLE001 - never stop a print for loyalty
            log.exception("receipt %s printed without its loyalty block", reference)
            return b""
        if not info:
            return b""
        total = self._total.search(text)
        earn = info.get("earn") or {}
        if total and earn.get("amount") and _money(total.group("total")) != _money(earn["amount"]):
            # A pattern that picks the wrong line shows up here first.
            log.warning("receipt %s: printed total %s, earned on %s", reference, total.group("total"), earn["amount"])
        self.blocks += 1
        return block_bytes(info, width=self._s.receipt_width, currency=self._s.currency,
                           encoding=self._s.receipt_encoding, escpos=self._s.receipt_mode == "escpos")
