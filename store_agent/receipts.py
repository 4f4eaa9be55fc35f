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
import collections
import fcntl
import logging
import re
import socket
import termios
from decimal import Decimal, InvalidOperation

from store_agent.escpos import Cut, CutScanner

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


_END = None  # in a job's queue of pieces: the POS ended the job (closed its side)
CLOSE_AFTER_EOF_SECONDS = 10  # a printer that never closes after the job's end is let go
PRINTER_CONNECT_SECONDS = 5


class ReceiptProxy:
    """The listener on the proxy port; each POS connection is one print job (a `_Job`)."""

    def __init__(self, *, agent, settings):
        self._agent, self._s = agent, settings
        self._ref = re.compile(settings.receipt_reference_pattern)
        self._total = re.compile(settings.receipt_total_pattern)
        self._server: asyncio.AbstractServer | None = None
        self.text_mode = settings.receipt_mode == "text"
        self.printer = (settings.printer_host, settings.printer_port)
        self.keepalive = settings.printer_keepalive_seconds
        self._idle: _PrinterSide | None = None  # the printer's connection kept open between jobs
        self._idle_timer: asyncio.TimerHandle | None = None
        self._reprints: set[asyncio.Task] = set()
        self.receipts = 0
        self.blocks = 0
        self.printer_connects = 0

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Job(self), self._s.proxy_host, self._s.proxy_port)
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._let_go(self._idle)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    # -- the printer's connection between jobs -------------------------------------------------

    def take_idle_printer(self) -> "_PrinterSide | None":
        link, self._idle = self._idle, None
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        if link is None or link.transport is None or link.transport.is_closing():
            return None
        if not _still_open(link.transport):
            self._let_go(link)
            return None
        return link

    def park(self, link: "_PrinterSide") -> None:
        """A job handed all its bytes to the printer: keep the connection for the next job."""
        if self._idle is not None or link.transport is None or link.transport.is_closing():
            self._let_go(link)  # one kept connection is enough for a till
            return
        link.job = None
        self._idle = link
        self._idle_timer = asyncio.get_running_loop().call_later(self.keepalive, self.idle_printer_gone, link)

    def idle_printer_gone(self, link: "_PrinterSide") -> None:
        """The kept connection timed out or the printer closed it."""
        if self._idle is link:
            self.take_idle_printer()
        self._let_go(link)

    @staticmethod
    def _let_go(link: "_PrinterSide | None") -> None:
        if link is None or link.transport is None or link.transport.is_closing():
            return
        try:
            if link.transport.can_write_eof():
                link.transport.write_eof()
        except (OSError, RuntimeError):
            pass
        link.transport.close()

    def reprint(self, data: bytes) -> None:
        """A job the printer did not take, on a connection of its own (ended by EOF, as without keep-alive)."""
        self.printer_connects += 1
        task = asyncio.get_running_loop().create_task(self._reprint(data))
        self._reprints.add(task)
        task.add_done_callback(self._reprints.discard)

    async def _reprint(self, data: bytes) -> None:
        host, port = self.printer
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), PRINTER_CONNECT_SECONDS)
        except (OSError, asyncio.TimeoutError) as error:
            log.error("printer %s:%s unreachable, a receipt is lost: %s", host, port, error)
            return
        try:
            writer.write(data)
            writer.write_eof()
            await asyncio.wait_for(reader.read(), CLOSE_AFTER_EOF_SECONDS)
        except (OSError, asyncio.TimeoutError):
            pass
        finally:
            writer.close()

    def decode(self, raw: bytes) -> str:
        return raw.decode(self._s.receipt_encoding, errors="replace").replace("\r", "")

    def activity(self, text: str) -> str | None:
        """The receipt's reference when the agent earned or redeemed on it; None (the common case)
        when the cut can go on at once. Local reads only: no waiting."""
        self.receipts += 1
        m = self._ref.search(text)
        if not m:
            return None
        reference = m.group("ref")
        return reference if self._agent.has_activity(reference) else None

    async def block_for(self, reference: str, text: str) -> bytes:
        """The loyalty block of a receipt with activity; b"" when the deadline passes first."""
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
                           encoding=self._s.receipt_encoding, escpos=not self.text_mode)


