"""Malformed dumps as clients really send them: each case breaks a clean dump in one way and
says what the refusal must name (the file, the line where there is one, the problem)."""

import csv
import pathlib
import shutil

from services.importer.tests.legacy_dump import write_dump


def _rewrite(path: pathlib.Path, edit) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    edit(rows)
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def missing_folder(d: pathlib.Path) -> list[str]:
    shutil.rmtree(d)
    return [str(d), "the folder does not exist"]


def missing_file(d: pathlib.Path) -> list[str]:
    (d / "balances.csv").unlink()
    return ["balances.csv: the file is missing"]


def empty_file(d: pathlib.Path) -> list[str]:
    (d / "transactions.csv").write_bytes(b"")
    return ["transactions.csv: the file is empty"]


def garbage(d: pathlib.Path) -> list[str]:
    (d / "members.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8" + bytes(range(256)) * 4)
    return ["members.csv line 1: the header is not valid utf-8"]


def semicolons(d: pathlib.Path) -> list[str]:
    text = (d / "members.csv").read_text().replace(",", ";")
    (d / "members.csv").write_text(text)
    return ["members.csv line 1: the file is ';'-delimited"]


def extra_column(d: pathlib.Path) -> list[str]:
    _rewrite(d / "members.csv", lambda rows: [r.append("loyalty_card" if i == 0 else "C1") for i, r in enumerate(rows)])
    return ["members.csv line 1: header has extra column(s) loyalty_card"]


def latin1_members(d: pathlib.Path) -> list[str]:
    text = (d / "members.csv").read_text().replace("Smith", "Núñez")
    (d / "members.csv").write_bytes(text.encode("latin-1"))
    return ["members.csv: none of its", "rows can be imported", "members.csv line 2: not valid UTF-8 (byte 0xfa"]


def unterminated_quote(d: pathlib.Path) -> list[str]:
    lines = (d / "members.csv").read_text().splitlines(keepends=True)
    lines[5] = lines[5].replace(",Guest4,", ',"Guest4,')
    (d / "members.csv").write_text("".join(lines))
    return ["members.csv line 6: a quote opened on this line is not closed"]


def huge_field(d: pathlib.Path) -> list[str]:
    _rewrite(d / "members.csv", lambda rows: rows[3].__setitem__(2, "x" * (200 * 1024)))
    return ["members.csv line 4: the line is over"]


def stray_cr(d: pathlib.Path) -> list[str]:
    lines = (d / "members.csv").read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"Guest1", b"Gue\rst1")
    (d / "members.csv").write_bytes(b"\n".join(lines))
    return ["members.csv line 3: contains a stray carriage return"]


def cr_only_line_ends(d: pathlib.Path) -> list[str]:
    (d / "transactions.csv").write_bytes((d / "transactions.csv").read_bytes().replace(b"\r\n", b"\r"))
    return ["transactions.csv line 1: lines end with a bare CR"]


CASES = {f.__name__: f for f in (missing_folder, missing_file, empty_file, garbage, semicolons, extra_column,
                                 latin1_members, unterminated_quote, huge_field, stray_cr, cr_only_line_ends)}


def broken_dump(directory: pathlib.Path, case: str, **dump_args) -> list[str]:
    """Write a clean dump of 20 members into `directory`, break it as `case` says, and return the
    fragments the refusal must contain."""
    write_dump(directory, members=20, plant_errors=False, **dump_args)
    return CASES[case](directory)
