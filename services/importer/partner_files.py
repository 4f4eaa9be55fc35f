"""Recurring partner batch files over SFTP: pick up, post earns and voids idempotently, answer.

Layout on the SFTP server, one folder per program and partner:
    <root>/<program code>/<partner code>/inbox/*.csv       dropped by the partner
    <root>/<program code>/<partner code>/results/<name>.results.csv   written back, a row per row
    <root>/<program code>/<partner code>/processed/<name>             the file, once answered
Every posting's reference is `partner:<partner code>:<partner_txn_id>`, so a file processed twice
(after a crash between posting and moving it, say) posts nothing twice.
"""

import csv
import dataclasses
import io
import logging
import posixpath

import asyncssh

from services.common.errors import DomainError
from services.importer.peers import Peers

log = logging.getLogger(__name__)

HEADER = ["partner_txn_id", "loyalty_number", "occurred_at", "kind", "amount", "currency", "location_code",
          "original_partner_txn_id"]
RESULT_HEADER = ["line", "partner_txn_id", "status", "points", "new_balance", "error_code", "error"]
PRINCIPAL = "job:partner-files"


@dataclasses.dataclass
class FileOutcome:
    program: str
    partner: str
    name: str
    rows: int = 0
    ok: int = 0
    failed: int = 0
    error: str | None = None  # the whole file was refused


@dataclasses.dataclass(frozen=True)
class SftpTarget:
    host: str
    port: int
    username: str
    password: str | None = None
    client_key: str | None = None
    known_hosts: str | None = None  # None: the host key is not checked (say so in the deployment)
    root: str = "/"


def reference(partner: str, txn_id: str) -> str:
    return f"partner:{partner}:{txn_id}"


async def _post_row(row: dict[str, str], *, partner: str, peers: Peers, program_id: str) -> tuple[int, int]:
    kind = row["kind"].strip().lower()
    principal = f"{PRINCIPAL}:{partner}"
    if kind == "earn":
        posted = await peers.earn(
            program_id, principal=principal, loyalty_number=row["loyalty_number"], amount=row["amount"],
            currency=row["currency"], reference=reference(partner, row["partner_txn_id"]),
            occurred_at=row["occurred_at"], partner_code=partner, location_code=row["location_code"],
            channel="partner-file")
        return posted.points, posted.new_balance
    if kind == "void":
        if not row["original_partner_txn_id"]:
            raise ValueError("original_partner_txn_id is required for a void")
        posted = await peers.void(
            program_id, principal=principal, reference=reference(partner, row["partner_txn_id"]),
            target_reference=reference(partner, row["original_partner_txn_id"]),
            reason=f"partner file void by {partner}")
        return posted.points, posted.new_balance
    raise ValueError(f"kind {row['kind']!r} is not earn or void")


async def process_file(
    text: str, *, program: str, partner: str, name: str, program_id: str, peers: Peers,
) -> tuple[FileOutcome, str]:
    """Post every row; returns the outcome and the results file's content."""
    outcome = FileOutcome(program=program, partner=partner, name=name)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(RESULT_HEADER)
    reader = csv.DictReader(io.StringIO(text))
    if [h.strip() for h in reader.fieldnames or []] != HEADER:
        outcome.error = f"header must be {','.join(HEADER)}"
        writer.writerow([1, "", "refused", "", "", "INVALID_INPUT", outcome.error])
        return outcome, out.getvalue()
    for row in reader:
        outcome.rows += 1
        line = reader.line_num
        row = {k: (v or "").strip() for k, v in row.items()}
        try:
            moved, balance = await _post_row(row, partner=partner, peers=peers, program_id=program_id)
        except DomainError as err:
            outcome.failed += 1
            writer.writerow([line, row["partner_txn_id"], "error", "", "", err.code.value, err.message])
        except ValueError as err:
            outcome.failed += 1
            writer.writerow([line, row["partner_txn_id"], "error", "", "", "INVALID_INPUT", str(err)])
        else:
            outcome.ok += 1
            writer.writerow([line, row["partner_txn_id"], "ok", moved, balance, "", ""])
    return outcome, out.getvalue()


async def run_once(target: SftpTarget, *, peers: Peers) -> list[FileOutcome]:
    """One pass over every program and partner inbox."""
    outcomes: list[FileOutcome] = []
    async with asyncssh.connect(
        target.host, port=target.port, username=target.username, password=target.password,
        client_keys=[target.client_key] if target.client_key else None, known_hosts=target.known_hosts,
    ) as conn, conn.start_sftp_client() as sftp:
        for program in sorted(await sftp.listdir(target.root)):
            if program.startswith("."):
                continue
            program_dir = posixpath.join(target.root, program)
            try:
                program_id = str(await peers.program_id(program))
            except DomainError as err:
                log.warning("skipping folder %s: %s", program_dir, err.message)
                continue
            for partner in sorted(await sftp.listdir(program_dir)):
                inbox = posixpath.join(program_dir, partner, "inbox")
                if partner.startswith(".") or not await sftp.isdir(inbox):
                    continue
                for folder in ("results", "processed"):
                    if not await sftp.exists(posixpath.join(program_dir, partner, folder)):
                        await sftp.mkdir(posixpath.join(program_dir, partner, folder))
                for name in sorted(await sftp.listdir(inbox)):
                    if not name.endswith(".csv"):
                        continue
                    async with sftp.open(posixpath.join(inbox, name), "rb") as fh:
                        raw = await fh.read()
                    try:
                        text = raw.decode("utf-8-sig")
                    except UnicodeDecodeError:
                        outcome, results = FileOutcome(program, partner, name, error="not valid UTF-8"), (
                            ",".join(RESULT_HEADER) + "\n1,,refused,,,INVALID_INPUT,not valid UTF-8\n")
                    else:
                        outcome, results = await process_file(
                            text, program=program, partner=partner, name=name, program_id=program_id, peers=peers)
                    result_path = posixpath.join(program_dir, partner, "results", name[:-4] + ".results.csv")
                    async with sftp.open(result_path, "wb") as fh:
                        await fh.write(results.encode())
                    done = posixpath.join(program_dir, partner, "processed", name)
                    if await sftp.exists(done):
                        await sftp.remove(done)
                    await sftp.rename(posixpath.join(inbox, name), done)
                    outcomes.append(outcome)
                    if outcome.error or outcome.failed:
                        log.warning("partner file %s/%s/%s: %s rows failed%s", program, partner, name,
                                    outcome.failed, f"; refused: {outcome.error}" if outcome.error else "")
    return outcomes
