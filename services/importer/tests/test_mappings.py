"""The shipped source mappings read other systems' exports as the import format, and every
problem, in the mapping or in the data, names where it is."""

import datetime as dt
import pathlib

import pytest

from services.importer import cli, dump, mapping, validation_report
from services.importer.tests.foreign_dumps import MAPPINGS, write_annex_cloud, write_bank_crm

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def _accepted(source, name: str) -> list[dict[str, str]]:
    report = validation_report.ValidationReport(directory=str(source.directory))
    return [a.values for a in validation_report.classify(source, report, now=NOW)
            if isinstance(a, validation_report.Accepted) and a.file == name]


@pytest.mark.parametrize("layout", ["bank", "annex"])
def test_a_shipped_mapping_reads_its_systems_export_with_the_same_totals(tmp_path, layout):
    # given the same history exported by the bank CRM or an Annex Cloud-style system
    writer, file = (write_bank_crm, "bank_crm.yaml") if layout == "bank" else (write_annex_cloud, "annex_cloud.yaml")
    answers = writer(tmp_path, members=30, now=NOW)
    source = mapping.MappedDump(tmp_path / layout, mapping.load_mapping(MAPPINGS / file))

    # when it is validated through the mapping
    report = validation_report.validate(source, now=NOW)

    # then nothing is rejected and the control totals are the original dump's
    assert report.rejections == [] and report.importable
    assert report.points_by_kind == {k: v for k, v in answers.points_by_kind.items() if v}
    assert report.sum_of_balances == sum(answers.balances.values())
    assert sum(report.row_counts.values()) == 30 + 30 + 30 * 6
    members = _accepted(source, "members.csv")
    assert members[0]["email"] == "guest0@example.com" and members[0]["status"] == "active"
    assert members[0]["birth_date"] == "1990-02-28"
    assert dump.parse_timestamp(members[0]["enrolled_at"]) is not None
    txns = _accepted(source, "transactions.csv")
    assert {t["kind"] for t in txns} <= {"earn", "burn", "expire"} and all(int(t["points"]) > 0 for t in txns)


def test_bank_crm_times_are_buenos_aires_and_codes_are_mapped(tmp_path):
    write_bank_crm(tmp_path, members=3, now=NOW)
    source = mapping.MappedDump(tmp_path / "bank", mapping.load_mapping(MAPPINGS / "bank_crm.yaml"))
    txn = _accepted(source, "transactions.csv")[0]
    assert txn["occurred_at"].endswith("-03:00") and txn["channel"] == "pos"
    balance = _accepted(source, "balances.csv")[0]
    assert (balance["tier_code"], balance["tier_achieved_at"]) == ("GOLD", "2026-09-01")


def _edit_line(path: pathlib.Path, line: int, old: str, new: str) -> None:
    lines = path.read_bytes().decode("latin-1").split("\r\n")
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_bytes("\r\n".join(lines).encode("latin-1"))


def test_values_the_mapping_cannot_map_reject_their_row_naming_file_line_and_column(tmp_path):
    write_bank_crm(tmp_path, members=10, now=NOW)
    bank = tmp_path / "bank"
    _edit_line(bank / "MOVIMIENTOS.TXT", 5, "|ACR|", "|XYZ|")
    _edit_line(bank / "CLIENTES.TXT", 3, "28/02/1990", "31/02/1990")
    _edit_line(bank / "CLIENTES.TXT", 4, "@EXAMPLE.COM", "-AT-EXAMPLE.COM")
    _edit_line(bank / "SALDOS.TXT", 6, "|ORO|", "|DIAMANTE|")
    report = validation_report.validate(
        mapping.MappedDump(bank, mapping.load_mapping(MAPPINGS / "bank_crm.yaml")), now=NOW, max_reject_rate=1.0)
    found = {(r.file, r.line): r.reason for r in report.rejections}
    assert found[("MOVIMIENTOS.TXT", 5)].startswith("column COD_MOVIMIENTO: code 'XYZ' is not one of the mapping's")
    assert found[("CLIENTES.TXT", 3)] == "column FECHA_NACIMIENTO: '31/02/1990' does not match the date format '%d/%m/%Y'"
    assert found[("CLIENTES.TXT", 4)].endswith("is not a valid address (column EMAIL)")
    assert found[("SALDOS.TXT", 6)].startswith("column SEGMENTO: code 'DIAMANTE'")
    report.max_reject_rate = 0.01
    assert "CLIENTES.TXT line 3: column FECHA_NACIMIENTO: '31/02/1990'" in report.refusal()


def test_a_source_file_without_a_mapped_column_is_refused_naming_the_column(tmp_path):
    write_bank_crm(tmp_path, members=3, now=NOW)
    _edit_line(tmp_path / "bank" / "CLIENTES.TXT", 1, "|EMAIL|", "|MAIL|")
    report = validation_report.validate(
        mapping.MappedDump(tmp_path / "bank", mapping.load_mapping(MAPPINGS / "bank_crm.yaml")), now=NOW)
    assert report.structure_errors[0].startswith("CLIENTES.TXT line 1: has no column EMAIL (mapping bank_crm.yaml")


BROKEN = {
    "columns:\n      legacy_id: NRO_CLIENTE\n": ("columns:\n      legacy_id: {colum: NRO_CLIENTE}\n",
                                                "files.members.columns.legacy_id: unknown option(s) colum"),
    "Buenos_Aires}\n      status": ("Mars/Olympus}\n      status",
                                                             "files.members.columns.enrolled_at.timezone: unknown time"),
    "      phone: TELEFONO\n": ("", "files.members.columns: phone not mapped"),
    "      reference: COMPROBANTE\n": ("      reference: COMPROBANTE\n      store: SUCURSAL\n",
                                     "files.transactions.columns.store: not a column of transactions.csv"),
    'delimiter: "|"\n    encoding: latin-1\n    columns:\n      legacy_txn_id': (
        'delimiter: "||"\n    encoding: latin-1\n    columns:\n      legacy_txn_id',
        "files.transactions.delimiter: must be one character"),
    "name: bank-crm\n": ("name: [bank-crm\n", "not valid YAML ("),
}


@pytest.mark.parametrize("old", sorted(BROKEN))
def test_a_broken_mapping_file_is_refused_naming_the_key(tmp_path, old):
    new, expected = BROKEN[old]
    text = (MAPPINGS / "bank_crm.yaml").read_text()
    assert old in text
    (tmp_path / "m.yaml").write_text(text.replace(old, new, 1))
    with pytest.raises(mapping.MappingError) as err:
        mapping.load_mapping(tmp_path / "m.yaml")
    assert str(err.value).startswith(f"mapping {tmp_path / 'm.yaml'}: ")
    assert expected in str(err.value)


def test_the_cli_validates_through_a_mapping(tmp_path, capsys):
    write_bank_crm(tmp_path, members=5, now=dt.datetime.now(dt.timezone.utc))
    assert cli.main(["validate", str(tmp_path / "bank"), "--mapping", str(MAPPINGS / "bank_crm.yaml")]) == 0
    assert "CLIENTES.TXT: 5 rows" in capsys.readouterr().out
    assert cli.main(["validate", str(tmp_path / "bank"), "--mapping", str(tmp_path / "none.yaml")]) == 1
    assert "none.yaml: file: does not exist" in capsys.readouterr().err
