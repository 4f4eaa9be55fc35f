"""Apply every service's migrations, each as the service's own role (it owns its schema's tables).

    python -m services.common.dev.migrate_all [--setup] [--services member,points]

`--setup` first runs services.common.dev.dbsetup (database, roles, schemas; needs DATABASE_ADMIN_URL).
Each service's connection: DATABASE_URL_<SVC> when set, else DATABASE_ADMIN_URL with the user
swapped for loyalty_<svc> and the database for DATABASE_NAME; its password LOYALTY_DB_PASSWORD_<SVC>
(the same variable dbsetup sets the role's password from). The Helm chart runs this as a
pre-install/pre-upgrade hook Job; services then start with MIGRATE_ON_START=false.
"""

import argparse
import asyncio
import logging
import os
import pathlib
import sys
import urllib.parse

from services.common.dev import dbsetup
from services.common.db import create_pool
from services.common.logs import configure_logging
from services.common.migrations import migrate

SERVICES_DIR = pathlib.Path(__file__).resolve().parents[2]
log = logging.getLogger(__name__)


def service_dsn(service: str, env: dict[str, str]) -> str:
    """The service's DSN, with its password (URL-quoted; asyncpg unquotes it) when one is given."""
    key = service.upper()
    dsn = env.get(f"DATABASE_URL_{key}")
    if not dsn:
        admin = env.get("DATABASE_ADMIN_URL")
        if not admin:
            raise SystemExit(f"DATABASE_URL_{key} or DATABASE_ADMIN_URL is required")
        parts = urllib.parse.urlsplit(admin)
        host = parts.hostname or ""
        netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
        dsn = urllib.parse.urlunsplit((parts.scheme, f"{dbsetup.role_name(service)}@{netloc}",
                                       "/" + env.get("DATABASE_NAME", "loyalty"), parts.query, ""))
    password = env.get(f"LOYALTY_DB_PASSWORD_{key}")
    if password:
        parts = urllib.parse.urlsplit(dsn)
        user = parts.netloc.rpartition("@")[0].split(":", 1)[0]
        host = parts.netloc.rpartition("@")[2]
        dsn = urllib.parse.urlunsplit(
            (parts.scheme, f"{user}:{urllib.parse.quote(password, safe='')}@{host}", parts.path, parts.query, ""))
    return dsn


async def migrate_services(services: list[str], env: dict[str, str]) -> dict[str, list[str]]:
    applied = {}
    for service in services:
        pool = await create_pool(service_dsn(service, env), schema=service, application=f"migrate-{service}",
                                 min_size=1, max_size=1)
        try:
            applied[service] = await migrate(pool, schema=service, directory=SERVICES_DIR / service / "migrations")
        finally:
            await pool.close()
        log.info("%s: %d migration(s) applied", service, len(applied[service]))
    return applied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.common.dev.migrate_all")
    parser.add_argument("--setup", action="store_true", help="run services.common.dev.dbsetup first")
    parser.add_argument("--services", default=",".join(dbsetup.SERVICES),
                        help="comma-separated services (default: all five)")
    args = parser.parse_args(argv)
    configure_logging(service="migrations", level=os.environ.get("LOG_LEVEL", "INFO"))
    services = [s for s in args.services.split(",") if s]
    unknown = set(services) - set(dbsetup.SERVICES)
    if unknown:
        print(f"unknown services: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if args.setup:
        status = dbsetup.main([])
        if status:
            return status
    for service, versions in asyncio.run(migrate_services(services, dict(os.environ))).items():
        print(f"{service}: {', '.join(versions) if versions else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
