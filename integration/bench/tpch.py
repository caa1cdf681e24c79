#!/usr/bin/env python3
"""TPC-H through the Lakehive SQL gateway (pgwire) vs DuckDB on the same Parquet files.

1. Generates TPC-H Parquet with `tpchgen-cli` into a cache directory (reused when present):
   <data-root>/sf<scale>/<table>/<table>.<n>.parquet, one folder per table.
2. Starts `lakehive serve --data-dir <tmp> --thrift-addr 127.0.0.1:P --pg-addr 127.0.0.1:Q --pg-trust`
   and registers the 8 tables with `CREATE DATABASE tpch` + `CREATE EXTERNAL TABLE tpch.<t> (...)
   STORED AS PARQUET LOCATION '<dir>'` (column types derived from the Parquet schema).
3. Runs the 22 queries (tpch_queries/q<N>.sql, tables named `tpch.<t>`) through psycopg 3 against
   the gateway (all rows fetched) and through DuckDB's Python API over views
   `tpch.<t> = read_parquet('<dir>/*.parquet')`: one warm-up, then --runs timed runs per engine.
4. Checks that both engines return the same rows (counts, and values with a 1e-4 relative tolerance
   on numbers); prints a table per query (best and median ms, ratio lakehive/duckdb) and totals;
   writes the JSON results.

Optional third engine `datafusion`: the `datafusion` Python package (if installed) on the same
files, in process: separates engine time from gateway/wire overhead.

Examples:
    python integration/bench/tpch.py                          # SF1, 3 runs, lakehive + duckdb
    python integration/bench/tpch.py --engines duckdb         # DuckDB only (no lakehive needed)
    python integration/bench/tpch.py --queries 1,3,5-9 --runs 5
    python integration/bench/tpch.py --pg-dsn "host=127.0.0.1 port=5433 dbname=lakehive user=bench"

Exit status 1 when an engine fails a query or the engines disagree; the performance targets
(total within 1.2x of DuckDB, no query worse than 2x) are reported, not enforced.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    CACHE,
    Gateway,
    fmt_ms,
    fmt_ratio,
    hive_type,
    machine_info,
    normalize_rows,
    pg_connect,
    print_table,
    ratio,
    require_gateway,
    resolve_lakehive_bin,
    rows_match,
    stats,
    write_json,
)

TABLES = ["region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"]
QUERY_DIR = Path(__file__).resolve().parent / "tpch_queries"
ENGINES = ("lakehive", "duckdb", "datafusion")
# Row counts of the 22 queries at scale factor 1 with the validation parameters.
SF1_ROWS = {1: 4, 2: 100, 3: 10, 4: 5, 5: 5, 6: 1, 7: 4, 8: 2, 9: 175, 10: 20, 11: 1048, 12: 2, 13: 42,
            14: 1, 15: 1, 16: 18314, 17: 1, 18: 57, 19: 1, 20: 186, 21: 100, 22: 7}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# data

def tpchgen_bin() -> str:
    cand = Path(sys.executable).parent / "tpchgen-cli"
    if cand.is_file():
        return str(cand)
    found = shutil.which("tpchgen-cli")
    if not found:
        raise SystemExit("tpchgen-cli not found: install it (pip install tpchgen-cli, see integration/requirements.txt)")
    return found


def scale_label(scale: float) -> str:
    return f"{scale:g}".replace(".", "_")


def generate(data_root: Path, scale: float, parts: int) -> Path:
    """TPC-H Parquet at `scale`, one folder per table; generated once and reused."""
    name = f"sf{scale_label(scale)}" + (f"-p{parts}" if parts > 1 else "")
    out = data_root / name
    marker = out / "_lakehive_tpch_complete"
    if marker.is_file() and all(any((out / t).glob("*.parquet")) for t in TABLES):
        log(f"using cached TPC-H data in {out}")
        return out
    tmp = data_root / f"{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    tmp.mkdir(parents=True)
    cmd = [tpchgen_bin(), "parquet", "--scale-factor", f"{scale:g}", "--parts", str(parts),
           "--output-dir", str(tmp), "--quiet"]
    log(f"generating TPC-H SF{scale:g} ({parts} file(s) per table): {' '.join(cmd)}")
    t0 = time.monotonic()
    subprocess.run(cmd, check=True)
    for t in TABLES:
        if not any((tmp / t).glob("*.parquet")):
            raise SystemExit(f"tpchgen-cli wrote no Parquet files for {t} under {tmp / t}")
    tmp.rename(out)
    marker.write_text(f"scale={scale:g} parts={parts}\n")
    log(f"generated in {time.monotonic() - t0:.1f}s")
    return out


def table_schemas(data: Path) -> Dict[str, List[tuple]]:
    import pyarrow.parquet as pq

    out = {}
    for t in TABLES:
        first = sorted((data / t).glob("*.parquet"))[0]
        schema = pq.read_schema(first)
        out[t] = [(f.name, hive_type(f.type)) for f in schema]
    return out


def table_rows(data: Path) -> Dict[str, int]:
    import pyarrow.parquet as pq

    return {t: sum(pq.ParquetFile(f).metadata.num_rows for f in (data / t).glob("*.parquet")) for t in TABLES}


def load_queries(selected: List[int], scale: float) -> Dict[int, str]:
    out = {}
    for n in selected:
        text = (QUERY_DIR / f"q{n}.sql").read_text()
        # Strip comment lines: the same text goes to every engine.
        sql = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--")).strip()
        sql = sql.rstrip(";").strip()
        if n == 11 and scale != 1:
            sql = sql.replace("* 0.0001", f"* {0.0001 / scale:.10f}")
        out[n] = sql
    return out


def parse_queries(spec: str) -> List[int]:
    if spec in ("all", ""):
        return list(range(1, 23))
    out: List[int] = []
    for part in spec.split(","):
        part = part.strip().lower().lstrip("q")
        if "-" in part:
            a, b = part.split("-")
            out += list(range(int(a), int(b.lstrip("q")) + 1))
        elif part:
            out.append(int(part))
    bad = [n for n in out if not 1 <= n <= 22]
    if bad:
        raise SystemExit(f"--queries: no TPC-H query {bad}")
    return out


# ---------------------------------------------------------------------------------------------
# engines

class LakehiveEngine:
    name = "lakehive"

    def __init__(self, dsn: str, binary_results: bool, query_timeout: float, settings: List[str]):
        self.dsn = dsn
        self.binary = binary_results
        self.query_timeout = query_timeout
        self.settings = settings
        self._connect()

    def _connect(self) -> None:
        self.conn = pg_connect(self.dsn)
        for setting in self.settings:
            key, _, value = setting.partition("=")
            self.execute(f"SET {key.strip()} = '{value.strip()}'")

    def _reconnect(self) -> None:
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001
            pass
        self._connect()

    def execute(self, sql: str) -> None:
        with self.conn.cursor() as cur:
            cur.execute(sql)

    def query(self, sql: str) -> List[tuple]:
        timer = threading.Timer(self.query_timeout, self._cancel)
        timer.start()
        try:
            with self.conn.cursor(binary=self.binary) as cur:
                cur.execute(sql)
                return cur.fetchall()
        except Exception:
            if self.conn.closed or self.conn.broken:
                self._reconnect()
            raise
        finally:
            timer.cancel()

    def _cancel(self) -> None:
        log(f"  query exceeded {self.query_timeout:.0f}s: sending CancelRequest")
        try:
            self.conn.cancel_safe()
        except Exception as e:  # noqa: BLE001
            log(f"  cancel failed: {e}")

    def close(self) -> None:
        self.conn.close()


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, data: Path, threads: Optional[int]):
        import duckdb

        self.con = duckdb.connect()
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self.con.execute("CREATE SCHEMA tpch")
        for t in TABLES:
            self.con.execute(f"CREATE VIEW tpch.{t} AS SELECT * FROM read_parquet('{data / t}/*.parquet')")
        self.version = duckdb.__version__

    def query(self, sql: str) -> List[tuple]:
        return self.con.execute(sql).fetchall()

    def close(self) -> None:
        self.con.close()


class DataFusionEngine:
    """The `datafusion` Python package in process (optional reference for engine-only time)."""

    name = "datafusion"

    def __init__(self, data: Path):
        import datafusion

        self.ctx = datafusion.SessionContext()
        self.ctx.sql("CREATE SCHEMA tpch").collect()
        for t in TABLES:
            self.ctx.sql(f"CREATE EXTERNAL TABLE tpch.{t} STORED AS PARQUET LOCATION '{data / t}/'").collect()
        self.version = datafusion.__version__

    def query(self, sql: str) -> List[tuple]:
        import pyarrow as pa

        batches = self.ctx.sql(sql).collect()
        if not batches:
            return []
        table = pa.Table.from_batches(batches)
        cols = [c.to_pylist() for c in table.columns]
        return list(zip(*cols)) if cols else []

    def close(self) -> None:
        pass


def register_tables(engine: LakehiveEngine, data: Path, schemas: Dict[str, List[tuple]], fresh: bool) -> float:
    t0 = time.perf_counter()
    if fresh:
        engine.execute("CREATE DATABASE tpch")
    else:
        engine.execute("CREATE DATABASE IF NOT EXISTS tpch")
    for t in TABLES:
        if not fresh:
            engine.execute(f"DROP TABLE IF EXISTS tpch.{t}")
        cols = ",\n    ".join(f"{name} {typ}" for name, typ in schemas[t])
        engine.execute(f"CREATE EXTERNAL TABLE tpch.{t} (\n    {cols}\n)\nSTORED AS PARQUET\nLOCATION '{data / t}'")
    return (time.perf_counter() - t0) * 1000


# ---------------------------------------------------------------------------------------------
# run

def time_query(engine, sql: str, runs: int) -> Dict[str, Any]:
    res: Dict[str, Any] = {"times_ms": [], "rows": None, "error": None}
    try:
        t0 = time.perf_counter()
        rows = engine.query(sql)
        res["warmup_ms"] = (time.perf_counter() - t0) * 1000
        res["rows"] = len(rows)
        res["_result"] = rows
        for _ in range(runs):
            t0 = time.perf_counter()
            rows = engine.query(sql)
            res["times_ms"].append((time.perf_counter() - t0) * 1000)
            if len(rows) != res["rows"]:
                res["error"] = f"row count changed between runs: {res['rows']} then {len(rows)}"
                break
    except Exception as e:  # noqa: BLE001
        res["error"] = f"{type(e).__name__}: {str(e).strip()[:500]}"
    res.update(stats(res["times_ms"]))
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="TPC-H scale factor (default 1)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per query and engine after one warm-up (default 3)")
    ap.add_argument("--queries", default="all", help="e.g. 1,3,5-9 (default all 22)")
    ap.add_argument("--engines", default="lakehive,duckdb",
                    help=f"comma list of {', '.join(ENGINES)} (default lakehive,duckdb)")
    ap.add_argument("--data-root", type=Path, default=Path(os.environ.get("LAKEHIVE_TPCH_DIR", str(CACHE.parent / "tpch"))),
                    help="where generated data is cached (default ~/.cache/lakehive/tpch)")
    ap.add_argument("--parts", type=int, default=1, help="Parquet files per table (tpchgen-cli --parts, default 1)")
    ap.add_argument("--lakehive-bin", help="lakehive binary (default $LAKEHIVE_BIN, else the release build)")
    ap.add_argument("--pg-dsn", help="use an already running gateway instead of starting one "
                    "(tables are dropped and re-created in database tpch)")
    ap.add_argument("--work-dir", type=Path, help="lakehive data directory (default: a fresh temporary one)")
    ap.add_argument("--binary", action="store_true",
                    help="psycopg binary results (extended protocol); default text results (simple protocol)")
    ap.add_argument("--duckdb-threads", type=int, help="DuckDB threads (default: DuckDB's, all cores)")
    ap.add_argument("--query-timeout", type=float, default=600, help="cancel a gateway query after this many seconds")
    ap.add_argument("--no-verify", action="store_true", help="skip comparing result values between engines")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="SET this on the gateway session first, e.g. "
                         "datafusion.execution.parquet.pushdown_filters=true (repeatable)")
    ap.add_argument("--json", type=Path, help="results file (default ~/.cache/lakehive/bench/tpch-sf<scale>.json)")
    args = ap.parse_args()

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    bad = [e for e in engines if e not in ENGINES]
    if bad or not engines:
        raise SystemExit(f"--engines: unknown {bad}; choose from {ENGINES}")
    queries = load_queries(parse_queries(args.queries), args.scale)
    json_path = args.json or (CACHE / f"tpch-sf{scale_label(args.scale)}.json")

    data = generate(args.data_root.expanduser(), args.scale, args.parts)
    schemas = table_schemas(data)
    counts = table_rows(data)
    log("tables: " + ", ".join(f"{t}={counts[t]:,}" for t in TABLES))

    gateway = None
    tmpdir = None
    runners: Dict[str, Any] = {}
    meta: Dict[str, Any] = {}
    try:
        if "lakehive" in engines:
            if args.pg_dsn:
                dsn, fresh = args.pg_dsn, False
                meta["lakehive"] = {"dsn": dsn}
            else:
                binary = resolve_lakehive_bin(args.lakehive_bin)
                require_gateway(binary)
                if args.work_dir:
                    work = args.work_dir.resolve()
                    fresh = not (work / "catalog").exists()
                else:
                    tmpdir = tempfile.mkdtemp(prefix="lakehive-tpch-")
                    work, fresh = Path(tmpdir) / "data", True
                log(f"starting {binary} serve (data dir {work})")
                gateway = Gateway(binary, work)
                dsn = gateway.dsn
                meta["lakehive"] = {"binary": binary, "dsn": dsn, "log": str(gateway.server.log_path)}
            lh = LakehiveEngine(dsn, args.binary, args.query_timeout, args.set)
            meta["lakehive"]["settings"] = args.set
            ddl_ms = register_tables(lh, data, schemas, fresh)
            meta["lakehive"]["register_ms"] = round(ddl_ms, 1)
            log(f"registered {len(TABLES)} tables through the gateway in {ddl_ms:.0f} ms")
            for t in TABLES:
                got = lh.query(f"SELECT count(*) FROM tpch.{t}")[0][0]
                if int(got) != counts[t]:
                    raise SystemExit(f"gateway count(*) of tpch.{t} is {got}, the files hold {counts[t]}")
            runners["lakehive"] = lh
        if "duckdb" in engines:
            runners["duckdb"] = DuckDBEngine(data, args.duckdb_threads)
            meta["duckdb"] = {"version": runners["duckdb"].version}
        if "datafusion" in engines:
            try:
                runners["datafusion"] = DataFusionEngine(data)
                meta["datafusion"] = {"version": runners["datafusion"].version}
            except ImportError:
                log("the datafusion Python package is not installed: skipping engine datafusion")
                engines.remove("datafusion")
        engines = [e for e in engines if e in runners]

        results: List[Dict[str, Any]] = []
        failures = 0
        for n, sql in queries.items():
            entry: Dict[str, Any] = {"query": f"q{n}"}
            for e in engines:
                log(f"q{n}: {e} ...")
                entry[e] = time_query(runners[e], sql, args.runs)
                if entry[e]["error"]:
                    log(f"q{n}: {e} FAILED: {entry[e]['error']}")
            # correctness: row counts (and values) must agree between engines
            problems = [f"{e}: {entry[e]['error']}" for e in engines if entry[e]["error"]]
            ok_engines = [e for e in engines if entry[e]["rows"] is not None]
            if len(ok_engines) >= 2:
                ref = ok_engines[0]
                for e in ok_engines[1:]:
                    if entry[e]["rows"] != entry[ref]["rows"]:
                        problems.append(f"rows {e}={entry[e]['rows']} vs {ref}={entry[ref]['rows']}")
                    elif not args.no_verify:
                        diff = rows_match(normalize_rows(entry[e]["_result"]), normalize_rows(entry[ref]["_result"]))
                        if diff:
                            problems.append(f"values {e} vs {ref}: {diff}")
            if args.scale == 1:
                for e in ok_engines:
                    if entry[e]["rows"] != SF1_ROWS[n]:
                        problems.append(f"{e} returned {entry[e]['rows']} rows, TPC-H SF1 answer has {SF1_ROWS[n]}")
            for e in ok_engines:
                entry[e].pop("_result", None)
            entry["check"] = "ok" if not problems else "; ".join(problems)
            failures += bool(problems)
            if "lakehive" in engines and "duckdb" in engines:
                entry["ratio_best"] = ratio(entry["lakehive"]["best"], entry["duckdb"]["best"])
                entry["ratio_median"] = ratio(entry["lakehive"]["median"], entry["duckdb"]["median"])
            results.append(entry)
    finally:
        for r in runners.values():
            try:
                r.close()
            except Exception:  # noqa: BLE001
                pass
        if gateway:
            gateway.stop()
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)

    # ----------------------------------------------------------------------------------------
    # report
    both = "lakehive" in engines and "duckdb" in engines
    headers = ["query", "rows"]
    for e in engines:
        headers += [f"{e} best ms", f"{e} median ms"]
    if both:
        headers += ["ratio best", "ratio median"]
    headers.append("check")
    table_rows_out = []
    totals = {e: {"best": 0.0, "median": 0.0, "complete": True} for e in engines}
    for r in results:
        rows = next((r[e]["rows"] for e in engines if r[e]["rows"] is not None), None)
        line = [r["query"], "-" if rows is None else str(rows)]
        for e in engines:
            line += [fmt_ms(r[e]["best"]), fmt_ms(r[e]["median"])]
            if r[e]["best"] is None:
                totals[e]["complete"] = False
            else:
                totals[e]["best"] += r[e]["best"]
                totals[e]["median"] += r[e]["median"]
        if both:
            line += [fmt_ratio(r.get("ratio_best")), fmt_ratio(r.get("ratio_median"))]
        line.append(r["check"] if len(r["check"]) < 60 else r["check"][:57] + "...")
        table_rows_out.append(line)
    total_line = ["total", ""]
    for e in engines:
        mark = "" if totals[e]["complete"] else "*"
        total_line += [fmt_ms(totals[e]["best"]) + mark, fmt_ms(totals[e]["median"]) + mark]
    summary: Dict[str, Any] = {"totals_ms": totals}
    if both:
        rb = ratio(totals["lakehive"]["best"], totals["duckdb"]["best"])
        rm = ratio(totals["lakehive"]["median"], totals["duckdb"]["median"])
        total_line += [fmt_ratio(rb), fmt_ratio(rm)]
        summary["ratio_total_best"] = rb
        summary["ratio_total_median"] = rm
    total_line.append("" if failures == 0 else f"{failures} failed")
    table_rows_out.append(total_line)

    print()
    print(f"TPC-H SF{args.scale:g}: {len(queries)} queries, best and median of {args.runs} runs after 1 warm-up "
          f"({os.cpu_count()} CPUs)")
    print_table(headers, table_rows_out)
    if any(not t["complete"] for t in totals.values()):
        print("* totals exclude failed queries")
    if both:
        worst = max((r for r in results if r.get("ratio_best") is not None), key=lambda r: r["ratio_best"], default=None)
        total_ok = summary["ratio_total_best"] is not None and summary["ratio_total_best"] <= 1.2 \
            and totals["lakehive"]["complete"]
        worst_ok = worst is not None and worst["ratio_best"] <= 2.0
        summary["target_total_within_1_2x"] = total_ok
        summary["target_no_query_over_2x"] = worst_ok
        print(f"target: total within 1.2x of DuckDB: {'PASS' if total_ok else 'FAIL'} "
              f"({fmt_ratio(summary['ratio_total_best']).strip()})")
        if worst:
            print(f"target: no query worse than 2x:       {'PASS' if worst_ok else 'FAIL'} "
                  f"(worst {worst['query']} at {worst['ratio_best']:.2f}x)")
    payload = {
        "benchmark": "tpch",
        "scale": args.scale,
        "runs": args.runs,
        "engines": engines,
        "data": str(data),
        "protocol": "extended/binary" if args.binary else "simple/text",
        "machine": machine_info(),
        "engine_info": meta,
        "queries": results,
        "summary": summary,
    }
    write_json(json_path, payload)
    print(f"results written to {json_path}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
