"""Real servers a remote dump comes from: an S3-compatible server (moto's server mode, its own
process) and an SFTP server (asyncssh), both on loopback."""

import pathlib
import socket
import subprocess
import sys
import time

import asyncssh
import boto3
import pytest

from tests.fixtures.postgres import free_port


@pytest.fixture(scope="session")
def s3_server():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def s3(s3_server, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return boto3.client("s3", endpoint_url=s3_server)


class _Server(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return (username, password) == ("crm", "s3cret")


@pytest.fixture
async def sftp_root(tmp_path: pathlib.Path):
    root = tmp_path / "sftp"
    root.mkdir()
    port = free_port()
    server = await asyncssh.listen(
        "127.0.0.1", port, server_host_keys=[asyncssh.generate_private_key("ssh-ed25519")],
        server_factory=_Server, sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root)))
    yield root, port
    server.close()
    await server.wait_closed()


