"""An embedded PostgreSQL for `make run` and the tests: Debian's server binaries, on 127.0.0.1.

Usage: python -m services.common.dev.localpg serve --data DIR --port PORT
Runs in the foreground (for the Procfile), creates the cluster on first use, sets up the
database and the service roles, and stops with a fast shutdown on SIGINT/SIGTERM.
"""

import argparse
import contextlib
import hashlib
import os
import pathlib
import pwd
import shutil
import signal
import subprocess
import sys
import time

import asyncpg

DB_NAME = "loyalty"


def bin_dir() -> pathlib.Path:
    candidates = sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin/postgres"), reverse=True)
    if not candidates:
        raise SystemExit("PostgreSQL server binaries not found: run scripts/bootstrap.sh (apt-get install postgresql)")
    return candidates[0].parent


def _demote():
    """As root, run the server as the postgres user (it refuses to run as root)."""
    if os.geteuid() != 0:
        return None
    pw = pwd.getpwnam("postgres")

    def preexec():
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)

    return preexec


def _own(path: pathlib.Path) -> None:
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        shutil.chown(path, pw.pw_uid, pw.pw_gid)


def _postgres_can_reach(directory: pathlib.Path) -> bool:
    return subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(directory)]).returncode == 0


def _reachable_home(data: pathlib.Path) -> pathlib.Path:
    """As root in a folder the postgres user cannot enter (under /root, say), keep the cluster in
    /var/lib/loyalty-pg and leave a link in the local folder, so the data still lives 'here'."""
    if os.geteuid() != 0 or data.is_symlink() or _postgres_can_reach(data.parent):
        return data
    home = pathlib.Path("/var/lib/loyalty-pg") / hashlib.sha256(str(data.resolve()).encode()).hexdigest()[:16]
    home.mkdir(parents=True, exist_ok=True)
    home.parent.chmod(0o755)
    data.parent.mkdir(parents=True, exist_ok=True)
    if not data.exists():
        data.symlink_to(home, target_is_directory=True)
    return home


def init_cluster(data: pathlib.Path) -> None:
    data = _reachable_home(data)
    if (data / "PG_VERSION").exists():
        return
    data.mkdir(parents=True, exist_ok=True)
    data.chmod(0o700)
    _own(data)
    subprocess.run(
        [str(bin_dir() / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
         "--locale=C.UTF-8", "-N"],
        check=True, preexec_fn=_demote(), stdout=subprocess.DEVNULL,
    )


def start_server(data: pathlib.Path, port: int, *, fsync: bool | None = None) -> subprocess.Popen:
    """fsync None: off when LOYALTY_PG_FAST is set; with True the flag is left to the configuration
    (ALTER SYSTEM can then switch it, as bench/ledger.py does for its durable pair)."""
    data = data.resolve()
    if fsync is None:
        fsync = not os.environ.get("LOYALTY_PG_FAST")
    log = open(data / "server.log", "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [str(bin_dir() / "postgres"), "-D", str(data), "-c", "listen_addresses=127.0.0.1", "-p", str(port),
         "-k", str(data), *(() if fsync else ("-c", "fsync=off")),
         "-c", "max_connections=300", "-c", "shared_buffers=256MB"],
        preexec_fn=_demote(), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # signals reach it only through us: we ask for a fast shutdown
    )
    proc.server_log = data / "server.log"
    return proc


def _log_tail(proc: subprocess.Popen, lines: int = 30) -> str:
    path = getattr(proc, "server_log", None)
    if path is None or not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def admin_dsn(port: int, database: str = "postgres") -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/{database}"


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    import asyncio

    async def ping():
        conn = await asyncpg.connect(admin_dsn(port))
        await conn.close()

    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"PostgreSQL exited with status {proc.returncode}; its server.log ends:\n"
                             f"{_log_tail(proc)}")
        try:
            asyncio.run(ping())
            return
        except (OSError, asyncpg.CannotConnectNowError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # fast shutdown
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=20)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def serve(data: pathlib.Path, port: int) -> int:
    from services.common.dev.dbsetup import setup_database

    import asyncio

    stopping = False
    proc: subprocess.Popen | None = None

    def on_signal(signum, frame):
        nonlocal stopping
        if proc is None:  # still setting up: nothing of ours to stop yet
            raise SystemExit(0)
        stopping = True
        # Ask for a fast shutdown and let the wait below see it finish: waiting here, inside the
        # handler, would deadlock on the Popen lock that the interrupted wait holds.
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    init_cluster(data)
    proc = start_server(data, port)
    wait_ready(port, proc)
    asyncio.run(setup_database(admin_dsn(port), database=DB_NAME))
    print(f"PostgreSQL ready on 127.0.0.1:{port}, data in {data}", flush=True)
    code = proc.wait()
    return 0 if stopping else code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.common.dev.localpg")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--data", type=pathlib.Path, required=True)
    s.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    return serve(args.data.resolve(), args.port)


if __name__ == "__main__":
    sys.exit(main())
