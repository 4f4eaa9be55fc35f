"""loyalty-import: bring a legacy program in, and prove it reconciles.

Each command imports the modules it uses: the short ones (reconcile, status) start without the load's.
"""

import argparse
import asyncio
import csv
import datetime as dt
import gc
import json
import pathlib
import sys
from typing import TYPE_CHECKING

from services.common.errors import DomainError
from services.importer import sources
from services.importer.settings import ImportSettings

if TYPE_CHECKING:
    from services.importer import dump


def _say(message: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def _local(location: str, spool: pathlib.Path | None) -> tuple[pathlib.Path, str]:
    """The local folder of a dump and the label its import is recorded under."""
    if sources.is_remote(location):
        return spool or sources.spool_for(location), location
    directory = pathlib.Path(location).resolve()
    return directory, str(directory)


def _open_dump(args: argparse.Namespace) -> tuple["dump.FolderDump", str]:
    """Fetch a remote dump (resuming an earlier transfer) and read it through its mapping, if any."""
    from services.importer import dump
    settings = ImportSettings.from_environment()
    directory, label = _local(args.directory, args.spool)
    if sources.is_remote(args.directory):
        _say(f"fetching {args.directory} into {directory}")
        got = asyncio.run(sources.fetch(args.directory, spool=directory, settings=sources.SourceSettings(
            s3_endpoint_url=settings.s3_endpoint_url, sftp_password=settings.sftp_password,
            sftp_client_key=settings.sftp_client_key, sftp_known_hosts=settings.sftp_known_hosts)))
        _say(f"fetched {len(got.fetched)} files, resumed {len(got.resumed)}, {len(got.skipped)} already complete")
    if args.mapping:
        from services.importer import mapping
        return mapping.MappedDump(directory, mapping.load_mapping(args.mapping)), label
    return dump.FolderDump(directory), label


def cmd_fetch(args: argparse.Namespace) -> int:
    source, _ = _open_dump(args)
    print(source.directory)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from services.importer import validation_report
    source, _ = _open_dump(args)
    report = validation_report.validate(source, max_reject_rate=args.max_reject_rate, progress=_say)
    print("\n".join(validation_report.summary_lines(report)))
    out = args.report or source.directory / "validation-report.json"
    if out.parent.is_dir():
        validation_report.write_report(report, out)
        print(f"report written to {out}")
    return 0 if report.importable else 1


def _void_before(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def cmd_run(args: argparse.Namespace) -> int:
    from services.importer import runner
    source, label = _open_dump(args)
    import_id = asyncio.run(runner.run_import(
        ImportSettings.from_environment(), source=source, label=label, program_code=args.program,
        void_before=_void_before(args.void_before), say=_say, batch_members=args.batch_members,
        max_reject_rate=args.max_reject_rate))
    print(f"import {import_id} done")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from services.importer import runner
    for item in asyncio.run(runner.status(ImportSettings.from_environment(), program_code=args.program)):
        print(json.dumps(item, default=str))
    return 0


def cmd_mapping(args: argparse.Namespace) -> int:
    from services.importer import runner
    rows = asyncio.run(runner.mapping(ImportSettings.from_environment(), program_code=args.program))
    out = open(args.out, "w", newline="") if args.out else sys.stdout
    writer = csv.writer(out)
    writer.writerow(["legacy_id", "loyalty_number", "email"])
    writer.writerows(rows)
    if args.out:
        out.close()
        print(f"{len(rows)} members written to {args.out}", file=sys.stderr)
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    from services.importer import reconcile
    directory, label = _local(args.directory, args.spool)
    report = asyncio.run(reconcile.reconcile(ImportSettings.from_environment(), program_code=args.program,
                                             label=label, directory=directory))
    totals = report["control_totals"]
    print(f"members imported: {report['members_imported']:,}")
    print(f"balances matching: {report['balances_matching']:,} ({report['matching_share']:.2%})")
    print(f"legacy control totals:   {totals['legacy']}")
    print(f"platform control totals: {totals['platform']}")
    print(f"remediation: {report['remediation']}")
    print(f"rows quarantined: {report['rows_quarantined']}")
    print(f"report written to {directory / 'reconciliation-report.json'}")
    return 0 if report["matching_share"] == 1.0 else 1


def cmd_compare(args: argparse.Namespace) -> int:
    from services.importer import runner
    source, _ = _open_dump(args)
    report = asyncio.run(runner.compare(ImportSettings.from_environment(), program_code=args.program,
                                        source=source, since=_void_before(args.since)))
    out = args.report or source.directory / "compare-report.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    summary = report["summary"]
    print(f"members compared: {summary['members']:,} (found by legacy id {summary['identified']['map']:,},"
          f" by email {summary['identified']['email']:,}, by phone {summary['identified']['phone']:,},"
          f" not found {summary['identified']['not_found']:,})")
    print(f"members matching: {summary['members_clean']:,}; with differences: {summary['members_with_differences']:,}")
    print(f"transactions missing here: {summary['missing']:,}; extra here: {summary['extra']:,};"
          f" different: {summary['different']:,}")
    print(f"balance drift: {summary['members_drifting']:,} members, {summary['balance_drift_total']:+,} points in total")
    for member in report["members"][:args.show]:
        print(f"  {member['legacy_id']} ({member['loyalty_number'] or 'not found here'}): drift {member['drift']:+,},"
              f" {len(member['missing'])} missing, {len(member['extra'])} extra, {len(member['different'])} different")
    print(f"report written to {out}")
    return 0 if summary["members_with_differences"] == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="loyalty-import", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fetch", help="copy a remote dump into the local spool (resumes a broken transfer)")
    v = sub.add_parser("validate", help="write the pre-migration report; exit 1 when the dump cannot be imported")
    r = sub.add_parser("run", help="import the dump into a program (resumes a killed run)")
    c = sub.add_parser("reconcile", help="write the post-migration report; exit 1 unless every balance matches")
    d = sub.add_parser("compare", help="dual running: legacy transactions against ledger postings, per member;"
                                       " exit 1 when anything differs")
    for p in (f, v, r, c, d):
        p.add_argument("directory", metavar="DUMP", help="a folder, s3://BUCKET/PREFIX or sftp://USER@HOST:PORT/PATH")
        p.add_argument("--spool", type=pathlib.Path, help="local folder for a remote dump (default: one per address"
                                                          " under ~/.cache/loyalty/import)")
    for p in (f, v, r, d):
        p.add_argument("--mapping", type=pathlib.Path, help="a YAML source mapping for another system's layout")
    f.set_defaults(func=cmd_fetch)
    v.add_argument("--report", type=pathlib.Path, help="where to write the JSON report")
    v.add_argument("--max-reject-rate", type=float, default=0.01,
                   help="largest share of rows that may be quarantined for the dump to count as importable")
    v.set_defaults(func=cmd_validate)
    r.add_argument("--program", required=True)
    r.add_argument("--void-before", help="void what these members posted here before this date (ISO 8601)")
    r.add_argument("--batch-members", type=int, default=0,
                   help="members per ledger transaction (default: the points service's)")
    r.add_argument("--max-reject-rate", type=float, default=0.01,
                   help="largest share of rows that may be quarantined; above it the run imports nothing")
    r.set_defaults(func=cmd_run)
    c.add_argument("--program", required=True)
    c.set_defaults(func=cmd_reconcile)
    d.add_argument("--program", required=True)
    d.add_argument("--since", help="count postings here as extra from this instant (default: the dump's first"
                                   " transaction)")
    d.add_argument("--report", type=pathlib.Path, help="where to write the JSON report")
    d.add_argument("--show", type=int, default=20, help="members with differences to list")
    d.set_defaults(func=cmd_compare)
    s = sub.add_parser("status", help="progress of running and finished imports")
    s.add_argument("--program", required=True)
    s.set_defaults(func=cmd_status)
    m = sub.add_parser("mapping", help="write legacy_id,loyalty_number,email for the old system")
    m.add_argument("--program", required=True)
    m.add_argument("--out", type=pathlib.Path)
    m.set_defaults(func=cmd_mapping)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except DomainError as err:
        print(f"loyalty-import: {err.code.value}: {err.message}", file=sys.stderr)
        return 2
    except Exception as err:
        message = _refusal(err)
        if message is None:
            raise
        print(f"loyalty-import: {message}", file=sys.stderr)
        return 1


def _refusal(err: Exception) -> str | None:
    """What to say of one of the tool's own refusals (None for anything else)."""
    from services.importer import dump, loading, mapping, runner
    if isinstance(err, (dump.StructureError, loading.Refused)):
        return f"refused, nothing imported: {err}"
    if isinstance(err, (runner.Held, sources.SourceError, mapping.MappingError)):
        return str(err)
    return None


def run() -> None:
    """The command line's entry: main, then exit without a collection pass over every object the
    modules made (gc.freeze: a tenth of a second of a short command such as reconcile)."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
