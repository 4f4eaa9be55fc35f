"""Batch jobs of the importer: `python -m services.importer.jobs partner-files`."""

import sys

from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.jobs import JobContext, Jobs
from services.importer import partner_files
from services.importer.peers import Peers


class PartnerFileSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    member_addr: str = "127.0.0.1:50051"
    points_addr: str = "127.0.0.1:50052"
    sftp_host: str
    sftp_port: int = 22
    sftp_username: str
    sftp_password: str | None = None
    sftp_client_key: str | None = None
    sftp_known_hosts: str | None = None
    sftp_root: str = "/"
    log_level: str = "INFO"


async def partner_files_job(settings: PartnerFileSettings) -> int:
    peers = Peers(member_addr=settings.member_addr, points_addr=settings.points_addr)
    try:
        outcomes = await partner_files.run_once(
            partner_files.SftpTarget(
                host=settings.sftp_host, port=settings.sftp_port, username=settings.sftp_username,
                password=settings.sftp_password, client_key=settings.sftp_client_key,
                known_hosts=settings.sftp_known_hosts, root=settings.sftp_root,
            ),
            peers=peers,
        )
    finally:
        await peers.close()
    for o in outcomes:
        print(f"{o.program}/{o.partner}/{o.name}: {o.rows} rows, {o.ok} ok, {o.failed} failed"
              + (f", refused: {o.error}" if o.error else ""))
    return 1 if any(o.failed or o.error for o in outcomes) else 0


jobs = Jobs("importer", settings=PartnerFileSettings, description=__doc__)


@jobs.job("partner-files", help="apply the partners' batch files waiting on the SFTP server")
async def partner_files_cron(ctx: JobContext) -> int:
    return await partner_files_job(ctx.settings)


if __name__ == "__main__":
    sys.exit(jobs.main())
