"""Source mappings: another system's export read as the import format.

A mapping file (YAML) names, for each file of the import format, the source file, its delimiter
and encoding, and for each column of the format where its value comes from:

    files:
      transactions:
        source: MOVIMIENTOS.TXT
        delimiter: "|"
        encoding: latin-1
        columns:
          legacy_txn_id: ID_MOV                       # a source column as it is
          occurred_at: {column: FECHA, timestamp: "%d/%m/%Y %H:%M:%S", timezone: America/Argentina/Buenos_Aires}
          kind: {column: COD_MOV, codes: {ACR: earn, CAN: burn, VTO: expire, AJU: adjust}}
          points: {column: PUNTOS, thousands: ".", absolute: true}
          channel: {column: CANAL, codes: {SUC: pos, HB: web}, default: other}
          reference: {constant: ""}

Column options: `column`, `constant`, `default` (for an empty or unknown value), `codes`, `date`
or `timestamp` (strptime formats) with `timezone`, `lower`, `thousands`, `absolute`. The mapping
is checked when loaded (errors name the key path) and against each source header (errors name
the column); a value it cannot map rejects that row with the source file, line and column.
"""

import dataclasses
import datetime as dt
import pathlib
import zoneinfo
from collections.abc import Iterator

import yaml

from services.importer import dump

TARGETS = {"members": "members.csv", "balances": "balances.csv", "transactions": "transactions.csv"}
OPTIONS = {"column", "constant", "default", "codes", "date", "timestamp", "timezone", "lower", "thousands", "absolute"}
FILE_KEYS = {"source", "delimiter", "encoding", "columns"}


class MappingError(Exception):
    """The mapping file itself is wrong: names the file and the key path."""

    def __init__(self, path: pathlib.Path | str, where: str, problem: str):
        super().__init__(f"mapping {path}: {where}: {problem}")


@dataclasses.dataclass(frozen=True)
class ColumnRule:
    target: str
    column: str | None = None
    constant: str | None = None
    default: str | None = None
    codes: dict[str, str] | None = None
    date: str | None = None
    timestamp: str | None = None
    timezone: zoneinfo.ZoneInfo | None = None
    lower: bool = False
    thousands: str | None = None
    absolute: bool = False

    def apply(self, row: dict[str, str]) -> str:
        """The format's value for this row; ValueError says why the source value cannot be mapped."""
        if self.column is None:
            return self.constant or ""
        value = row[self.column].strip()
        if not value:
            return self.default or ""
        if self.codes is not None:
            if value in self.codes:
                return self.codes[value]
            if self.default is not None:
                return self.default
            raise ValueError(f"code {value!r} is not one of the mapping's codes ({', '.join(self.codes)})")
        if self.lower:
            value = value.lower()
        if self.thousands:
            value = value.replace(self.thousands, "")
        if self.absolute:
            value = value.lstrip("+-")
        if self.date:
            try:
                return dt.datetime.strptime(value, self.date).date().isoformat()
            except ValueError:
                raise ValueError(f"{value!r} does not match the date format {self.date!r}") from None
        if self.timestamp:
            try:
                stamp = dt.datetime.strptime(value, self.timestamp)
            except ValueError:
                raise ValueError(f"{value!r} does not match the timestamp format {self.timestamp!r}") from None
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=self.timezone or dt.timezone.utc)
            return stamp.isoformat()
        return value


@dataclasses.dataclass(frozen=True)
class FileRule:
    target: str              # members.csv, ...
    source: str              # the source system's file name
    delimiter: str
    encoding: str
    columns: list[ColumnRule]

    def source_columns(self) -> list[str]:
        return sorted({c.column for c in self.columns if c.column is not None})


@dataclasses.dataclass(frozen=True)
class Mapping:
    path: pathlib.Path
    name: str
    files: dict[str, FileRule]  # by target file name


def _column_rule(path, where: str, target: str, spec) -> ColumnRule:
    if isinstance(spec, str):
        return ColumnRule(target=target, column=spec)
    if not isinstance(spec, dict):
        raise MappingError(path, where, f"expected a source column name or a table of options, found {spec!r}")
    unknown = set(spec) - OPTIONS
    if unknown:
        raise MappingError(path, where, f"unknown option(s) {', '.join(sorted(unknown))}; options are"
                                        f" {', '.join(sorted(OPTIONS))}")
    if ("column" in spec) == ("constant" in spec):
        raise MappingError(path, where, "needs exactly one of 'column' or 'constant'")
    if spec.get("date") and spec.get("timestamp"):
        raise MappingError(path, where, "'date' and 'timestamp' exclude each other")
    codes = spec.get("codes")
    if codes is not None and (not isinstance(codes, dict) or not codes):
        raise MappingError(path, f"{where}.codes", "must be a table of source code: format value")
    zone = None
    if spec.get("timezone"):
        try:
            zone = zoneinfo.ZoneInfo(str(spec["timezone"]))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise MappingError(path, f"{where}.timezone", f"unknown time zone {spec['timezone']!r}") from None
    for key in ("date", "timestamp"):
        if spec.get(key):
            try:
                dt.datetime(2024, 2, 29, 13, 45, 30).strftime(str(spec[key]))
            except ValueError:
                raise MappingError(path, f"{where}.{key}", f"not a strftime format: {spec[key]!r}") from None
    text = lambda v: None if v is None else str(v)  # noqa: E731 - YAML reads 01 as 1 and yes as True
    return ColumnRule(
        target=target, column=text(spec.get("column")), constant=text(spec.get("constant")),
        default=text(spec.get("default")), codes={str(k): str(v) for k, v in codes.items()} if codes else None,
        date=text(spec.get("date")), timestamp=text(spec.get("timestamp")), timezone=zone,
        lower=bool(spec.get("lower")), thousands=text(spec.get("thousands")), absolute=bool(spec.get("absolute")))


