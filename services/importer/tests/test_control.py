"""Control totals per batch: running totals of the load checked against the dump's own."""

import datetime as dt

import pytest

from services.importer import validation_report
from services.importer.tests.legacy_dump import write_control_totals, write_dump

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def drop_transaction(directory, legacy_txn_id: str) -> None:
    lines = (directory / "transactions.csv").read_text().splitlines(keepends=True)
    (directory / "transactions.csv").write_text("".join(l for l in lines if not l.startswith(legacy_txn_id + ",")))


def test_matching_control_totals_let_the_whole_dump_in(tmp_path):
    write_dump(tmp_path, members=30, plant_errors=False, now=NOW)
    write_control_totals(tmp_path, batch_members=10)
    report = validation_report.validate(tmp_path, now=NOW)
    assert (report.control_batches, report.control_batches_ok, report.control_break) == (3, 3, None)
    assert report.importable


def test_the_first_batch_that_breaks_its_totals_is_named_with_its_member_range(tmp_path):
    # given a transfer that lost a transaction of batch 2 and one of batch 3
    write_dump(tmp_path, members=30, plant_errors=False, now=NOW)
    write_control_totals(tmp_path, batch_members=10)
    drop_transaction(tmp_path, "T0000012-0")
    drop_transaction(tmp_path, "T0000025-0")

    report = validation_report.validate(tmp_path, now=NOW)

    assert report.control_batches_ok == 1 and report.control_stop == "L0000010"
    assert report.control_break.startswith("batch 0002 (members L0000010 to L0000019) breaks the control totals:"
                                           " transactions 59 in the dump, 60 in control_totals.csv line 3;"
                                           " points_credited")
    assert not report.importable
    assert "control totals: 1 of 3 batches match" in "\n".join(validation_report.summary_lines(report))


def test_a_member_in_no_batch_is_rejected_by_name(tmp_path):
    write_dump(tmp_path, members=12, plant_errors=False, now=NOW)
    write_control_totals(tmp_path, batch_members=10)
    lines = (tmp_path / "control_totals.csv").read_text().splitlines(keepends=True)
    (tmp_path / "control_totals.csv").write_text("".join(lines[:2]))
    report = validation_report.validate(tmp_path, now=NOW, max_reject_rate=1.0)
    assert {(r.line, r.reason) for r in report.rejections if r.file == "members.csv"} == {
        (12, "legacy_id 'L0000010' is in no batch of control_totals.csv"),
        (13, "legacy_id 'L0000011' is in no batch of control_totals.csv")}


@pytest.mark.parametrize("edit, expected", [
    (lambda t: t.replace(",10,", ",ten,", 1), "control_totals.csv line 2: column members: 'ten' is not a whole number"),
    (lambda t: t.replace("L0000019", "L0000005", 1), "control_totals.csv line 3: first_legacy_id must be set"),
    (lambda t: t.replace("0002,L0000010", "0002,L0000009", 1), "control_totals.csv line 3: batch 0002 overlaps batch 0001"),
])
def test_a_broken_control_file_is_refused_naming_line_and_column(tmp_path, edit, expected):
    write_dump(tmp_path, members=30, plant_errors=False, now=NOW)
    write_control_totals(tmp_path, batch_members=10)
    (tmp_path / "control_totals.csv").write_text(edit((tmp_path / "control_totals.csv").read_text()))
    report = validation_report.validate(tmp_path, now=NOW)
    assert len(report.structure_errors) == 1 and report.structure_errors[0].startswith(expected)
    assert not report.importable
