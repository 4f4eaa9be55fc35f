"""Malformed dumps: every one ends in a message naming file, line and problem, never a traceback,
and the CSV reader never loses, merges or invents a row whatever bytes it is fed."""

import csv
import datetime as dt
import io
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.importer import cli, dump, validation_report
from services.importer.tests.legacy_dump import write_dump
from services.importer.tests.malformed import CASES, broken_dump

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_refuses_each_malformed_dump_naming_file_line_and_problem(tmp_path, case, capsys):
    # given a dump broken in one of the ways clients break them
    expected = broken_dump(tmp_path / "dump", case, now=NOW)

    # when it is validated, as a report and through the command line
    report = validation_report.validate(tmp_path / "dump", now=NOW)
    code = cli.main(["validate", str(tmp_path / "dump"), "--report", str(tmp_path / "report.json")])

    # then it is not importable and the reason names the file, the line and the problem
    refusal = report.refusal()
    assert refusal is not None
    for fragment in expected:
        assert fragment in refusal
    out = capsys.readouterr()
    assert code == 1
    assert expected[0] in out.out and "Traceback" not in out.out + out.err


def test_an_unterminated_quote_costs_its_own_row_only(tmp_path):
    broken_dump(tmp_path, "unterminated_quote", now=NOW)
    report = validation_report.validate(tmp_path, now=NOW, max_reject_rate=1.0)
    members = [r for r in report.rejections if r.file == "members.csv"]
    assert [(r.line, r.key) for r in members] == [(6, "")]
    assert report.row_counts["members.csv"] == 20  # the 14 rows after it are read, not swallowed


def test_a_row_with_an_extra_field_is_rejected_with_its_line(tmp_path):
    write_dump(tmp_path, members=5, plant_errors=False, now=NOW)
    with (tmp_path / "members.csv").open("a", newline="") as fh:
        csv.writer(fh).writerow(["L9", "x@example.com", "X", "Y", "", "", "2020-01-01", "active", "extra"])
    report = validation_report.validate(tmp_path, now=NOW, max_reject_rate=1.0)
    assert [(r.line, r.reason) for r in report.rejections] == [(7, "expected 8 fields, found 9")]


# --- fuzzing the reader -----------------------------------------------------------------------

MUTATIONS = st.lists(st.tuples(
    st.sampled_from([b'"', b"\r", b"\n", b"\r\n", b"\x00", b";", b",", b"\xe9", b"\xff\xfe", b"\xef\xbb\xbf",
                     b'""', b'"x"y', b"x" * 70_000, b"\x1c", b"\xc3", b" ", b"delete", b"truncate"]),
    st.floats(min_value=0.0, max_value=1.0)), min_size=1, max_size=8)


def _mutate(data: bytes, mutations) -> bytes:
    for what, where in mutations:
        at = int(where * len(data))
        if what == b"delete":
            data = data[:at] + data[at + 1 + at % 40:]
        elif what == b"truncate":
            data = data[:at]
        else:
            data = data[:at] + what + data[at:]
    return data


def _reference_lines(data: bytes) -> dict[int, bytes]:
    """The data lines as the format defines them: split on LF only, header excluded, blank skipped."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    kept = {}
    for number, raw in enumerate(lines[1:], start=2):
        raw = raw.removesuffix(b"\r")
        try:
            if not raw.decode("utf-8").strip():
                continue
        except UnicodeDecodeError:
            pass
        kept[number] = raw
    return kept


@pytest.fixture(scope="module")
def clean_members(tmp_path_factory) -> bytes:
    d = tmp_path_factory.mktemp("clean")
    write_dump(d, members=12, plant_errors=False, now=NOW)
    return (d / "members.csv").read_bytes()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=MUTATIONS)
def test_the_reader_accounts_for_every_line_of_any_malformed_file(clean_members, mutations):
    # given a members file broken by random insertions, deletions and truncation
    data = _mutate(clean_members, mutations)

    # when the reader reads it
    try:
        header, rows = dump.read_table(io.BytesIO(data), name="members.csv", columns=dump.FILES["members.csv"])
        rows = list(rows)
    except dump.StructureError as err:
        # then either it refuses the whole file, at its first line, naming the file
        assert err.file == "members.csv" and err.line in (None, 1)
        assert str(err).startswith("members.csv")
        return

    # or every data line is exactly one row, in order, and no row spans or merges lines
    expected = _reference_lines(data)
    assert [r.line for r in rows] == sorted(expected)
    for row in rows:
        if row.unreadable:
            assert row.unreadable
            continue
        text = expected[row.line].decode("utf-8")
        assert "\r" not in text and "\x00" not in text
        assert list(row.values.values()) == [f.strip() for f in next(csv.reader([text], strict=True))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=MUTATIONS, target=st.sampled_from(sorted(dump.FILES)), seed=st.integers(0, 1000))
def test_validate_never_crashes_and_names_a_file_for_any_malformed_dump(tmp_path_factory, mutations, target, seed):
    d = tmp_path_factory.mktemp("fuzz")
    write_dump(d, members=8, plant_errors=bool(seed % 2), seed=seed, now=NOW)
    (d / target).write_bytes(_mutate((d / target).read_bytes(), mutations))
    report = validation_report.validate(d, now=NOW, max_reject_rate=random.Random(seed).choice([0.0, 0.5, 1.0]))
    for r in report.rejections:
        assert r.file in dump.FILES and r.line >= 2 and r.reason
    refusal = report.refusal()
    if refusal is not None:
        assert any(name in refusal for name in dump.FILES)
