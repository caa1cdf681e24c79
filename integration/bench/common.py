"""Shared helpers of the gateway benchmarks (tpch.py, partitions.py).

- `find_lakehive_bin()` / `start_lakehive()`: run `lakehive serve` with the pgwire gateway on free
  ports (reusing integration/python/metastore_servers.py).
- `pg_connect()`: a psycopg 3 connection to the gateway (autocommit).
- `hive_type()`: a Hive column type for a pyarrow type (for CREATE EXTERNAL TABLE).
- `stats()`, `fmt_ms()`, `print_table()`: small reporting helpers.
- `normalize_rows()` / `rows_match()`: compare result sets from different engines (psycopg returns
  Decimal/date/str, DuckDB Decimal/float/date) with a relative tolerance on numbers.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PY_INTEGRATION = REPO / "integration" / "python"
if str(PY_INTEGRATION) not in sys.path:
    sys.path.insert(0, str(PY_INTEGRATION))

from metastore_servers import LakehiveServer, find_lakehive_bin  # noqa: E402
from java_hms import free_port, port_open  # noqa: E402

CACHE = Path(os.environ.get("LAKEHIVE_BENCH_CACHE", str(Path.home() / ".cache" / "lakehive" / "bench")))
DEFAULT_RELEASE_BIN = Path.home() / ".cache" / "lakehive" / "target" / "release" / "lakehive"


def resolve_lakehive_bin(explicit: Optional[str]) -> str:
    """--lakehive-bin, else LAKEHIVE_BIN, else ~/.cache/lakehive/target/release/lakehive, else any
    build the integration helpers find (release first). Warns about debug builds."""
    if explicit:
        path = explicit
    elif os.environ.get("LAKEHIVE_BIN"):
        path = os.environ["LAKEHIVE_BIN"]
    elif DEFAULT_RELEASE_BIN.is_file():
        path = str(DEFAULT_RELEASE_BIN)
    else:
        path = find_lakehive_bin()
    if not os.access(path, os.X_OK):
        raise SystemExit(f"lakehive binary {path} is not an executable file")
    if "debug" in Path(path).parts:
        print(f"WARNING: {path} looks like a debug build; benchmark a release build "
              "(cargo build --release -p lakehive)", file=sys.stderr)
    return path


def require_gateway(binary: str) -> None:
    """Exit with a clear message when `binary` has no SQL gateway (`serve --pg-addr`)."""
    import subprocess

    out = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True, timeout=60)
    if "--pg-addr" not in out.stdout:
        raise SystemExit(f"{binary} has no SQL gateway (`lakehive serve --pg-addr`): build a newer lakehive, "
                         "or leave out the lakehive engine (--engines ...)")


class Gateway:
    """`lakehive serve --data-dir D --thrift-addr 127.0.0.1:P [--pg-addr 127.0.0.1:Q --pg-trust]`."""

    def __init__(self, binary: str, data_dir: Path, with_gateway: bool = True,
                 env: Optional[Dict[str, str]] = None, startup_timeout: float = 120.0):
        self.pg_port = free_port() if with_gateway else None
        extra = ["--pg-addr", f"127.0.0.1:{self.pg_port}", "--pg-trust"] if with_gateway else []
        old_env = dict(os.environ)
        if env:
            os.environ.update(env)
        try:
            self.server = LakehiveServer(data_dir, binary=binary, extra_args=extra,
                                         startup_timeout=startup_timeout)
        finally:
            if env:
                os.environ.clear()
                os.environ.update(old_env)
        if with_gateway:
            deadline = time.monotonic() + startup_timeout
            while not port_open("127.0.0.1", self.pg_port):
                if not self.server.alive():
                    raise RuntimeError(f"lakehive exited during start-up\n{self.server.log_tail()}")
                if time.monotonic() > deadline:
                    self.server.stop()
                    raise TimeoutError(f"the gateway did not listen on {self.pg_port}\n{self.server.log_tail()}")
                time.sleep(0.05)

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.pg_port} dbname=lakehive user=bench"

    @property
    def uri(self) -> str:
        return self.server.uri

    @property
    def warehouse(self) -> str:
        return self.server.warehouse

    def stop(self) -> None:
        self.server.stop()


def pg_connect(dsn: str, **kwargs):
    """Autocommit, and no automatic server-side prepared statements: psycopg would otherwise switch
    a query to Parse/Bind/Execute of a named statement after 5 executions, and a benchmark's repeated
    runs would then time a different path than its first run."""
    import psycopg

    kwargs.setdefault("prepare_threshold", None)
    return psycopg.connect(dsn, autocommit=True, connect_timeout=30, **kwargs)


def hive_type(t) -> str:
    """The Hive DDL type for a pyarrow DataType."""
    import pyarrow as pa
    import pyarrow.types as pt

    if pt.is_int8(t):
        return "tinyint"
    if pt.is_int16(t):
        return "smallint"
    if pt.is_int32(t):
        return "int"
    if pt.is_int64(t):
        return "bigint"
    if pt.is_float32(t):
        return "float"
    if pt.is_float64(t):
        return "double"
    if pt.is_boolean(t):
        return "boolean"
    if pt.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    if pt.is_string(t) or pt.is_large_string(t) or (hasattr(pt, "is_string_view") and pt.is_string_view(t)):
        return "string"
    if pt.is_binary(t) or pt.is_large_binary(t) or (hasattr(pt, "is_binary_view") and pt.is_binary_view(t)):
        return "binary"
    if pt.is_date32(t) or pt.is_date64(t):
        return "date"
    if pt.is_timestamp(t):
        return "timestamp"
    if pt.is_dictionary(t):
        return hive_type(t.value_type)
    if pt.is_list(t) or pt.is_large_list(t):
        return f"array<{hive_type(t.value_type)}>"
    raise ValueError(f"no Hive type for arrow type {t} ({pa.__version__})")


def stats(times: Sequence[float]) -> Dict[str, Optional[float]]:
    if not times:
        return {"best": None, "median": None}
    return {"best": min(times), "median": statistics.median(times)}


def fmt_ms(v: Optional[float], width: int = 9) -> str:
    if v is None:
        return "-".rjust(width)
    if v >= 100:
        return f"{v:,.0f}".rjust(width)
    return f"{v:.1f}".rjust(width)


def fmt_ratio(v: Optional[float], width: int = 7) -> str:
    return ("-" if v is None else f"{v:.2f}x").rjust(width)


def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    if a is None or b is None or b <= 0:
        return None
    return a / b


def print_table(headers: List[str], rows: Iterable[List[str]], file=sys.stdout) -> None:
    rows = [list(map(str, r)) for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.rjust(w) for h, w in zip(headers, widths))
    print(line, file=file)
    print("-" * len(line), file=file)
    for r in rows:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths)), file=file)


def machine_info() -> Dict[str, Any]:
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "time": _dt.datetime.now().isoformat(timespec="seconds")}


def write_json(path: Path, payload: Dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")


# ---------------------------------------------------------------------------------------------
# result comparison

def _norm_cell(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float, decimal.Decimal)):
        return float(v)
    if isinstance(v, _dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    return str(v)


def normalize_rows(rows: Iterable[Sequence[Any]]) -> List[tuple]:
    return [tuple(_norm_cell(c) for c in r) for r in rows]


def _cell_eq(a: Any, b: Any, rel: float) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=rel, abs_tol=1e-6)
    return a == b


def _row_eq(a: tuple, b: tuple, rel: float) -> bool:
    return len(a) == len(b) and all(_cell_eq(x, y, rel) for x, y in zip(a, b))


def _sort_key(row: tuple):
    return tuple((0, "") if c is None else (1, round(c, 2)) if isinstance(c, float) else (2, str(c)) for c in row)


def rows_match(a: List[tuple], b: List[tuple], rel: float = 1e-4) -> Optional[str]:
    """None when the normalized result sets agree (in order, or as multisets when only tie order
    differs), else a short description of the first difference."""
    if len(a) != len(b):
        return f"row count {len(a)} != {len(b)}"
    if all(_row_eq(x, y, rel) for x, y in zip(a, b)):
        return None
    sa, sb = sorted(a, key=_sort_key), sorted(b, key=_sort_key)
    for i, (x, y) in enumerate(zip(sa, sb)):
        if not _row_eq(x, y, rel):
            return f"row {i} differs: {x!r} != {y!r}"
    return None