class _Job(asyncio.Protocol):
    """One print job: the POS's connection, and ours to the printer (opened as the POS connects, or
    the one the previous job left open: with keep-alive the job ends for the POS once its last byte
    is handed to the printer's connection, without the printer's EOF round trip).

    Protocol callbacks, not streams: a chunk from the POS is scanned and written on in the same
    callback (no task, no await per chunk). Pieces wait in `_pieces` only while the printer is
    still connecting or a cut is held for its loyalty block; the POS is paused meanwhile, and
    whenever the printer's side is full (its transport's flow control)."""

    def __init__(self, proxy: ReceiptProxy):
        self._proxy = proxy
        self._scanner = CutScanner(text_mode=proxy.text_mode)
        self._pieces: collections.deque = collections.deque()
        self._pos: asyncio.Transport | None = None
        self._printer: asyncio.Transport | None = None
        self._holding = False  # a cut waits for its loyalty block
        self._printer_full = False
        self._paused = False
        self._ended = False
        self._timer: asyncio.TimerHandle | None = None
        self._lookup: asyncio.Task | None = None  # the held cut's block (a reference keeps the task alive)
        self._link: _PrinterSide | None = None
        self._finishing = False
        self._resend = b""

    # -- the POS's side ----------------------------------------------------------------------

    def connection_made(self, transport) -> None:
        self._pos = transport
        link = self._proxy.take_idle_printer()
        if link is not None:
            link.job = self
            self.printer_connected(link, reused=True)
            return
        self._connect()

    def _connect(self) -> None:
        # Connect to the printer while the POS's first bytes arrive, not after (one task, no wait_for).
        self._proxy.printer_connects += 1
        loop = asyncio.get_running_loop()
        host, port = self._proxy.printer
        connecting = loop.create_task(loop.create_connection(lambda: _PrinterSide(self), host, port))
        timeout = loop.call_later(PRINTER_CONNECT_SECONDS, connecting.cancel)
        connecting.add_done_callback(lambda task: self._connected(task, timeout))

    def data_received(self, data: bytes) -> None:
        if self._printer is None or self._holding or self._pieces:
            self._pieces.extend(self._scanner.feed(data))
            self._flow()
            return
        self._write_pieces(self._scanner.feed(data))

    def eof_received(self) -> bool:
        self._end_of_job()
        return True  # keep the POS's side open: the printer's answers still go back

    def connection_lost(self, exc) -> None:
        self._pos = None
        self._end_of_job()

    def _end_of_job(self) -> None:
        if self._ended:
            return
        self._ended = True
        rest, text = self._scanner.flush(), bytes(self._scanner.text)
        # A job that ends without a cut gets the block at its end (before any unparsed rest).
        self._pieces.append(Cut(rest, text) if text.strip() else rest)
        self._pieces.append(_END)
        self._pump()

    # -- the printer's side -------------------------------------------------------------------

    def _connected(self, task: asyncio.Task, timeout: asyncio.TimerHandle) -> None:
        timeout.cancel()
        error = "no answer in time" if task.cancelled() else task.exception()
        if error is None:
            self._pump()
            return
        host, port = self._proxy.printer
        log.error("printer %s:%s unreachable: %s", host, port, error)
        if self._pos is not None:
            self._pos.close()

    def printer_connected(self, link: "_PrinterSide", *, reused: bool = False) -> None:
        self._link, self._printer = link, link.transport
        if not reused:
            link.written = None  # a new connection: the printer has just accepted it, nothing crosses
        elif link.written is None or not _unacknowledged(link.transport):
            link.written = []  # else the last job's bytes are still on their way: kept until acknowledged
        if self._resend:
            data, self._resend = self._resend, b""
            self._write([data])

    def printer_answered(self, data: bytes) -> None:
        if self._pos is not None:
            self._pos.write(data)  # status bytes straight back to the POS

    def printer_lost_job(self, written: bytes) -> bool:
        """The printer closed its side without taking what this job wrote: True when the job goes
        again on a new connection (it is still running); False when the caller reprints it."""
        if self._finishing:
            return False
        link, self._link, self._printer = self._link, None, None
        if link is not None:
            link.job = None
        self._resend = written  # first on the new connection, before anything still waiting
        self._connect()
        return True

    def printer_closed(self) -> None:
        if self._printer is not None:
            self._printer.close()
        self._printer = None
        if self._timer is not None:
            self._timer.cancel()
        if self._pos is not None:
            self._pos.close()

    def printer_flow(self, full: bool) -> None:
        self._printer_full = full
        self._flow()

    # -- moving the pieces --------------------------------------------------------------------

    def _write_pieces(self, pieces: list) -> None:
        """The common case: nothing waits, every cut has no activity: one write for the chunk."""
        out = []
        for i, piece in enumerate(pieces):
            if piece.__class__ is bytes:
                out.append(piece)
                continue
            text = self._proxy.decode(piece.text)
            reference = self._proxy.activity(text)
            if reference is None:
                out.append(piece.raw)
                continue
            self._write(out)
            self._pieces.extend(pieces[i + 1:])
            self._hold(piece, reference, text)
            return
        self._write(out)

    def _write(self, out: list) -> None:
        if not out:
            return
        data = out[0] if len(out) == 1 else b"".join(out)
        if self._printer is None:
            self._pieces.appendleft(data)  # the printer's connection is being opened again
            return
        if self._link.written is not None:
            self._link.written.append(data)
        self._printer.write(data)

    def _pump(self) -> None:
        if self._printer is None or self._holding:
            self._flow()
            return
        out = []
        while self._pieces:
            piece = self._pieces.popleft()
            if piece.__class__ is bytes:
                out.append(piece)
            elif piece is _END:
                self._write(out)
                out = []
                self._finish()
            else:
                text = self._proxy.decode(piece.text)
                reference = self._proxy.activity(text)
                if reference is None:
                    out.append(piece.raw)
                    continue
                self._write(out)
                out = []
                self._hold(piece, reference, text)
                break
        self._write(out)
        self._flow()

    def _hold(self, cut: Cut, reference: str, text: str) -> None:
        self._holding = True
        self._lookup = asyncio.get_running_loop().create_task(self._block_then_cut(cut, reference, text))
        self._flow()

    async def _block_then_cut(self, cut: Cut, reference: str, text: str) -> None:
        try:
            block = await self._proxy.block_for(reference, text)
        except Exception:  # noqa: BLE001 - never stop a print for loyalty
            log.exception("receipt %s printed without its loyalty block", reference)
            block = b""
        self._holding = False
        self._write([block, cut.raw])
        self._pump()

    def _flow(self) -> None:
        """Pause the POS while the printer's side is full or pieces pile up behind a held cut."""
        pause = self._printer_full or len(self._pieces) > 64
        if pause != self._paused and self._pos is not None and not self._ended:
            self._paused = pause
            (self._pos.pause_reading if pause else self._pos.resume_reading)()

    def _finish(self) -> None:
        self._finishing = True
        printer = self._printer
        if printer is None:
            return
        if self._proxy.keepalive and not printer.get_write_buffer_size() and not self._printer_full:
            # Every byte is with the printer's connection: the job is done for the POS.
            link, self._link, self._printer = self._link, None, None
            self._proxy.park(link)
            if self._pos is not None:
                self._pos.close()
            return
        try:
            if printer.can_write_eof():
                printer.write_eof()
        except (OSError, RuntimeError):
            pass
        self._timer = asyncio.get_running_loop().call_later(CLOSE_AFTER_EOF_SECONDS, self._give_up)

    def _give_up(self) -> None:
        for t in (self._printer, self._pos):
            if t is not None:
                t.close()


