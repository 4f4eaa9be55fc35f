"""loyalty-import: bring a legacy program in, and prove it reconciles."""

import argparse
import pathlib
import sys

from services.importer import validation_report


def _progress(message: str) -> None:
    print(f"  ... {message}", file=sys.stderr, flush=True)


def cmd_validate(args: argparse.Namespace) -> int:
    report = validation_report.validate(args.directory, max_reject_rate=args.max_reject_rate, progress=_progress)
    out = args.report or args.directory / "validation-report.json"
    validation_report.write_report(report, out)
    print("\n".join(validation_report.summary_lines(report)))
    print(f"report written to {out}")
    return 0 if report.importable else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="loyalty-import", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="write the pre-migration report; exit 1 when the dump cannot be imported")
    v.add_argument("directory", type=pathlib.Path)
    v.add_argument("--report", type=pathlib.Path, help="where to write the JSON report")
    v.add_argument("--max-reject-rate", type=float, default=0.01,
                   help="largest share of rows that may be quarantined for the dump to count as importable")
    v.set_defaults(func=cmd_validate)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
