"""The SQL gateway over s3:// locations on a real S3-compatible server (moto_server).

Starts `moto_server` on a free port, fills a bucket with boto3 (a Hive-partitioned Parquet dataset,
a CSV file with a header line), then starts `lakehive serve --pg-addr ... --pg-trust` with the
standard AWS_* variables pointing at moto, and drives it with psycopg 3:
CREATE EXTERNAL TABLE over s3://, MSCK REPAIR TABLE, partition filters, ALTER TABLE ADD PARTITION
LOCATION, CTAS with external_location + partitioned_by (objects checked in the bucket, read back),
and an unreachable endpoint (a clean SQL error; the session keeps working).
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from gateway_fixtures import pg_connect, require_gateway_binary
from java_hms import _pdeathsig, free_port, port_open

psycopg = pytest.importorskip("psycopg")
boto3 = pytest.importorskip("boto3")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

pytestmark = pytest.mark.timeout(300)

BUCKET = "lakehive-it"
REGION = "us-east-1"
KEY_ID = "lakehive-test-key"
SECRET = "lakehive-test-secret"

# The partitioned dataset: k -> [(id, name, amount)]
SALES: Dict[str, List[tuple]] = {
    "a": [(1, "apple", 1.5), (2, "avocado", 2.25)],
    "b": [(3, "banana", 0.5), (4, "blueberry", 4.0), (5, "broccoli", 3.75)],
    "c": [(6, "cherry", 6.5)],
}
PEOPLE_CSV = "id,name,city\n1,Ada,London\n2,Grace,Arlington\n3,Linus,Helsinki\n"


# ---------------------------------------------------------------------------------------------
# servers

class MotoServer:
    """`moto_server -H 127.0.0.1 -p <port>` (an in-memory S3), stopped with SIGTERM."""

    def __init__(self, log_path: Path):
        exe = Path(sys.executable).parent / "moto_server"
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "moto.server"]
        self.port = free_port()
        self.log_path = log_path
        self.endpoint = f"http://127.0.0.1:{self.port}"
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen([*cmd, "-H", "127.0.0.1", "-p", str(self.port)], stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, preexec_fn=_pdeathsig)
        deadline = time.monotonic() + 60
        while not port_open("127.0.0.1", self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"moto_server did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.05)

    def client(self):
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION, aws_access_key_id=KEY_ID,
                            aws_secret_access_key=SECRET, config=Config(s3={"addressing_style": "path"}))

    def env(self) -> Dict[str, Optional[str]]:
        """What the lakehive server needs to reach this endpoint (object_store's from_env names);
        None unsets a variable that could point it at other credentials."""
        return {"AWS_PROFILE": None, "AWS_SESSION_TOKEN": None, "AWS_CONFIG_FILE": None,
                "AWS_SHARED_CREDENTIALS_FILE": None,
                "AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT": self.endpoint, "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_ALLOW_HTTP": "true", "AWS_EC2_METADATA_DISABLED": "true"}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---------------------------------------------------------------------------------------------
# fixtures

def _parquet_bytes(rows: List[tuple]) -> bytes:
    table = pa.table({"id": pa.array([r[0] for r in rows], pa.int64()),
                      "name": pa.array([r[1] for r in rows], pa.string()),
                      "amount": pa.array([r[2] for r in rows], pa.float64())})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    require_gateway_binary()
    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def s3(moto):
    client = moto.client()
    client.create_bucket(Bucket=BUCKET)
    for k, rows in SALES.items():
        client.put_object(Bucket=BUCKET, Key=f"data/sales/k={k}/part-00000.parquet", Body=_parquet_bytes(rows))
    # Writers' markers and hidden files that a scan and MSCK must skip.
    client.put_object(Bucket=BUCKET, Key="data/sales/_SUCCESS", Body=b"")
    client.put_object(Bucket=BUCKET, Key="data/sales/k=a/.part-00000.parquet.crc", Body=b"not parquet")
    client.put_object(Bucket=BUCKET, Key="data/people/people.csv", Body=PEOPLE_CSV.encode())
    # A partition kept outside the table's folder (ALTER TABLE ADD PARTITION ... LOCATION).
    client.put_object(Bucket=BUCKET, Key="elsewhere/zz/part-00000.parquet", Body=_parquet_bytes([(99, "zucchini", 9.0)]))
    return client


@pytest.fixture(scope="module")
def s3_gateway(module_gateway_factory, moto, s3):
    return module_gateway_factory.start("s3", env=moto.env())


@pytest.fixture
def conn(s3_gateway):
    c = pg_connect(s3_gateway)
    yield c
    c.close()


@pytest.fixture(scope="module")
def sales(s3_gateway):
    """s3db.sales over s3://.../data/sales/, partitions registered by MSCK REPAIR TABLE."""
    with pg_connect(s3_gateway) as c:
        c.execute("CREATE DATABASE IF NOT EXISTS s3db")
        c.execute(f"CREATE EXTERNAL TABLE s3db.sales (id bigint, name string, amount double) "
                  f"PARTITIONED BY (k string) STORED AS PARQUET LOCATION 's3://{BUCKET}/data/sales/'")
        assert c.execute("SELECT count(*) FROM s3db.sales").fetchall() == [(0,)], "no partitions before MSCK"
        c.execute("MSCK REPAIR TABLE s3db.sales")
    return "s3db.sales"


def q(conn, sql: str) -> List[tuple]:
    return conn.execute(sql).fetchall()


def all_sales() -> List[tuple]:
    return sorted((i, n, a, k) for k, rows in SALES.items() for (i, n, a) in rows)


# ---------------------------------------------------------------------------------------------
# tests

def test_msck_repair_registers_s3_partitions(conn, sales):
    parts = sorted(r[0] for r in q(conn, f"SHOW PARTITIONS {sales}"))
    assert parts == ["k=a", "k=b", "k=c"]


def test_query_s3_partitioned_parquet(conn, sales):
    assert q(conn, f"SELECT id, name, amount, k FROM {sales} ORDER BY id") == all_sales()
    assert q(conn, f"SELECT id, name, amount FROM {sales} WHERE k = 'b' ORDER BY id") == SALES["b"]
    assert q(conn, f"SELECT k, count(*), sum(amount) FROM {sales} WHERE k IN ('a', 'c') GROUP BY k ORDER BY k") == [
        ("a", 2, 3.75), ("c", 1, 6.5)]
    assert q(conn, f"SELECT count(*) FROM {sales} WHERE k = 'nope'") == [(0,)]
    assert q(conn, f"SELECT name FROM {sales} WHERE k = 'b' AND amount > 1 ORDER BY name") == [
        ("blueberry",), ("broccoli",)]


def test_query_s3_csv_with_header(conn, s3_gateway):
    conn.execute("CREATE DATABASE IF NOT EXISTS s3db")
    conn.execute(f"CREATE EXTERNAL TABLE s3db.people (id int, name string, city string) "
                 f"ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' STORED AS TEXTFILE "
                 f"LOCATION 's3://{BUCKET}/data/people/' TBLPROPERTIES ('skip.header.line.count'='1')")
    assert q(conn, "SELECT id, name, city FROM s3db.people ORDER BY id") == [
        (1, "Ada", "London"), (2, "Grace", "Arlington"), (3, "Linus", "Helsinki")]
    assert q(conn, "SELECT name FROM s3db.people WHERE city = 'Helsinki'") == [("Linus",)]


def test_add_partition_with_own_s3_location(conn, sales):
    conn.execute(f"ALTER TABLE {sales} ADD PARTITION (k='z') LOCATION 's3://{BUCKET}/elsewhere/zz/'")
    try:
        assert q(conn, f"SELECT id, name, amount, k FROM {sales} WHERE k = 'z'") == [(99, "zucchini", 9.0, "z")]
        assert q(conn, f"SELECT count(*) FROM {sales}") == [(len(all_sales()) + 1,)]
    finally:
        conn.execute(f"ALTER TABLE {sales} DROP PARTITION (k='z')")
    assert q(conn, f"SELECT count(*) FROM {sales}") == [(len(all_sales()),)]


def _keys(s3, prefix: str) -> List[str]:
    out, token = [], None
    while True:
        kw = {"Bucket": BUCKET, "Prefix": prefix}
        if token:
            kw["ContinuationToken"] = token
        resp = s3.list_objects_v2(**kw)
        out += [o["Key"] for o in resp.get("Contents", [])]
        if not resp.get("IsTruncated"):
            return sorted(out)
        token = resp["NextContinuationToken"]


def _read_parquet_object(s3, key: str):
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return pq.read_table(io.BytesIO(body))


def test_ctas_writes_partitioned_parquet_to_s3(conn, sales, s3):
    conn.execute(f"CREATE TABLE s3db.sales_out WITH (format='PARQUET', external_location='s3://{BUCKET}/out/', "
                 f"partitioned_by=ARRAY['k']) AS SELECT id, name, amount, k FROM {sales}")
    keys = _keys(s3, "out/")
    data_keys = [k for k in keys if not k.rsplit("/", 1)[-1].startswith(("_", "."))]
    assert data_keys, f"CTAS wrote nothing under s3://{BUCKET}/out/: {keys}"
    dirs = sorted({k.rsplit("/", 1)[0] for k in data_keys})
    assert dirs == ["out/k=a", "out/k=b", "out/k=c"], keys

    # The objects are Parquet holding the data columns of their partition.
    got = []
    for key in data_keys:
        t = _read_parquet_object(s3, key)
        k = key.split("/")[1].split("=", 1)[1]
        cols = t.to_pydict()
        got += [(i, n, a, k) for i, n, a in zip(cols["id"], cols["name"], cols["amount"])]
        assert "k" not in t.column_names or set(cols["k"]) <= {k}
    assert sorted(got) == all_sales()

    # Registered: partitions in the catalog, and the table reads back through the gateway.
    assert sorted(r[0] for r in q(conn, "SHOW PARTITIONS s3db.sales_out")) == ["k=a", "k=b", "k=c"]
    assert q(conn, "SELECT id, name, amount, k FROM s3db.sales_out ORDER BY id") == all_sales()
    assert q(conn, "SELECT id FROM s3db.sales_out WHERE k = 'c'") == [(6,)]


def test_ctas_writes_partitioned_orc_to_s3(conn, sales, s3):
    """ORC files go up as multipart uploads; Apache ORC's C++ reader (pyarrow) reads them."""
    import pyarrow.orc as orc
    conn.execute(f"CREATE TABLE s3db.sales_orc WITH (format='ORC', external_location='s3://{BUCKET}/orc/', "
                 f"partitioned_by=ARRAY['k']) AS SELECT id, name, CAST(amount AS DECIMAL(9, 2)) AS price, "
                 f"make_array(id) AS ids, k FROM {sales}")
    keys = [k for k in _keys(s3, "orc/") if k.endswith(".orc")]
    assert sorted({k.rsplit("/", 1)[0] for k in keys}) == ["orc/k=a", "orc/k=b", "orc/k=c"], keys
    got = []
    for key in keys:
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        t = orc.ORCFile(io.BytesIO(body)).read().to_pydict()
        got += [(i, n, float(p), ids) for i, n, p, ids in zip(t["id"], t["name"], t["price"], t["ids"])]
    assert sorted(got) == sorted((i, n, a, [i]) for i, n, a, _ in all_sales())
    assert q(conn, "SELECT id, name, k FROM s3db.sales_orc ORDER BY id") == [(i, n, k) for i, n, _, k in all_sales()]


def test_ctas_into_s3_database_location(conn, sales, s3):
    conn.execute(f"CREATE DATABASE s3wh LOCATION 's3://{BUCKET}/warehouse/s3wh.db'")
    conn.execute(f"CREATE TABLE s3wh.cheap AS SELECT id, name FROM {sales} WHERE amount < 2")
    keys = [k for k in _keys(s3, "warehouse/s3wh.db/cheap/") if k.endswith(".parquet")]
    assert keys, _keys(s3, "warehouse/")
    assert q(conn, "SELECT id, name FROM s3wh.cheap ORDER BY id") == [(1, "apple"), (3, "banana")]


def test_unreachable_storage_is_a_clean_sql_error(gateway_factory, tmp_path):
    """A table on an S3 endpoint that has gone away: the query fails with an SQL error within a
    bounded time, and the same session goes on working."""
    moto = MotoServer(tmp_path / "moto2.log")
    try:
        client = moto.client()
        client.create_bucket(Bucket="gone")
        client.put_object(Bucket="gone", Key="t/part-0.parquet", Body=_parquet_bytes([(1, "x", 1.0)]))
        client.put_object(Bucket="gone", Key="u/part-0.parquet", Body=_parquet_bytes([(2, "y", 2.0)]))
        gw = gateway_factory.start("gone", env=moto.env())
        with pg_connect(gw) as c:
            c.execute("CREATE DATABASE gone")
            c.execute("CREATE EXTERNAL TABLE gone.t (id bigint, name string, amount double) "
                      "STORED AS PARQUET LOCATION 's3://gone/t/'")
            c.execute("CREATE EXTERNAL TABLE gone.u (id bigint, name string, amount double) "
                      "STORED AS PARQUET LOCATION 's3://gone/u/'")
            assert q(c, "SELECT id, name FROM gone.t") == [(1, "x")]

            moto.stop()
            t0 = time.monotonic()
            with pytest.raises(psycopg.Error) as err:
                q(c, "SELECT id, name FROM gone.u")
            elapsed = time.monotonic() - t0
            e = err.value
            assert not isinstance(e, psycopg.OperationalError) or not c.broken, f"the connection broke: {e!r}"
            assert e.sqlstate, f"no SQLSTATE on {e!r}"
            assert not e.sqlstate.startswith("08"), e.sqlstate
            assert str(e).strip(), "an empty error message"
            assert elapsed < 120, f"the error took {elapsed:.0f}s"
            # The session survives.
            assert not c.closed and not c.broken
            assert q(c, "SELECT 1 + 1") == [(2,)]
            assert ("gone",) in [tuple(r[:1]) for r in q(c, "SHOW DATABASES")]
        assert gw.alive(), gw.log_tail()
    finally:
        moto.stop()
