"""`make run`'s process supervisor: the Procfile's processes, each restarted when it dies.

honcho stops everything when one process exits and has no restarts. Here a process that exits is
started again after a backoff (1 s doubling to 30 s; back to 1 s once it has run for 30 s) while the
others keep serving. Ctrl-C (SIGINT) or SIGTERM stops the services and the gateway first, then the
processes named with --last (PostgreSQL), which are given --last-timeout seconds to finish their
own shutdown (PostgreSQL's fast shutdown writes a checkpoint) before anything is killed.

Each process runs in its own session, so a Ctrl-C in the terminal reaches only this supervisor,
which then stops them in order. Output lines are prefixed with the time and the process name.

    python scripts/supervise.py -f Procfile --last postgres
"""

import argparse
import asyncio
import os
import signal
import sys
import time

BACKOFF_START, BACKOFF_MAX, STABLE_AFTER = 1.0, 30.0, 30.0
COLOURS = ("36", "33", "32", "35", "34", "31", "96", "93", "92")


def read_procfile(path: str) -> list[tuple[str, str]]:
    entries = []
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, command = line.partition(":")
        entries.append((name.strip(), command.strip()))
    return entries


class Supervised:
    def __init__(self, name: str, command: str, *, colour: str, width: int):
        self.name, self.command = name, command
        self.prefix = f"\x1b[{colour}m{name.ljust(width)} |\x1b[0m " if sys.stdout.isatty() else f"{name.ljust(width)} | "
        self.process: asyncio.subprocess.Process | None = None
        self.restarts = 0

    def say(self, text: str) -> None:
        sys.stdout.write(f"{time.strftime('%H:%M:%S')} {self.prefix}{text}\n")
        sys.stdout.flush()

    async def run(self, stopping: asyncio.Event) -> None:
        backoff = BACKOFF_START
        while not stopping.is_set():
            started = time.monotonic()
            self.process = await asyncio.create_subprocess_exec(
                "bash", "-c", self.command, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT, start_new_session=True)
            self.say(f"started with pid {self.process.pid}")
            pipe = asyncio.create_task(self._pipe(self.process.stdout))
            code = await self.process.wait()
            try:  # whatever it started in its session goes with it, so the restart finds its port free
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:  # a child it left behind may hold the pipe open: do not wait on it for long
                await asyncio.wait_for(asyncio.shield(pipe), timeout=1.0)
            except TimeoutError:
                pipe.cancel()
            if stopping.is_set():
                self.say(f"stopped ({code})")
                return
            backoff = BACKOFF_START if time.monotonic() - started >= STABLE_AFTER else backoff
            self.say(f"exited with {code}; restarting in {backoff:.0f}s")
            self.restarts += 1
            try:
                await asyncio.wait_for(stopping.wait(), timeout=backoff)
            except TimeoutError:
                pass
            backoff = min(backoff * 2, BACKOFF_MAX)

    async def _pipe(self, stream: asyncio.StreamReader) -> None:
        while True:
            try:
                line = await stream.readline()
            except ValueError:  # a line over the buffer: take what is there
                line = await stream.read(65536)
            if not line:
                return
            self.say(line.decode("utf-8", "replace").rstrip("\n"))

    async def stop(self, *, timeout: float) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            await asyncio.wait_for(process.wait(), timeout=timeout)
        except TimeoutError:
            self.say(f"still running {timeout:.0f}s after SIGTERM: killing it")
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            await process.wait()


async def supervise(entries: list[tuple[str, str]], *, last: set[str], timeout: float, last_timeout: float) -> int:
    width = max(len(name) for name, _ in entries)
    processes = [Supervised(name, command, colour=COLOURS[i % len(COLOURS)], width=width)
                 for i, (name, command) in enumerate(entries)]
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    runners = [asyncio.create_task(p.run(stopping)) for p in processes]
    await stopping.wait()
    sys.stdout.write("stopping: services first, then " + (", ".join(sorted(last)) or "nothing else") + "\n")
    await asyncio.gather(*(p.stop(timeout=timeout) for p in processes if p.name not in last))
    await asyncio.gather(*(p.stop(timeout=last_timeout) for p in processes if p.name in last))
    await asyncio.gather(*runners, return_exceptions=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-f", "--procfile", default="Procfile")
    parser.add_argument("--last", action="append", default=[], help="stopped after the others (e.g. postgres)")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds a process gets after SIGTERM")
    parser.add_argument("--last-timeout", type=float, default=120.0, help="the same for the --last processes")
    args = parser.parse_args(argv)
    return asyncio.run(supervise(read_procfile(args.procfile), last=set(args.last), timeout=args.timeout,
                                 last_timeout=args.last_timeout))


if __name__ == "__main__":
    sys.exit(main())