def _still_open(transport: asyncio.Transport) -> bool:
    """Whether the printer has not closed a kept connection: its EOF may wait unread in the socket
    while a new job arrives in the same loop turn, and bytes written after it would be lost."""
    fd = transport.get_extra_info("socket").fileno()
    sock = socket.socket(fileno=fd)
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except BlockingIOError:
        return True  # nothing to read: open
    except OSError:
        return False
    finally:
        sock.detach()


def _unacknowledged(transport: asyncio.Transport) -> int:
    """Bytes the printer's side has not acknowledged yet (Linux SIOCOUTQ)."""
    sock = transport.get_extra_info("socket")
    try:
        return int.from_bytes(fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, bytes(4)), "little")
    except (OSError, ValueError):
        return 0


class _PrinterSide(asyncio.Protocol):
    """Our connection to the printer; `job` is the job using it, None while it is kept idle.

    `written` holds what the last job on a kept connection wrote on it until the printer answers
    anything (a new connection's jobs are not kept: nothing can cross them). A printer
    that closes its side before taking those bytes (its FIN crossed them: they are still unacknowledged;
    or it reset the connection with them unread) never printed them: that job goes again, once, on a
    new connection. A printer that took them and closed later (its own idle timeout) is let go as is."""

    def __init__(self, job: _Job):
        self.job: _Job | None = job
        self._proxy = job._proxy
        self.transport: asyncio.Transport | None = None
        self.written: list[bytes] | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.job.printer_connected(self)

    def data_received(self, data: bytes) -> None:
        self.written = None  # the printer is reading: what it was sent is its own
        if self.job is not None:
            self.job.printer_answered(data)

    def eof_received(self) -> bool:
        lost = self.transport is not None and _unacknowledged(self.transport) > 0
        self._closed(lost)
        return False

    def connection_lost(self, exc) -> None:
        self._closed(isinstance(exc, (ConnectionResetError, BrokenPipeError)))

    def _closed(self, lost: bool) -> None:
        written, self.written = self.written, None
        job = self.job
        if lost and written:
            data = b"".join(written)
            log.warning("the printer closed its connection without taking the last job: it goes again")
            if job is not None and job.printer_lost_job(data):
                return
            self._proxy.reprint(data)
        if job is not None:
            job.printer_closed()  # the printer is done: the job ends on the POS's side too, now
        else:
            self._proxy.idle_printer_gone(self)

    def pause_writing(self) -> None:
        if self.job is not None:
            self.job.printer_flow(True)

    def resume_writing(self) -> None:
        if self.job is not None:
            self.job.printer_flow(False)
