"""One way to run a service's batch jobs: `python -m services.<svc>.jobs <job> [options]`.

A service's jobs.py makes one `Jobs` and declares each job with `@jobs.job(...)`; the runner
parses the command line (a job name it does not know is refused before anything starts), loads
the settings (a missing variable stops it naming the variable), configures JSON logs, opens the
pool on the service's schema when the job needs one, runs the job and closes what it opened.
A job returns its exit status (None: 0). `ctx.programs(...)` is the usual per-program loop: the
programs named with --program, or every program the service knows.

Every run appends one audit entry (subject `job:<service>.<job>`, its options without secrets, the
programs it was limited to, the outcome: ok, `exit <status>` or the exception's name) to the identity
service's append-only audit log, through `identity.append_job_audit` with the job's own database role.

    jobs = Jobs("points", settings=JobSettings, schema="points")

    @jobs.job("expire", help="...", args=[arg("--now", help="...")], per_program=True)
    async def expire(ctx: JobContext) -> int: ...

    if __name__ == "__main__":
        sys.exit(jobs.main())
"""

import argparse
import asyncio
import dataclasses
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
from pydantic_settings import BaseSettings

from services.common.db import create_pool, global_tx
from services.common.logs import configure_logging
from services.common.settings import load_settings


log = logging.getLogger(__name__)
SECRET = re.compile(r"(password|token|secret|key|dsn|url)", re.I)


@dataclasses.dataclass(frozen=True)
class Arg:
    flags: tuple[str, ...]
    options: dict[str, Any]


def arg(*flags: str, **options) -> Arg:
    """One command-line option of a job, as argparse's add_argument takes it."""
    return Arg(flags, options)


PROGRAM = arg("--program", action="append", default=[], help="only this program id (repeatable)")


Every = Callable[[asyncpg.Connection], Awaitable[list[uuid.UUID]]]


async def program_ids(pool: asyncpg.Pool, only: Sequence[str], every: Every) -> list[uuid.UUID]:
    """The programs to work on: those in `only` (--program), else `every(conn)` (no program set)."""
    if only:
        try:
            return [uuid.UUID(p) for p in only]
        except ValueError:
            raise SystemExit(f"--program: {list(only)!r} are not all program ids (UUIDs)") from None
    async with global_tx(pool) as conn:
        return await every(conn)


@dataclasses.dataclass
class JobContext:
    settings: Any
    args: argparse.Namespace
    pool: asyncpg.Pool | None

    async def programs(self, every: Every) -> list[uuid.UUID]:
        return await program_ids(self.pool, getattr(self.args, "program", None) or [], every)


Job = Callable[[JobContext], Awaitable[int | None]]


@dataclasses.dataclass(frozen=True)
class _Declared:
    run: Job
    help: str
    args: tuple[Arg, ...]
    settings: type[BaseSettings]


class Jobs:
    def __init__(self, service: str, *, settings: type[BaseSettings], schema: str | None = None,
                 module: str | None = None, pool_size: int = 2, description: str | None = None):
        self.service = service
        self.module = module or f"services.{service}.jobs"
        self._settings = settings
        self._schema = schema
        self._pool_size = pool_size
        self._description = description
        self._jobs: dict[str, _Declared] = {}

    def job(self, name: str, *, help: str, args: Sequence[Arg] = (), per_program: bool = False,
            settings: type[BaseSettings] | None = None) -> Callable[[Job], Job]:
        def declare(run: Job) -> Job:
            if name in self._jobs:
                raise ValueError(f"job {name!r} is declared twice in {self.module}")
            self._jobs[name] = _Declared(run, help, (*args, PROGRAM) if per_program else tuple(args),
                                         settings or self._settings)
            return run
        return declare

    def include(self, other: "Jobs") -> None:
        """Offer another module's jobs under this module's command line too (same schema)."""
        for name, declared in other._jobs.items():
            if name in self._jobs:
                raise ValueError(f"job {name!r} is declared twice in {self.module}")
            self._jobs[name] = declared

    def names(self) -> list[str]:
        return sorted(self._jobs)

    def parser(self) -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(prog=f"python -m {self.module}", description=self._description,
                                         formatter_class=argparse.RawDescriptionHelpFormatter)
        sub = parser.add_subparsers(dest="job", required=True, metavar="JOB")
        for name, declared in self._jobs.items():
            job_parser = sub.add_parser(name, help=declared.help, description=declared.help)
            for a in declared.args:
                job_parser.add_argument(*a.flags, **a.options)
        return parser

    def main(self, argv: Sequence[str] | None = None) -> int:
        args = self.parser().parse_args(argv)
        declared = self._jobs[args.job]
        settings = load_settings(declared.settings)
        configure_logging(service=f"{self.service}-jobs", level=getattr(settings, "log_level", "INFO"))
        return asyncio.run(self._run(declared, settings, args))

    async def _run(self, declared: _Declared, settings, args: argparse.Namespace) -> int:
        pool = None
        if self._schema is not None:
            pool = await create_pool(settings.database_url, schema=self._schema,
                                     application=f"{self.service}-{args.job}", min_size=1, max_size=self._pool_size)
        outcome = "ok"
        try:
            status = await declared.run(JobContext(settings=settings, args=args, pool=pool)) or 0
            outcome = "ok" if status == 0 else f"exit {status}"
            return status
        except BaseException as exc:
            outcome = type(exc).__name__
            raise
        finally:
            if pool is not None:
                await audit(pool, job=f"{self.service}.{args.job}", args=args, outcome=outcome)
                await pool.close()
            else:
                log.warning("job %s.%s has no database: its audit entry is not written (outcome %s)",
                            self.service, args.job, outcome)


async def audit(pool: asyncpg.Pool, *, job: str, args: argparse.Namespace, outcome: str) -> None:
    """The run's audit entry; a failure to write it is logged with the entry, never raised over the job's own."""
    options = {k: ("[redacted]" if SECRET.search(k) else v) for k, v in vars(args).items() if k != "job"}
    summary = json.loads(json.dumps({"options": options}, default=str))
    targets = [f"programId={p}" for p in getattr(args, "program", None) or []]
    try:
        async with pool.acquire() as conn:
            await conn.execute("SELECT identity.append_job_audit($1, '', $2, $3, $4, $5)", job, targets, summary,
                               uuid.uuid4().hex, outcome)
    except Exception as exc:
        log.error("audit entry of job %s not written (%s): outcome %s, %s", job, type(exc).__name__, outcome,
                  json.dumps(summary)[:2000])
