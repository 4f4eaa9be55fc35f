"""Batch jobs of the importer: `python -m services.importer.jobs partner-files`."""

import logging
import sys

from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.jobs import JobContext, Jobs
from services.importer import partner_files
from services.importer.peers import JobAudit, Peers

log = logging.getLogger(__name__)


class PartnerFileSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    member_addr: str = "127.0.0.1:50051"
    points_addr: str = "127.0.0.1:50052"
    identity_addr: str = "127.0.0.1:50056"  # the audit log: one entry per file, in its program
    sftp_host: str
    sftp_port: int = 22
    sftp_username: str
    sftp_password: str | None = None
    sftp_client_key: str | None = None
    sftp_known_hosts: str | None = None
    sftp_root: str = "/"
    log_level: str = "INFO"


async def partner_files_job(settings: PartnerFileSettings) -> int:
    peers = Peers(member_addr=settings.member_addr, points_addr=settings.points_addr,
                  identity_addr=settings.identity_addr)
    try:
        outcomes = await partner_files.run_once(
            partner_files.SftpTarget(
                host=settings.sftp_host, port=settings.sftp_port, username=settings.sftp_username,
                password=settings.sftp_password, client_key=settings.sftp_client_key,
                known_hosts=settings.sftp_known_hosts, root=settings.sftp_root,
            ),
            peers=peers,
        )
        await audit_files(peers, outcomes)
    finally:
        await peers.close()
    for o in outcomes:
        print(f"{o.program}/{o.partner}/{o.name}: {o.rows} rows, {o.ok} ok, {o.failed} failed"
              + (f", refused: {o.error}" if o.error else ""))
    return 1 if any(o.failed or o.error for o in outcomes) else 0


async def audit_files(peers: Peers, outcomes: list[partner_files.FileOutcome]) -> None:
    """Each file's postings in its program's audit log; a log that cannot be reached never undoes the file."""
    entries = [JobAudit(job="importer.partner-files", program_code=o.program, operation="partnerFile",
                        target_ids=(f"{o.partner}/{o.name}",),
                        summary={"partner": o.partner, "file": o.name, "rows": o.rows, "ok": o.ok, "failed": o.failed,
                                 "refused": o.error or ""},
                        outcome="REFUSED" if o.error else "PARTIAL" if o.failed else "ok") for o in outcomes]
    try:
        await peers.append_audit(entries)
    except Exception as exc:
        log.error("audit entries of %d partner files not written (%s): %s", len(entries), type(exc).__name__,
                  [(e.program_code, e.target_ids, e.outcome) for e in entries])


jobs = Jobs("importer", settings=PartnerFileSettings, description=__doc__)


@jobs.job("partner-files", help="apply the partners' batch files waiting on the SFTP server")
async def partner_files_cron(ctx: JobContext) -> int:
    return await partner_files_job(ctx.settings)


if __name__ == "__main__":
    sys.exit(jobs.main())
