import datetime as dt
import json

from services.importer import cli, validation_report
from services.importer.tests.legacy_dump import write_dump

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def test_report_counts_control_totals_and_every_planted_problem(tmp_path):
    answers = write_dump(tmp_path, members=40, now=NOW)
    report = validation_report.validate(tmp_path, now=NOW, max_reject_rate=0.5)
    assert report.row_counts == {"members.csv": 44, "balances.csv": 41, "transactions.csv": 40 * 6 + 1}
    assert report.points_by_kind == {k: v for k, v in answers.points_by_kind.items() if v}
    assert report.sum_of_balances == sum(answers.balances.values())
    assert report.duplicate_legacy_ids == ["L0000001"]
    assert report.duplicate_emails == ["GUEST2@example.com"]
    assert (report.orphan_transactions, report.orphan_balances) == (1, 1)
    assert report.bad_dates == 1 and report.bad_encodings == 1
    assert len(report.rejections) == 6
    assert report.importable


def test_too_many_rejections_make_the_dump_not_importable(tmp_path):
    write_dump(tmp_path, members=10, now=NOW)
    report = validation_report.validate(tmp_path, now=NOW, max_reject_rate=0.01)
    assert not report.importable


def test_structure_errors_are_named(tmp_path):
    write_dump(tmp_path, members=3, now=NOW, plant_errors=False)
    (tmp_path / "balances.csv").write_text("id,balance\n1,2\n")
    report = validation_report.validate(tmp_path, now=NOW)
    assert report.structure_errors == ["balances.csv line 1: header must be legacy_id,points_balance,tier_code,"
                                       "tier_achieved_at, found 'id,balance'"]
    assert not report.importable
    (tmp_path / "balances.csv").unlink()
    assert "balances.csv: the file is missing" in validation_report.validate(tmp_path, now=NOW).structure_errors[0]


def test_cli_writes_the_report_and_exits_by_importability(tmp_path, capsys):
    write_dump(tmp_path / "clean", members=5, plant_errors=False)
    assert cli.main(["validate", str(tmp_path / "clean")]) == 0
    body = json.loads((tmp_path / "clean" / "validation-report.json").read_text())
    assert body["importable"] is True and body["row_counts"]["members.csv"] == 5
    write_dump(tmp_path / "dirty", members=5)
    assert cli.main(["validate", str(tmp_path / "dirty"), "--report", str(tmp_path / "r.json")]) == 1
    assert "importable: NO" in capsys.readouterr().out
