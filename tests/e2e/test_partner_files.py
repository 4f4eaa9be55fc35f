"""Partner batch files through a real SFTP server (asyncssh) into the real points service."""

import csv
import io
import pathlib

import asyncssh
import pytest

from services.importer.jobs import PartnerFileSettings, partner_files_job
from tests.e2e.test_contract import ENQUIRE, new_member, new_program
from tests.fixtures.postgres import free_port

pytestmark = pytest.mark.e2e

AUDIT = """query($program: String!) { auditLog(program: $program, subject: "job:importer.partner-files") {
  subject operation targetIds outcome summary } }"""
HEADER = "partner_txn_id,loyalty_number,occurred_at,kind,amount,currency,location_code,original_partner_txn_id\n"


class _PasswordServer(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return (username, password) == ("partners", "s3cret")


@pytest.fixture
async def sftp_root(tmp_path: pathlib.Path):
    root = tmp_path / "sftp"
    root.mkdir()
    port = free_port()
    server = await asyncssh.listen(
        "127.0.0.1", port, server_host_keys=[asyncssh.generate_private_key("ssh-ed25519")],
        server_factory=_PasswordServer, sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root)),
    )
    yield root, port
    server.close()
    await server.wait_closed()


def settings_for(platform, port: int) -> PartnerFileSettings:
    return PartnerFileSettings(
        member_addr=f"127.0.0.1:{platform.ports['member']}", points_addr=f"127.0.0.1:{platform.ports['points']}",
        identity_addr=f"127.0.0.1:{platform.ports['identity']}", sftp_host="127.0.0.1", sftp_port=port, sftp_username="partners", sftp_password="s3cret",
    )


def results_of(path: pathlib.Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


async def test_earns_are_posted_once_and_answered_row_by_row(admin, platform, sftp_root):
    root, port = sftp_root
    program = await new_program(admin)
    number = await new_member(admin, program)
    inbox = root / program / "acme" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "2026-11-01.csv").write_text(
        HEADER
        + f"a1,{number},2026-11-01T10:00:00+01:00,earn,20.00,EUR,store-1,\n"
        + f"a2,{number},2026-11-01T11:00:00+01:00,earn,-3,EUR,store-1,\n"
        + "a3,99999999999,2026-11-01T12:00:00+01:00,earn,5,EUR,store-1,\n"
        + f"a4,{number},2026-11-01T12:30:00+01:00,refund,5,EUR,store-1,\n"
        + f"a5,{number},2026-11-01T13:00:00+01:00,earn,7.50,EUR,store-2,\n"
    )
    # when the job runs
    assert await partner_files_job(settings_for(platform, port)) == 1  # some rows failed
    # then each row has its answer, the file moved out of the inbox, and the points are posted
    results = results_of(root / program / "acme" / "results" / "2026-11-01.results.csv")
    assert [(r["partner_txn_id"], r["status"], r["error_code"]) for r in results] == [
        ("a1", "ok", ""), ("a2", "error", "INVALID_INPUT"), ("a3", "error", "NOT_FOUND"),
        ("a4", "error", "INVALID_INPUT"), ("a5", "ok", ""),
    ]
    assert not list(inbox.iterdir())
    assert (root / program / "acme" / "processed" / "2026-11-01.csv").exists()
    assert (await admin(ENQUIRE, program=program, number=number)).ok()["enquire"]["availablePoints"] == 27

    # and the program's audit log says what the job did with the file
    log = (await admin(AUDIT, program=program)).ok()["auditLog"]
    assert [(e["subject"], e["operation"], e["targetIds"], e["outcome"], e["summary"]["ok"], e["summary"]["failed"])
            for e in log] == [("job:importer.partner-files", "partnerFile", ["acme/2026-11-01.csv"], "PARTIAL", 2, 3)]

    # when the same file is dropped again (a partner's retry), nothing is posted twice
    (inbox / "2026-11-01.csv").write_text((root / program / "acme" / "processed" / "2026-11-01.csv").read_text())
    await partner_files_job(settings_for(platform, port))
    assert (await admin(ENQUIRE, program=program, number=number)).ok()["enquire"]["availablePoints"] == 27


async def test_a_file_with_a_wrong_header_is_refused_whole(admin, platform, sftp_root):
    root, port = sftp_root
    program = await new_program(admin)
    inbox = root / program / "acme" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "bad.csv").write_text("id,card,amount\n1,2,3\n")
    assert await partner_files_job(settings_for(platform, port)) == 1
    results = results_of(root / program / "acme" / "results" / "bad.results.csv")
    assert results[0]["status"] == "refused" and "header must be" in results[0]["error"]


async def test_voids_reverse_a_partner_earn(admin, platform, sftp_root):
    root, port = sftp_root
    program = await new_program(admin)
    number = await new_member(admin, program)
    inbox = root / program / "acme" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "day1.csv").write_text(HEADER + f"e1,{number},2026-11-01T10:00:00+01:00,earn,30,EUR,s1,\n")
    assert await partner_files_job(settings_for(platform, port)) == 0
    (inbox / "day2.csv").write_text(HEADER + f"v1,{number},2026-11-02T10:00:00+01:00,void,,,s1,e1\n")
    assert await partner_files_job(settings_for(platform, port)) == 0
    assert (await admin(ENQUIRE, program=program, number=number)).ok()["enquire"]["availablePoints"] == 0
