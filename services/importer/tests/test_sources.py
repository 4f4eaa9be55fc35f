"""Dumps fetched from a real S3-compatible server (moto's server mode) and a real SFTP server
(asyncssh), streamed in chunks and resumed after a broken transfer."""

import pathlib

import pytest

from services.importer import cli, sources, validation_report
from services.importer.tests.legacy_dump import write_dump
from services.importer.tests.servers import s3, s3_server, sftp_root  # noqa: F401 - fixtures

NAMES = ("members.csv", "balances.csv", "transactions.csv")


class Cut(Exception):
    """Raised from the progress hook: the connection drops mid-file."""


def _upload(client, bucket: str, prefix: str, folder: pathlib.Path) -> None:
    client.create_bucket(Bucket=bucket)
    for name in NAMES:
        client.upload_file(str(folder / name), bucket, f"{prefix}/{name}")


async def test_a_dump_in_s3_is_streamed_and_a_broken_transfer_resumes_where_it_stopped(s3, s3_server, tmp_path,
                                                                                        monkeypatch):
    # given a dump in a bucket (as seed 001's SessionM extracts arrive)
    write_dump(tmp_path / "dump", members=300, transactions_per_member=10, plant_errors=False)
    _upload(s3, "legacy-dumps", "sessionm/2026-11-01", tmp_path / "dump")
    settings = sources.SourceSettings(s3_endpoint_url=s3_server)
    location, spool = "s3://legacy-dumps/sessionm/2026-11-01", tmp_path / "spool"
    monkeypatch.setattr(sources, "CHUNK", 16 * 1024)

    # when the connection drops in the middle of transactions.csv
    def cut(name: str, done: int) -> None:
        if name == "transactions.csv" and done >= 48 * 1024:
            raise Cut()

    with pytest.raises(Cut):
        await sources.fetch(location, spool=spool, settings=settings, progress=cut)
    assert sorted(p.name for p in spool.iterdir() if not p.name.startswith(".")) == [
        "balances.csv", "members.csv", "transactions.csv.part"]
    assert (spool / "transactions.csv.part").stat().st_size == 48 * 1024

    # then the next fetch skips the complete files and continues the broken one from its last byte
    got = await sources.fetch(location, spool=spool, settings=settings)
    assert (sorted(got.skipped), got.resumed, got.fetched) == (["balances.csv", "members.csv"], ["transactions.csv"], [])
    for name in NAMES:
        assert (spool / name).read_bytes() == (tmp_path / "dump" / name).read_bytes()
    assert validation_report.validate(spool).importable

    # and a file replaced at the source is fetched again, the unchanged ones are not
    (tmp_path / "dump" / "balances.csv").write_text((tmp_path / "dump" / "balances.csv").read_text() + "\n")
    s3.upload_file(str(tmp_path / "dump" / "balances.csv"), "legacy-dumps", "sessionm/2026-11-01/balances.csv")
    got = await sources.fetch(location, spool=spool, settings=settings)
    assert (got.fetched, sorted(got.skipped)) == (["balances.csv"], ["members.csv", "transactions.csv"])
    assert (spool / "balances.csv").read_bytes() == (tmp_path / "dump" / "balances.csv").read_bytes()


def test_validate_reads_straight_from_s3_and_bad_addresses_get_a_clear_message(s3, s3_server, tmp_path, monkeypatch,
                                                                                capsys):
    write_dump(tmp_path / "dump", members=20, plant_errors=False)
    _upload(s3, "crm-dumps", "bank", tmp_path / "dump")
    monkeypatch.setenv("S3_ENDPOINT_URL", s3_server)
    assert cli.main(["validate", "s3://crm-dumps/bank", "--spool", str(tmp_path / "spool")]) == 0
    assert "importable: yes" in capsys.readouterr().out

    assert cli.main(["validate", "s3://no-such-bucket/x", "--spool", str(tmp_path / "s2")]) == 1
    assert "s3://no-such-bucket/x: S3 refused the request (NoSuchBucket" in capsys.readouterr().err
    assert cli.main(["validate", "s3://crm-dumps/nothing-here", "--spool", str(tmp_path / "s3")]) == 1
    assert "s3://crm-dumps/nothing-here: no files under this prefix" in capsys.readouterr().err


async def test_a_dump_on_sftp_is_streamed_and_resumes_after_a_cut(sftp_root, tmp_path, monkeypatch):
    root, port = sftp_root
    write_dump(root / "exports" / "2026-11", members=200, transactions_per_member=10, plant_errors=False)
    location = f"sftp://crm@127.0.0.1:{port}/exports/2026-11"
    settings = sources.SourceSettings(sftp_password="s3cret")
    monkeypatch.setattr(sources, "CHUNK", 8 * 1024)

    def cut(name: str, done: int) -> None:
        if name == "transactions.csv" and done >= 24 * 1024:
            raise Cut()

    with pytest.raises(Cut):
        await sources.fetch(location, spool=tmp_path / "spool", settings=settings, progress=cut)
    got = await sources.fetch(location, spool=tmp_path / "spool", settings=settings)
    assert (sorted(got.skipped), got.resumed) == (["balances.csv", "members.csv"], ["transactions.csv"])
    for name in NAMES:
        assert (tmp_path / "spool" / name).read_bytes() == (root / "exports" / "2026-11" / name).read_bytes()

    with pytest.raises(sources.SourceError, match="Permission denied|auth"):
        await sources.fetch(location, spool=tmp_path / "s2", settings=sources.SourceSettings(sftp_password="wrong"))
