#!/usr/bin/env python3
"""One partition out of 100,000: Lakehive's gateway vs DuckDB (hive partitioning) vs Spark SQL.

1. Writes a table tree <root>/p=<N>/part-0.parquet for N in 0..partitions-1, each file holding
   --rows-per-file rows (x bigint = N*rows+i, s string), with a process pool; cached and reused.
2. Starts `lakehive serve` (metastore + pgwire gateway) on a fresh data directory and registers
   the table through Thrift: database `pbench`, external table `pbench.t` (x bigint, s string)
   PARTITIONED BY (p int), partitions added with hmsclient `add_partitions` in batches of --batch.
   Unless --skip-msck: also `CREATE EXTERNAL TABLE pbench.t_msck ...` + `MSCK REPAIR TABLE` through
   the gateway over the same tree (timed, partition count checked).
3. Times `SELECT count(*), sum(x) FROM pbench.t WHERE p = <P>`:
   - lakehive: psycopg 3 over pgwire, one connection (first query, then median of --runs), and a new
     connection per query (connect + query + close);
   - duckdb: `read_parquet('<root>/*/*.parquet', hive_partitioning = true) WHERE p = <P>` (median of --runs);
   - spark: spark.sql on pbench.t through our metastore (Hive support), median of --spark-runs after
     a warm-up.
   All engines must return (rows-per-file, expected sum). Target: lakehive median under 50 ms.

Examples:
    python integration/bench/partitions.py                       # 100,000 partitions, all engines
    python integration/bench/partitions.py --engines duckdb,spark --partitions 10000
    python integration/bench/partitions.py --engines lakehive --skip-msck

Exit status 1 when an engine fails or returns a wrong answer.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    CACHE,
    PY_INTEGRATION,
    Gateway,
    fmt_ms,
    machine_info,
    pg_connect,
    print_table,
    ratio,
    require_gateway,
    resolve_lakehive_bin,
    stats,
    write_json,
)

sys.path.insert(0, str(PY_INTEGRATION / "tests"))

DB = "pbench"
ENGINES = ("lakehive", "duckdb", "spark")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# data

def _write_range(args) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    root, start, stop, rows = args
    schema = pa.schema([("x", pa.int64()), ("s", pa.string())])
    names = pa.array([f"row-{i}" for i in range(rows)], pa.string())
    for p in range(start, stop):
        d = os.path.join(root, f"p={p}")
        os.makedirs(d, exist_ok=True)
        xs = pa.array(range(p * rows, (p + 1) * rows), pa.int64())
        pq.write_table(pa.Table.from_arrays([xs, names], schema=schema), os.path.join(d, "part-0.parquet"),
                       compression="snappy")
    return stop - start


def generate(data_root: Path, partitions: int, rows: int, workers: int) -> Path:
    base = data_root / f"partitions-{partitions}x{rows}"
    root = base / "table"
    marker = base / "complete"
    if marker.is_file() and root.is_dir():
        log(f"using cached partition tree {root}")
        return root
    shutil.rmtree(base, ignore_errors=True)
    root.mkdir(parents=True)
    chunk = 500
    tasks = [(str(root), s, min(s + chunk, partitions), rows) for s in range(0, partitions, chunk)]
    log(f"writing {partitions:,} partitions x {rows} rows under {root} with {workers} processes ...")
    t0 = time.monotonic()
    done = 0
    with mp.get_context("fork").Pool(workers) as pool:
        for n in pool.imap_unordered(_write_range, tasks):
            done += n
            if done % 20000 < chunk:
                log(f"  {done:,}/{partitions:,}")
    marker.write_text(f"partitions={partitions} rows={rows}\n")
    log(f"wrote the tree in {time.monotonic() - t0:.1f}s")
    return root


# ---------------------------------------------------------------------------------------------
# catalog

def register_thrift(server, root: Path, partitions: int, batch: int) -> Dict[str, float]:
    from hmsclient.genthrift.hive_metastore.ttypes import Database, FieldSchema

    from hms_util import connect, make_partition, make_table

    cols = [FieldSchema(name="x", type="bigint", comment=None), FieldSchema(name="s", type="string", comment=None)]
    keys = [FieldSchema(name="p", type="int", comment=None)]
    out = {}
    with connect(server, timeout_ms=600_000) as c:
        c.create_database(Database(name=DB, description="lakehive partition benchmark",
                                   locationUri=f"file:{server.warehouse}/{DB}.db", parameters={}))
        table = make_table(DB, "t", f"file:{root}", cols=cols, part_keys=keys)
        c.create_table(table)
        t0 = time.perf_counter()
        for start in range(0, partitions, batch):
            parts = [make_partition(table, [str(p)]) for p in range(start, min(start + batch, partitions))]
            c.add_partitions(parts)
        out["add_partitions_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        names = c.get_partition_names(DB, "t", -1)
        out["get_partition_names_s"] = time.perf_counter() - t0
    if len(names) != partitions:
        raise RuntimeError(f"the metastore lists {len(names)} partitions of {DB}.t, expected {partitions}")
    return out


def register_msck(conn, server, root: Path, partitions: int) -> Dict[str, float]:
    from hms_util import connect

    with conn.cursor() as cur:
        cur.execute(f"CREATE EXTERNAL TABLE {DB}.t_msck (x bigint, s string) PARTITIONED BY (p int) "
                    f"STORED AS PARQUET LOCATION '{root}'")
        t0 = time.perf_counter()
        cur.execute(f"MSCK REPAIR TABLE {DB}.t_msck")
        elapsed = time.perf_counter() - t0
    with connect(server, timeout_ms=600_000) as c:
        n = len(c.get_partition_names(DB, "t_msck", -1))
    if n != partitions:
        raise RuntimeError(f"MSCK REPAIR registered {n} partitions of {DB}.t_msck, expected {partitions}")
    return {"msck_repair_s": elapsed}


# ---------------------------------------------------------------------------------------------
# engines

def timed(fn, runs: int) -> Dict[str, Any]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    out = {"times_ms": [round(t, 3) for t in times], "result": result}
    out.update(stats(times))
    if len(times) >= 10:
        out["p90"] = sorted(times)[int(len(times) * 0.9) - 1]
    return out


def norm(result) -> tuple:
    rows = list(result)
    if len(rows) != 1:
        return ("rows", len(rows))
    return tuple(int(v) if v is not None else None for v in rows[0])


def run_lakehive(dsn: str, sql: str, runs: int) -> Dict[str, Dict[str, Any]]:
    conn = pg_connect(dsn)
    try:
        def once():
            with conn.cursor() as cur:
                cur.execute(sql)
                return norm(cur.fetchall())

        t0 = time.perf_counter()
        first = once()
        first_ms = (time.perf_counter() - t0) * 1000
        res = timed(once, runs)
        res["first_ms"] = first_ms
        res["first_result"] = first
    finally:
        conn.close()

    def fresh():
        c = pg_connect(dsn)
        try:
            with c.cursor() as cur:
                cur.execute(sql)
                return norm(cur.fetchall())
        finally:
            c.close()

    fresh_res = timed(fresh, runs)
    return {"lakehive": res, "lakehive (new connection)": fresh_res}


def run_duckdb(root: Path, p: int, runs: int) -> Dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    sql = (f"SELECT count(*), sum(x) FROM read_parquet('{root}/*/*.parquet', hive_partitioning = true) "
           f"WHERE p = {p}")
    try:
        once = lambda: norm(con.execute(sql).fetchall())  # noqa: E731
        t0 = time.perf_counter()
        first = once()
        first_ms = (time.perf_counter() - t0) * 1000
        res = timed(once, runs)
        res["first_ms"] = first_ms
        res["first_result"] = first
        res["sql"] = sql
        res["version"] = duckdb.__version__
    finally:
        con.close()
    return res


def spark_session(metastore_uri: str, warehouse: str, scratch: Path):
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master(f"local[{os.cpu_count() or 2}]")
        .appName("lakehive-partitions-bench")
        .config("spark.sql.catalogImplementation", "hive")
        .config("spark.hadoop.hive.metastore.uris", metastore_uri)
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.driver.memory", "2g")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.local.dir", str(scratch / "local"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={scratch}")
        .config("spark.hadoop.hive.metastore.client.socket.timeout", "600s")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("WARN")
    return session


def run_spark(metastore_uri: str, warehouse: str, sql: str, runs: int, scratch: Path) -> Dict[str, Any]:
    t0 = time.perf_counter()
    spark = spark_session(metastore_uri, warehouse, scratch)
    start_s = time.perf_counter() - t0
    try:
        once = lambda: norm(tuple(r) for r in spark.sql(sql).collect())  # noqa: E731
        t0 = time.perf_counter()
        first = once()
        first_ms = (time.perf_counter() - t0) * 1000
        res = timed(once, runs)
        res["first_ms"] = first_ms
        res["first_result"] = first
        res["session_start_s"] = start_s
        res["version"] = spark.version
    finally:
        spark.stop()
    return res


# ---------------------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--partitions", type=int, default=100_000, help="number of partitions (default 100000)")
    ap.add_argument("--rows-per-file", type=int, default=10, help="rows in each partition's file (default 10)")
    ap.add_argument("--target", type=int, default=54321, help="partition value queried (default 54321)")
    ap.add_argument("--engines", default="lakehive,duckdb,spark", help=f"comma list of {', '.join(ENGINES)}")
    ap.add_argument("--runs", type=int, default=20, help="timed runs for lakehive and duckdb (default 20)")
    ap.add_argument("--spark-runs", type=int, default=5, help="timed Spark runs after one warm-up (default 5)")
    ap.add_argument("--batch", type=int, default=1000, help="partitions per add_partitions call (default 1000)")
    ap.add_argument("--skip-msck", action="store_true", help="do not time MSCK REPAIR TABLE through the gateway")
    ap.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 2), help="processes writing files")
    ap.add_argument("--data-root", type=Path, default=CACHE, help="where the tree is cached (default ~/.cache/lakehive/bench)")
    ap.add_argument("--lakehive-bin", help="lakehive binary (default $LAKEHIVE_BIN, else the release build)")
    ap.add_argument("--json", type=Path, help="results file (default ~/.cache/lakehive/bench/partitions-<N>.json)")
    args = ap.parse_args()

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if not engines or any(e not in ENGINES for e in engines):
        raise SystemExit(f"--engines: choose from {ENGINES}")
    target = min(args.target, args.partitions - 1)
    rows = args.rows_per_file
    expected = (rows, sum(range(target * rows, (target + 1) * rows)))
    sql = f"SELECT count(*), sum(x) FROM {DB}.t WHERE p = {target}"
    json_path = args.json or (CACHE / f"partitions-{args.partitions}.json")

    root = generate(args.data_root.expanduser(), args.partitions, rows, args.workers)

    results: Dict[str, Any] = {}
    catalog: Dict[str, Any] = {}
    failures: List[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="lakehive-partitions-"))
    gateway = None
    try:
        if "lakehive" in engines or "spark" in engines:
            binary = resolve_lakehive_bin(args.lakehive_bin)
            with_gw = "lakehive" in engines
            if with_gw:
                require_gateway(binary)
            log(f"starting {binary} serve{' with the gateway' if with_gw else ' (metastore only)'}")
            gateway = Gateway(binary, tmp / "data", with_gateway=with_gw)
            catalog["lakehive_bin"] = binary
            log(f"registering {args.partitions:,} partitions through Thrift (add_partitions x {args.batch}) ...")
            catalog.update(register_thrift(gateway.server, root, args.partitions, args.batch))
            log(f"  add_partitions: {catalog['add_partitions_s']:.1f}s "
                f"({args.partitions / catalog['add_partitions_s']:,.0f} partitions/s)")
            if with_gw and not args.skip_msck:
                log("MSCK REPAIR TABLE through the gateway ...")
                conn = pg_connect(gateway.dsn)
                try:
                    catalog.update(register_msck(conn, gateway.server, root, args.partitions))
                    log(f"  MSCK REPAIR: {catalog['msck_repair_s']:.1f}s")
                except Exception as e:  # noqa: BLE001
                    catalog["msck_error"] = f"{type(e).__name__}: {e}"
                    failures.append(f"MSCK REPAIR: {e}")
                    log(f"  MSCK REPAIR FAILED: {e}")
                finally:
                    conn.close()

        if "lakehive" in engines:
            log(f"lakehive: {sql}")
            try:
                results.update(run_lakehive(gateway.dsn, sql, args.runs))
            except Exception as e:  # noqa: BLE001
                results["lakehive"] = {"error": f"{type(e).__name__}: {e}"}
        if "duckdb" in engines:
            log("duckdb ...")
            try:
                results["duckdb"] = run_duckdb(root, target, args.runs)
            except Exception as e:  # noqa: BLE001
                results["duckdb"] = {"error": f"{type(e).__name__}: {e}"}
        if "spark" in engines:
            log("spark (starting a session through our metastore) ...")
            try:
                results["spark"] = run_spark(gateway.uri, gateway.warehouse, sql, args.spark_runs, tmp / "spark")
            except Exception as e:  # noqa: BLE001
                results["spark"] = {"error": f"{type(e).__name__}: {str(e)[:2000]}"}
    finally:
        if gateway:
            gateway.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    for name, r in results.items():
        if r.get("error"):
            failures.append(f"{name}: {r['error']}")
            continue
        got = {r.get(k) for k in ("first_result", "result") if k in r}
        if got != {expected}:
            r["error"] = f"wrong answer {sorted(got, key=str)}, expected {expected}"
            failures.append(f"{name}: {r['error']}")

    lh = results.get("lakehive", {}).get("median")
    headers = ["engine", "first ms", "best ms", "median ms", "p90 ms", "runs", "median / lakehive", "answer"]
    table = []
    for name, r in results.items():
        if r.get("error") and r.get("median") is None:
            table.append([name, "-", "-", "-", "-", "-", "-", "ERROR"])
            continue
        table.append([name, fmt_ms(r.get("first_ms")), fmt_ms(r.get("best")), fmt_ms(r.get("median")),
                      fmt_ms(r.get("p90")), str(len(r["times_ms"])),
                      "-" if lh is None else f"{ratio(r['median'], lh):.1f}x",
                      "ok" if not r.get("error") else "WRONG"])
    print()
    print(f"one partition of {args.partitions:,} (p = {target}, {rows} rows per file; {os.cpu_count()} CPUs)")
    print(f"query: {sql}")
    print_table(headers, table)
    if "add_partitions_s" in catalog:
        print(f"catalog: add_partitions {catalog['add_partitions_s']:.1f}s through Thrift"
              + (f", MSCK REPAIR TABLE {catalog['msck_repair_s']:.1f}s through the gateway"
                 if "msck_repair_s" in catalog else ""))
    summary: Dict[str, Any] = {}
    if lh is not None:
        for other in ("duckdb", "spark"):
            om = results.get(other, {}).get("median")
            if om:
                summary[f"ratio_lakehive_over_{other}"] = lh / om
                print(f"lakehive / {other} (median): {lh / om:.3f}x  ({other} takes {om / lh:.1f}x as long)")
        summary["target_under_50ms"] = lh < 50
        print(f"target: lakehive median under 50 ms: {'PASS' if lh < 50 else 'FAIL'} ({lh:.1f} ms)")
    for f in failures:
        print(f"FAILED: {f}")
    for r in results.values():
        r.pop("result", None)
    write_json(json_path, {
        "benchmark": "partitions",
        "partitions": args.partitions,
        "rows_per_file": rows,
        "target_partition": target,
        "query": sql,
        "expected": expected,
        "tree": str(root),
        "machine": machine_info(),
        "catalog": catalog,
        "results": results,
        "summary": summary,
        "failures": failures,
    })
    print(f"results written to {json_path}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