def load_mapping(path: pathlib.Path) -> Mapping:
    """Read and check a mapping file; MappingError names the key path of the first problem."""
    try:
        body = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(path, "file", "does not exist") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else "file"
        raise MappingError(path, where, f"not valid YAML ({getattr(err, 'problem', err)})") from None
    if not isinstance(body, dict) or not isinstance(body.get("files"), dict):
        raise MappingError(path, "files", "the mapping needs a 'files' table (members, balances, transactions)")
    files = {}
    for key, spec in body["files"].items():
        where = f"files.{key}"
        if key not in TARGETS:
            raise MappingError(path, where, f"not a file of the import format ({', '.join(TARGETS)})")
        if not isinstance(spec, dict) or not spec.get("source") or not isinstance(spec.get("columns"), dict):
            raise MappingError(path, where, "needs 'source' (the file name) and 'columns'")
        if unknown := set(spec) - FILE_KEYS:
            raise MappingError(path, where, f"unknown key(s) {', '.join(sorted(unknown))}")
        target = TARGETS[key]
        expected = dump.FILES[target]
        extra = [c for c in spec["columns"] if c not in expected]
        if extra:
            raise MappingError(path, f"{where}.columns.{extra[0]}", f"not a column of {target} ({', '.join(expected)})")
        missing = [c for c in expected if c not in spec["columns"]]
        if missing:
            raise MappingError(path, f"{where}.columns", f"{', '.join(missing)} not mapped (use constant: '' for none)")
        delimiter = str(spec.get("delimiter", ","))
        if len(delimiter) != 1:
            raise MappingError(path, f"{where}.delimiter", f"must be one character, found {delimiter!r}")
        encoding = str(spec.get("encoding", "utf-8"))
        try:
            "".encode(encoding)
        except LookupError:
            raise MappingError(path, f"{where}.encoding", f"unknown encoding {encoding!r}") from None
        files[target] = FileRule(
            target=target, source=str(spec["source"]), delimiter=delimiter, encoding=encoding,
            columns=[_column_rule(path, f"{where}.columns.{c}", c, spec["columns"][c]) for c in expected])
    missing_files = [k for k, t in TARGETS.items() if t not in files]
    if missing_files:
        raise MappingError(path, "files", f"{', '.join(missing_files)} not mapped")
    return Mapping(path=path, name=str(body.get("name", path.stem)), files=files)


class MappedDump:
    """A dump in another system's layout, read through a mapping as rows of the import format."""

    def __init__(self, directory: pathlib.Path, mapping: Mapping):
        self.directory = directory
        self.mapping = mapping

    def file_name(self, name: str) -> str:
        return self.mapping.files[name].source

    def rows(self, name: str) -> Iterator[dump.Row]:
        rule = self.mapping.files[name]
        path = self.directory / rule.source
        if not self.directory.is_dir():
            raise dump.StructureError(str(self.directory), "the folder does not exist")
        if not path.is_file():
            raise dump.StructureError(rule.source, f"the file is missing from {self.directory}"
                                      f" (mapping {self.mapping.path.name} reads {name} from it)")
        with path.open("rb") as fh:
            header, rows = dump.read_table(fh, name=rule.source, delimiter=rule.delimiter, encoding=rule.encoding)
            absent = [c for c in rule.source_columns() if c not in header]
            if absent:
                raise dump.StructureError(rule.source, f"has no column {', '.join(absent)} (mapping"
                                          f" {self.mapping.path.name} needs it); its columns: {', '.join(header)}",
                                          line=1)
            empty = dict.fromkeys(dump.FILES[name], "")
            for row in rows:
                if row.unreadable:
                    yield dump.Row(line=row.line, values=empty, unreadable=row.unreadable)
                    continue
                values, problem = {}, None
                for col in rule.columns:
                    try:
                        values[col.target] = col.apply(row.values)
                    except ValueError as err:
                        problem = f"column {col.column}: {err}"
                        break
                if problem:
                    yield dump.Row(line=row.line, values=empty | {k: v for k, v in values.items()}, unreadable=problem)
                else:
                    yield dump.Row(line=row.line, values=values)

    def controls(self):
        """Control totals are given in the import format's layout (control_totals.csv) for any source."""
        from services.importer import control
        return control.read(self.directory)

    def column_of(self, name: str, target: str) -> str | None:
        return next((c.column for c in self.mapping.files[name].columns if c.target == target), None)

    def check(self) -> None:
        for name in dump.FILES:
            rows = self.rows(name)
            try:
                next(rows, None)
            finally:
                rows.close()
