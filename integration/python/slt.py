#!/usr/bin/env python3
"""A small sqllogictest runner over the PostgreSQL wire protocol (psycopg 3, autocommit).

Every record goes through the simple query protocol, exactly as psql sends it (psycopg's automatic
server-side preparation of repeated statements is switched off).

Supported records (one per paragraph; blank lines separate records):

    # a comment (a line starting with '#', between records or inside a statement)

    statement ok
    <sql, one or more lines>

    statement error [regex]
    <sql>

    query <types> [nosort|rowsort|valuesort] [label]
    <sql>
    ----
    <expected rows, one per line, values separated by spaces or tabs>

    query error [regex]
    <sql>

    hash-threshold <n>          (accepted and ignored)
    halt                        (stop reading the file here)

Conditional records (skipif/onlyif), `control`, `include` and result hashing are not supported.

Errors: the regex is searched (re.search, case-sensitive) in "<SQLSTATE>: <message>", so
`statement error 42P01` checks the SQLSTATE and `statement error does not exist` the message; an
empty regex accepts any error (but still requires one).

Results: `types` has one letter per column. Values are formatted from the Python value psycopg
returns: NULL as `NULL`, the empty string as `(empty)`, booleans as `true`/`false`, dates as
`2024-01-31`, timestamps as `2024-01-31 10:00:00` (fraction only when non-zero), Decimals as
written (`12.50`), floats in the shortest form (`91.5`, `79`). Letter `I` prints integral numbers
as integers; letter `R` prints any number with three decimals (`91.500`), as the original
sqllogictest does. `rowsort` sorts the actual and the expected rows before comparing;
`valuesort` sorts all values. Rows are compared after collapsing runs of white space.

Substitutions (e.g. `__DATA__` -> a directory) are applied to the file text before parsing.

CLI, for iterating on the server side:

    python slt.py --dsn "host=127.0.0.1 port=5433 dbname=lakehive user=tester" --data /tmp/d a.slt
    python slt.py --lakehive target/debug/lakehive slt/*.slt   # a fresh server + data per file
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import difflib
import math
import re
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

SORT_MODES = ("nosort", "rowsort", "valuesort")


class SltParseError(Exception):
    pass


@dataclasses.dataclass
class Record:
    kind: str                      # "statement" or "query"
    line: int                      # 1-based line of the record's first line
    sql: str
    expect_error: bool = False
    error_regex: str = ""
    types: str = ""
    sort: str = "nosort"
    expected: List[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Failure:
    path: str
    record: Record
    message: str

    def __str__(self) -> str:
        sql = "\n".join("    " + line for line in self.record.sql.splitlines())
        return f"{self.path}:{self.record.line}: {self.message}\n  SQL:\n{sql}"


class SltFailure(AssertionError):
    def __init__(self, path: str, failures: List[Failure], total: int):
        self.failures = failures
        head = f"{len(failures)} of {total} records failed in {path}"
        super().__init__(head + "\n\n" + "\n\n".join(str(f) for f in failures))


def parse(text: str, path: str = "<slt>") -> List[Record]:
    """Parses sqllogictest text into records."""
    lines = text.splitlines()
    records: List[Record] = []
    i = 0

    def at_end_of_block(j: int) -> bool:
        return j >= len(lines) or lines[j].strip() == ""

    while i < len(lines):
        raw = lines[i]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        start = i + 1
        words = stripped.split()
        head = words[0]
        if head == "halt":
            break
        if head == "hash-threshold":
            i += 1
            continue
        if head not in ("statement", "query"):
            raise SltParseError(f"{path}:{start}: unknown or unsupported record {stripped!r}")
        rec = Record(kind=head, line=start, sql="")
        if head == "statement":
            if len(words) < 2 or words[1] not in ("ok", "error"):
                raise SltParseError(f"{path}:{start}: expected 'statement ok' or 'statement error [regex]'")
            if words[1] == "error":
                rec.expect_error = True
                rec.error_regex = stripped.split(None, 2)[2] if len(words) > 2 else ""
            elif len(words) > 2:
                raise SltParseError(f"{path}:{start}: unexpected text after 'statement ok'")
        else:
            if len(words) < 2:
                raise SltParseError(f"{path}:{start}: 'query' needs column types (e.g. 'query IT') or 'error'")
            if words[1] == "error":
                rec.expect_error = True
                rec.error_regex = stripped.split(None, 2)[2] if len(words) > 2 else ""
            else:
                rec.types = words[1]
                if not re.fullmatch(r"[A-Za-z?]+", rec.types):
                    raise SltParseError(f"{path}:{start}: bad column types {rec.types!r}")
                if len(words) > 2:
                    if words[2] not in SORT_MODES:
                        raise SltParseError(f"{path}:{start}: unknown sort mode {words[2]!r} (one of {SORT_MODES})")
                    rec.sort = words[2]
                if len(words) > 4:
                    raise SltParseError(f"{path}:{start}: unexpected text after the query header")
        i += 1
        sql_lines: List[str] = []
        while not at_end_of_block(i) and lines[i].strip() != "----":
            if not lines[i].lstrip().startswith("#"):
                sql_lines.append(lines[i])
            i += 1
        if not sql_lines:
            raise SltParseError(f"{path}:{start}: record without SQL")
        rec.sql = "\n".join(sql_lines).strip()
        if i < len(lines) and lines[i].strip() == "----":
            i += 1
            expected: List[str] = []
            while not at_end_of_block(i):
                expected.append(lines[i])
                i += 1
            if rec.kind == "query" and not rec.expect_error:
                rec.expected = expected
            elif rec.expect_error:
                # sqllogictest-rs style: the expected error text after ----
                extra = "\n".join(expected).strip()
                rec.error_regex = (rec.error_regex + ".*" if rec.error_regex else "") + re.escape(extra)
            else:
                raise SltParseError(f"{path}:{start}: 'statement ok' cannot have a result section")
        records.append(rec)
    return records


# ---------------------------------------------------------------------------------------------
# value formatting

def _plain(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return "(empty)" if v == "" else v
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        if v == int(v) and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(v).hex()
    if isinstance(v, (list, tuple)):
        return "[" + ",".join("NULL" if x is None else _plain(x) for x in v) + "]"
    return str(v)


def format_value(v, letter: str) -> str:
    """One value as the .slt files write it (see the module doc)."""
    if v is None:
        return "NULL"
    letter = letter.upper()
    if letter == "I" and not isinstance(v, bool):
        if isinstance(v, int):
            return str(v)
        if isinstance(v, (float, Decimal)) and math.isfinite(v) and v == int(v):
            return str(int(v))
    if letter == "R" and not isinstance(v, bool) and isinstance(v, (int, float, Decimal)):
        f = float(v)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "Infinity" if f > 0 else "-Infinity"
        s = f"{f:.3f}"
        return "0.000" if s == "-0.000" else s
    return _plain(v)


def _norm(line: str) -> str:
    return " ".join(line.split())


# ---------------------------------------------------------------------------------------------
# running

class Runner:
    """Runs records on one psycopg connection (autocommit) and collects failures."""

    def __init__(self, conn, path: str = "<slt>"):
        self.conn = conn
        # Never let psycopg switch a repeated statement to a server-side prepared one: every
        # record goes through the simple query protocol.
        self.conn.prepare_threshold = None
        self.path = path
        self.failures: List[Failure] = []

    def _fail(self, rec: Record, message: str) -> None:
        self.failures.append(Failure(self.path, rec, message))

    def _execute(self, sql: str):
        """(rows or None, description or None, error or None)."""
        import psycopg

        try:
            with self.conn.cursor() as cur:
                cur.execute(sql)
                desc = cur.description
                rows = cur.fetchall() if desc is not None else None
                return rows, desc, None
        except psycopg.Error as e:
            return None, None, e

    @staticmethod
    def _error_text(e) -> str:
        state = getattr(e, "sqlstate", None) or "?????"
        diag = getattr(e, "diag", None)
        msg = (diag.message_primary if diag is not None and diag.message_primary else str(e)).strip()
        return f"{state}: {msg}"

    def run_record(self, rec: Record) -> bool:
        """Runs one record; False if the connection is gone and the file cannot go on."""
        rows, desc, err = self._execute(rec.sql)
        if self.conn.closed or self.conn.broken:
            what = f": {self._error_text(err)}" if err is not None else ""
            self._fail(rec, f"the connection was lost{what}")
            return False
        if rec.expect_error:
            if err is None:
                got = f"{len(rows)} row(s)" if rows is not None else "success"
                self._fail(rec, f"expected an error matching {rec.error_regex!r}, got {got}")
            elif rec.error_regex and not re.search(rec.error_regex, self._error_text(err), re.S):
                self._fail(rec, f"error does not match {rec.error_regex!r}\n  actual error: {self._error_text(err)}")
            return True
        if err is not None:
            self._fail(rec, f"unexpected error: {self._error_text(err)}")
            return True
        if rec.kind == "statement":
            return True
        if desc is None:
            self._fail(rec, "expected rows, the statement returned no result set")
            return True
        if len(desc) != len(rec.types):
            names = ", ".join(d.name for d in desc)
            self._fail(rec, f"expected {len(rec.types)} column(s) (types {rec.types}), got {len(desc)}: {names}")
            return True
        actual_values = [[format_value(v, t) for v, t in zip(row, rec.types)] for row in rows]
        if rec.sort == "valuesort":
            actual = sorted(v for row in actual_values for v in (_norm(x) for x in row))
            expected = sorted(tok for line in rec.expected for tok in line.split())
        else:
            actual = [_norm(" ".join(r)) for r in actual_values]
            expected = [_norm(line) for line in rec.expected]
            if rec.sort == "rowsort":
                actual, expected = sorted(actual), sorted(expected)
        if actual != expected:
            diff = "\n".join(difflib.unified_diff(expected, actual, "expected", "actual", lineterm="", n=2))
            self._fail(rec, "wrong result\n"
                            f"  expected ({len(expected)}):\n" + "".join(f"    {x}\n" for x in expected)
                            + f"  actual ({len(actual)}):\n" + "".join(f"    {x}\n" for x in actual)
                            + "  diff:\n" + "\n".join("    " + d for d in diff.splitlines()))
        return True

    def run(self, records: Sequence[Record], stop_on_failure: bool = False) -> List[Failure]:
        for rec in records:
            before = len(self.failures)
            if not self.run_record(rec):
                break
            if stop_on_failure and len(self.failures) > before:
                break
        return self.failures


def substitute(text: str, substitutions: Optional[Dict[str, str]]) -> str:
    for key, value in (substitutions or {}).items():
        text = text.replace(key, value)
    return text


def run_file(path, connect: Callable[[], object], substitutions: Optional[Dict[str, str]] = None,
             stop_on_failure: bool = False) -> int:
    """Runs one .slt file on a new connection from `connect()`; raises SltFailure listing every
    failing record (file:line, SQL, expected vs actual). Returns the number of records run."""
    path = Path(path)
    records = parse(substitute(path.read_text(), substitutions), path.name)
    if not records:
        raise SltParseError(f"{path}: no records")
    conn = connect()
    try:
        failures = Runner(conn, path.name).run(records, stop_on_failure=stop_on_failure)
    finally:
        conn.close()
    if failures:
        raise SltFailure(path.name, failures, len(records))
    return len(records)


def psycopg_connect(dsn: str):
    import psycopg

    return psycopg.connect(dsn, autocommit=True, connect_timeout=30)


# ---------------------------------------------------------------------------------------------
# CLI

def _main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--dsn", help="libpq conninfo of a running gateway")
    ap.add_argument("--lakehive", metavar="BIN", help="start a fresh `BIN serve --pg-trust` per file instead")
    ap.add_argument("--data", type=Path, help="__DATA__ directory (default: fresh fixture files per file)")
    ap.add_argument("--stop", action="store_true", help="stop a file at its first failure")
    args = ap.parse_args(argv)
    if bool(args.dsn) == bool(args.lakehive):
        ap.error("give exactly one of --dsn and --lakehive")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from gateway_data import write_fixture_files

    failed = 0
    for f in args.files:
        with tempfile.TemporaryDirectory(prefix="slt-") as tmp:
            data = args.data or write_fixture_files(Path(tmp) / "data")
            server = None
            dsn = args.dsn
            if args.lakehive:
                from metastore_servers import LakehiveServer

                server = LakehiveServer(Path(tmp) / "lakehive", binary=args.lakehive, pg=True, pg_args=["--pg-trust"])
                dsn = server.dsn
            try:
                n = run_file(f, lambda: psycopg_connect(dsn), {"__DATA__": str(data)}, args.stop)
                print(f"ok   {f} ({n} records)")
            except SltFailure as e:
                failed += 1
                print(f"FAIL {e}\n")
            finally:
                if server:
                    server.stop()
    print(f"{len(args.files) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(_main())
