"""A dump in the import format rewritten in other systems' layouts (the bank CRM of seed 003,
an Annex Cloud-style export), so a mapping can be checked against a known answer."""

import csv
import datetime as dt
import pathlib
import zoneinfo

from services.importer.tests.legacy_dump import KnownAnswers, write_dump

MAPPINGS = pathlib.Path(__file__).resolve().parents[1] / "mappings"
BUENOS_AIRES = zoneinfo.ZoneInfo("America/Argentina/Buenos_Aires")
BANK_KINDS = {"earn": "ACR", "burn": "CAN", "expire": "VTO", "adjust": "AJU"}
ANNEX_KINDS = {"earn": "PURCHASE", "burn": "REDEMPTION", "expire": "EXPIRATION", "adjust": "BONUS"}


def _rows(path: pathlib.Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def write_bank_crm(directory: pathlib.Path, **dump_args) -> KnownAnswers:
    plain = directory / "plain"
    answers = write_dump(plain, plant_errors=False, **dump_args)
    out = directory / "bank"
    out.mkdir(parents=True)

    def write(name: str, header: list[str], rows: list[list[str]]) -> None:
        with (out / name).open("w", newline="", encoding="latin-1") as fh:
            w = csv.writer(fh, delimiter="|", lineterminator="\r\n")
            w.writerow(header)
            w.writerows(rows)

    write("CLIENTES.TXT", ["NRO_CLIENTE", "APELLIDO", "NOMBRE", "EMAIL", "TELEFONO", "FECHA_NACIMIENTO", "FECHA_ALTA",
                           "ESTADO"],
          [[m["legacy_id"], "Núñez", m["first_name"], m["email"].upper(), m["phone"],
            dt.date.fromisoformat(m["birth_date"]).strftime("%d/%m/%Y"),
            dt.datetime.fromisoformat(m["enrolled_at"]).astimezone(BUENOS_AIRES).strftime("%d/%m/%Y"), "A"]
           for m in _rows(plain / "members.csv")])
    write("SALDOS.TXT", ["NRO_CLIENTE", "SALDO_PUNTOS", "SEGMENTO", "FECHA_SEGMENTO"],
          [[b["legacy_id"], _thousands(int(b["points_balance"])), "ORO", "01/09/2026"]
           for b in _rows(plain / "balances.csv")])
    write("MOVIMIENTOS.TXT", ["ID_MOVIMIENTO", "NRO_CLIENTE", "FECHA_HORA", "COD_MOVIMIENTO", "PUNTOS", "CANAL",
                              "COMPROBANTE"],
          [[t["legacy_txn_id"], t["legacy_id"],
            dt.datetime.fromisoformat(t["occurred_at"]).astimezone(BUENOS_AIRES).strftime("%d/%m/%Y %H:%M:%S"),
            BANK_KINDS[t["kind"]],
            ("-" if t["kind"] in ("burn", "expire") else "") + _thousands(int(t["points"])), "SUC", t["reference"]]
           for t in _rows(plain / "transactions.csv")])
    return answers


def write_annex_cloud(directory: pathlib.Path, **dump_args) -> KnownAnswers:
    plain = directory / "plain"
    answers = write_dump(plain, plant_errors=False, **dump_args)
    out = directory / "annex"
    out.mkdir(parents=True)

    def write(name: str, header: list[str], rows: list[list[str]]) -> None:
        with (out / name).open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)

    utc = lambda v: dt.datetime.fromisoformat(v).astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")  # noqa: E731
    write("customers.csv", ["Customer ID", "Email", "First Name", "Last Name", "Phone", "Date of Birth", "Opt-In Date",
                            "Status"],
          [[m["legacy_id"], m["email"], m["first_name"], m["last_name"], m["phone"],
            dt.date.fromisoformat(m["birth_date"]).strftime("%m/%d/%Y"), utc(m["enrolled_at"]), "Active"]
           for m in _rows(plain / "members.csv")])
    write("points_balances.csv", ["Customer ID", "Available Points", "Tier", "Tier Start Date"],
          [[b["legacy_id"], b["points_balance"], "Gold", ""] for b in _rows(plain / "balances.csv")])
    write("activities.csv", ["Activity ID", "Customer ID", "Activity Date", "Activity Type", "Points", "Source",
                             "Order ID"],
          [[t["legacy_txn_id"], t["legacy_id"], utc(t["occurred_at"]), ANNEX_KINDS[t["kind"]],
            ("-" if t["kind"] in ("burn", "expire") else "") + t["points"], "pos", t["reference"]]
           for t in _rows(plain / "transactions.csv")])
    return answers
