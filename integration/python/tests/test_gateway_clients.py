"""Real PostgreSQL clients against the SQL gateway: psql (scripted), psycopg 3 (binary parameters and
results, SQLSTATEs, cancel), SQLAlchemy's inspector and pgjdbc's DatabaseMetaData.

Uses the session `gateway`: catalog database `sales` (orders: typed Parquet, customers) and the
table `default.gw_clicks` (JSON). Cancel tests use a private gateway each.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Dict, List

import pytest

from gateway_data import CUSTOMERS_DDL_COLUMNS, EVENTS_DDL_COLUMNS, ORDERS, ORDERS_DDL_COLUMNS
from gateway_fixtures import pg_connect
from hms_util import connect
from metastore_servers import rss_bytes

psycopg = pytest.importorskip("psycopg")
from psycopg import errors as pgerrors  # noqa: E402

JDBC_JAR = "/usr/share/java/postgresql.jar"
PROBE_SRC = Path(__file__).resolve().parents[1] / "jdbc" / "MetaProbe.java"
ORDER_COLUMNS = ["id", "customer", "amount", "price", "qty", "day", "ts", "paid"]


@pytest.fixture(scope="module")
def gw(gateway, fixture_data):
    """The session gateway with sales.orders, sales.customers and default.gw_clicks."""
    with pg_connect(gateway) as c:
        c.execute("CREATE DATABASE IF NOT EXISTS sales")
        c.execute(f"CREATE EXTERNAL TABLE sales.orders ({ORDERS_DDL_COLUMNS}) STORED AS PARQUET "
                  f"LOCATION '{fixture_data / 'orders'}'")
        c.execute(f"CREATE EXTERNAL TABLE sales.customers ({CUSTOMERS_DDL_COLUMNS}) STORED AS PARQUET "
                  f"LOCATION '{fixture_data / 'customers'}'")
        c.execute(f"CREATE EXTERNAL TABLE default.gw_clicks ({EVENTS_DDL_COLUMNS}) STORED AS JSONFILE "
                  f"LOCATION '{fixture_data / 'events'}'")
    return gateway


def psql_env(server, user: str = "tester", password: str = None, **extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(PGHOST=server.pg_host, PGPORT=str(server.pg_port), PGUSER=user, PGDATABASE="lakehive",
               PGCONNECT_TIMEOUT="30", PGAPPNAME="lakehive-tests")
    if password is not None:
        env["PGPASSWORD"] = password
    env.update(extra)
    return env


def psql(server, *args: str, check: bool = True, timeout: float = 120, **env_extra) -> subprocess.CompletedProcess:
    """`psql -X -A -t -v ON_ERROR_STOP=1 <args>` against the gateway."""
    cmd = ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", *args]
    out = subprocess.run(cmd, env=psql_env(server, **env_extra), capture_output=True, text=True, timeout=timeout)
    if check:
        assert out.returncode == 0 and "ERROR" not in out.stderr, \
            f"{' '.join(cmd)} failed ({out.returncode}):\nstdout:\n{out.stdout}\nstderr:\n{out.stderr}"
    return out


def lines(out: subprocess.CompletedProcess) -> List[str]:
    return [line for line in out.stdout.splitlines() if line.strip()]


def fields(out: subprocess.CompletedProcess) -> List[List[str]]:
    return [line.split("|") for line in lines(out)]


# ---------------------------------------------------------------------------------------------
# psql

def test_psql_query(gw):
    out = psql(gw, "-c", "select id, customer, amount, day from sales.orders where id <= 3 order by id")
    assert lines(out) == ["1|alice|12.50|2024-01-01", "2|bob|7.25|2024-01-01", "3|alice|30.00|2024-01-02"]


def test_psql_shows_times_as_postgres_does(gw):
    """No zero fraction on whole seconds, trailing zeros dropped otherwise (PostgreSQL's text form)."""
    out = psql(gw, "-c", "select ts from sales.orders where id in (2, 6) order by id")
    assert lines(out) == ["2024-01-01 11:30:00", "2024-01-03 23:59:59"]
    out = psql(gw, "-c", "select ts + interval '250 milliseconds', cast(ts as time) from sales.orders where id = 4")
    assert lines(out) == ["2024-01-02 18:45:30.25|18:45:30"]


def test_psql_multi_statement_and_script(gw):
    out = psql(gw, "-c", "select 1 as a; select 'two' as b")
    assert lines(out) == ["1", "two"]
    script = "\\set n 2\nselect count(*) from sales.orders where qty > :n;\nselect upper('ok');\n"
    out = subprocess.run(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-f", "-"], input=script, text=True,
                         env=psql_env(gw), capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert lines(out) == ["3", "OK"]


def test_psql_copy_exports_a_query(gw, tmp_path):
    """psql's \\copy sends COPY (query) TO STDOUT and writes the lines to a client-side file:
    CSV with a header (NULL empty, awkward values quoted), and the text format (NULL \\N, tabs
    escaped)."""
    target = tmp_path / "orders.csv"
    out = psql(gw, "-c", f"\\copy (select id, customer, amount, day, ts, customer || ',\"x\"' as odd "
                         f"from sales.orders where id in (2, 6) order by id) to '{target}' csv header")
    assert out.stdout.strip() == "COPY 2"
    assert target.read_text().splitlines() == [
        "id,customer,amount,day,ts,odd",
        '2,bob,7.25,2024-01-01,2024-01-01 11:30:00,"bob,""x"""',
        "6,,1.00,2024-01-03,2024-01-03 23:59:59,"]
    out = psql(gw, "-c", "\\copy (select id, customer, 'a' || chr(9) || 'b' as t from sales.orders "
                         "where id >= 5 order by id) to stdout")
    assert out.stdout.splitlines() == ["5\tdave\ta\\tb", "6\t\\N\ta\\tb"]
    with pg_connect(gw) as c:
        with c.cursor().copy("COPY sales.orders (id, customer) TO STDOUT WITH (FORMAT csv)") as copy:
            assert sorted(bytes(b).decode() for b in copy) == sorted(
                f"{o[0]},{o[1] or ''}\n" for o in ORDERS)
        with pytest.raises(pgerrors.Error):
            c.execute("COPY (SELECT 1) TO '/tmp/server-side-file'")


def test_psql_ddl_with_constraints_and_indexes(gw):
    """PostgreSQL DDL as people and tools write it: constraints are accepted and named in a
    NOTICE (Hive tables keep none), CREATE INDEX is checked against the table and reported as
    not kept; DEFAULT and SERIAL, which would change what INSERT stores, are refused."""
    script = ("CREATE DATABASE psql_ddl;\n"
              "CREATE TABLE psql_ddl.users (id BIGINT NOT NULL, email TEXT UNIQUE, "
              "CONSTRAINT users_pk PRIMARY KEY (id));\n"
              "CREATE INDEX users_email ON psql_ddl.users (email);\n"
              "INSERT INTO psql_ddl.users VALUES (1, 'a@x'), (2, NULL);\n"
              "SELECT count(*), count(email) FROM psql_ddl.users;\n")
    try:
        out = psql(gw, "-c", script)
        assert lines(out)[-1] == "2|1"
        assert ("NOTICE:  constraints are neither kept nor enforced (Hive tables have none): "
                "NOT NULL (id), UNIQUE (email), PRIMARY KEY (id)") in out.stderr
        assert "NOTICE:  Lakehive keeps no indexes: index \"users_email\" on psql_ddl.users" in out.stderr
        for bad, error in [("CREATE INDEX i ON psql_ddl.users (nope)", 'column "nope" does not exist'),
                           ("CREATE TABLE psql_ddl.t (a int DEFAULT 0)", "DEFAULT for column \"a\""),
                           ("CREATE TABLE psql_ddl.t (id serial)", "auto-incrementing")]:
            out = psql(gw, "-c", bad, check=False)
            assert out.returncode != 0 and error in out.stderr, (bad, out.stderr)
        assert lines(psql(gw, "-c", "SHOW TABLES IN psql_ddl")) == ["users"]
    finally:
        psql(gw, "-c", "DROP DATABASE IF EXISTS psql_ddl CASCADE")


def test_search_path_sets_the_current_schema(gw):
    """`SET search_path` (psql, DBeaver's schema switch, pgjdbc's setSchema) makes the first
    existing database current: unqualified names resolve there and current_schema() says so.
    Names that are not databases (`"$user"`, `public`) are passed over."""
    out = psql(gw, "-c", 'SET search_path TO "$user", public, sales; '
                         "SELECT count(*) FROM orders; SELECT current_schema()")
    assert lines(out)[-2:] == [str(len(ORDERS)), "sales"]
    with pg_connect(gw) as c:
        c.execute("SET search_path = 'sales'")
        assert c.execute("SELECT count(*) FROM customers").fetchone()[0] > 0
        assert c.execute("SHOW search_path").fetchone() == ("sales",)
        c.execute("SET search_path TO DEFAULT")
        assert c.execute("SELECT current_schema()").fetchone() == ("default",)
        with pytest.raises(pgerrors.UndefinedTable):
            c.execute("SELECT count(*) FROM customers")
        c.execute("SET search_path TO sales")
    # a new session starts in `default`, and says so before any SET
    with pg_connect(gw) as c:
        assert c.execute("SELECT current_schema()").fetchone() == ("default",)
    # the search path a client sends when connecting (libpq's options; pgjdbc's currentSchema
    # is checked with MetaProbe); as in PostgreSQL, one naming no database is not an error
    with pg_connect(gw, options="-c search_path=public,sales") as c:
        assert c.execute("SELECT current_schema(), count(*) FROM orders").fetchone() == ("sales", len(ORDERS))
    with pg_connect(gw, options="-c search_path=no_such_db") as c:
        assert c.execute("SELECT current_schema()").fetchone() == ("default",)


def test_psql_dt_lists_tables(gw):
    rows = fields(psql(gw, "-c", "\\dt"))
    assert ["default", "gw_clicks"] in [r[:2] for r in rows], rows
    row = next(r for r in rows if r[:2] == ["default", "gw_clicks"])
    assert row[2] in ("table", "partitioned table"), row

    rows = fields(psql(gw, "-c", "\\dt sales.*"))
    assert sorted(r[1] for r in rows if r[0] == "sales") == ["customers", "orders"], rows
    assert all(r[0] == "sales" for r in rows), rows


def test_psql_d_describes_a_table(gw):
    rows = fields(psql(gw, "-c", "\\d sales.orders"))
    assert [r[0] for r in rows] == ORDER_COLUMNS, rows
    types = dict((r[0], r[1]) for r in rows)
    assert types["id"] == "integer"
    assert types["customer"] in ("text", "character varying")
    assert types["amount"].startswith("numeric")
    assert types["price"] == "double precision"
    assert types["qty"] == "bigint"
    assert types["day"] == "date"
    assert types["ts"].startswith("timestamp")
    assert types["paid"] == "boolean"

    rows = fields(psql(gw, "-c", "\\d gw_clicks"))
    assert [(r[0], r[1]) for r in rows][:1] == [("id", "bigint")], rows
    assert [r[0] for r in rows] == ["id", "kind", "value", "ok"], rows


def test_psql_l_lists_the_database(gw):
    rows = fields(psql(gw, "-c", "\\l"))
    # name|owner|encoding|collate|ctype|...; a multi-line access-privileges cell adds short lines
    databases = [r[0] for r in rows if len(r) >= 5]
    assert "lakehive" in databases, rows


def test_psql_dn_lists_schemas(gw):
    names = [r[0] for r in fields(psql(gw, "-c", "\\dn"))]
    assert {"default", "sales"} <= set(names), names
    assert "pg_catalog" not in names and "information_schema" not in names, names


def test_psql_shows_sqlstate_and_goes_on(gw):
    script = ("\\set VERBOSITY verbose\n"
              "select * from sales.no_such_table;\n"
              "select 'still here';\n")
    out = subprocess.run(["psql", "-X", "-A", "-t", "-f", "-"], input=script, text=True, env=psql_env(gw),
                         capture_output=True, timeout=120)
    assert "42P01" in out.stderr, out.stderr
    assert lines(out) == ["still here"], (out.stdout, out.stderr)


@pytest.mark.timeout(900)
def test_psql_streams_ten_million_rows(gw):
    """10,000,000 rows through psql, counted by awk (never held in Python); the server's memory
    stays bounded while it streams."""
    env = psql_env(gw)
    cmd = "psql -X -A -t -v ON_ERROR_STOP=1 -c 'select * from generate_series(1, 10000000)' | awk 'END { print NR, $0 }'"
    base = rss_bytes(gw.pid)
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.wait(0.2):
            peak[0] = max(peak[0], rss_bytes(gw.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], env=env, capture_output=True, text=True,
                             timeout=850)
    finally:
        done.set()
        sampler.join()
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["10000000", "10000000"], (out.stdout, out.stderr[-2000:])
    grown = (peak[0] - base) / 2**20
    print(f"server RSS grew by {grown:.0f} MiB while streaming")
    assert grown < 1024, f"the server grew by {grown:.0f} MiB: it seems to hold the result"


# ---------------------------------------------------------------------------------------------
# psycopg 3

def test_server_identifies_as_postgresql_16(gw):
    with pg_connect(gw) as c:
        version = c.execute("select version()").fetchone()[0]
        assert version.startswith("PostgreSQL 16."), version
        assert c.execute("select pg_catalog.version()").fetchone()[0] == version
        assert 160000 <= c.info.server_version < 170000
        assert c.info.parameter_status("server_version").startswith("16")
        assert c.info.parameter_status("client_encoding") == "UTF8"
        assert c.info.parameter_status("DateStyle").startswith("ISO")
        assert c.info.parameter_status("integer_datetimes") == "on"
        assert c.info.parameter_status("standard_conforming_strings") == "on"


def test_session_commands_are_accepted(gw):
    with pg_connect(gw) as c:
        for sql in ("SET application_name = 'lakehive-tests'", "SET extra_float_digits = 3",
                    "SET statement_timeout = 0", "SET client_min_messages TO warning",
                    "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED",
                    "BEGIN", "COMMIT", "BEGIN READ ONLY", "ROLLBACK", "START TRANSACTION", "COMMIT",
                    "DEALLOCATE ALL", "DISCARD ALL"):
            c.execute(sql)
        assert c.execute("SHOW server_version").fetchone()[0].startswith("16")
        assert len(c.execute("SHOW transaction isolation level").fetchall()) == 1
        assert c.execute("SHOW standard_conforming_strings").fetchone()[0] == "on"
        assert c.execute("select count(*) from sales.orders").fetchone() == (6,)

    # psycopg's default (non-autocommit) mode wraps statements in BEGIN ... COMMIT/ROLLBACK
    with pg_connect(gw, autocommit=False) as c:
        assert c.execute("select count(*) from sales.customers").fetchone() == (4,)
        assert c.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        c.commit()
        assert c.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        c.execute("select 1")
        c.rollback()
        assert c.execute("select 2").fetchone() == (2,)
        c.commit()


def test_psycopg_prepared_statements_across_ddl(gw):
    """psycopg prepares a statement server-side once it has run prepare_threshold (5) times, and
    after DDL (a command tag starting with ALTER or DROP) it sends DEALLOCATE ALL and prepares
    again: the usual life of a pooled application connection."""
    with pg_connect(gw) as c:
        assert c.prepare_threshold == 5
        c.execute("CREATE DATABASE IF NOT EXISTS gw_prep")
        for i in range(8):
            assert c.execute("select count(*) from sales.orders where id > %s", (i,)).fetchone() == (max(6 - i, 0),)
            assert c.execute("select count(*) from sales.customers").fetchone() == (4,)
        c.execute("DROP TABLE IF EXISTS gw_prep.nothing")
        for i in range(8):
            assert c.execute("select count(*) from sales.orders where id > %s", (i,)).fetchone() == (max(6 - i, 0),)
        c.execute("DROP DATABASE gw_prep")
        assert c.execute("select count(*) from sales.customers").fetchone() == (4,)


@pytest.mark.parametrize("placeholder", ["%s", "%b"], ids=["auto-format", "binary-format"])
def test_binary_parameters_and_results(gw, placeholder):
    p = placeholder
    select = "select id, customer, amount, price, qty, day, ts, paid from sales.orders"
    with pg_connect(gw) as c, c.cursor(binary=True) as cur:
        cur.execute(f"{select} where id = {p}", (5,))
        row = cur.fetchone()
        assert row == ORDERS[4]
        assert [type(v) for v in row] == [int, str, Decimal, float, int, dt.date, dt.datetime, bool]
        assert cur.fetchone() is None

        def ids(where: str, value) -> List[int]:
            cur.execute(f"{select} where {where} order by id", (value,))
            return [r[0] for r in cur.fetchall()]

        assert ids(f"price > {p}", 9.99) == [3, 5]
        assert ids(f"customer = {p}", "alice") == [1, 3]
        assert ids(f"day = {p}", dt.date(2024, 1, 2)) == [3, 4]
        assert ids(f"ts < {p}", dt.datetime(2024, 1, 1, 12, 0)) == [1, 2]
        assert ids(f"amount = {p}", Decimal("7.25")) == [2]
        assert ids(f"paid = {p}", True) == [1, 3, 4]
        assert ids(f"qty >= {p}", 2**40) == []
        assert ids(f"id > {p}", -1) == [1, 2, 3, 4, 5, 6]
        # a parameter of another type than its column compares as PostgreSQL does, in the
        # wider type: never rounded to the column's scale or cut to an integer
        assert ids(f"amount > {p}", 12) == [1, 3, 5]
        assert ids(f"amount > {p}", 7.249) == [1, 2, 3, 5]
        assert ids(f"amount >= {p}", 30.001) == [5]
        assert ids(f"amount > {p}", Decimal("7.249")) == [1, 2, 3, 5]
        assert ids(f"id < {p}", Decimal("2.5")) == [1, 2]
        assert ids(f"amount > {p}", "7.249") == [1, 2, 3, 5]
        assert ids(f"id < {p}", 2.5) == [1, 2]
        assert ids(f"qty = {p}", 3.0) == [3, 4]
        assert ids(f"price > {p}", 9) == [3, 5]
        assert ids(f"day < {p}", dt.datetime(2024, 1, 2, 12, 0)) == [1, 2, 3, 4]

        cur.execute(f"{select} where id = {p}", (6,))  # NULLs in binary
        assert cur.fetchone() == ORDERS[5]

        cur.execute(f"select {p}::bigint + 1, upper({p}::text), {p}::date, {p}::numeric, NOT {p}::boolean, "
                    f"{p}::float8 / 2, {p}::timestamp",
                    (41, "abc", dt.date(2024, 2, 29), Decimal("12.345"), True, 5.0, dt.datetime(2024, 1, 1, 8, 30)))
        assert cur.fetchone() == (42, "ABC", dt.date(2024, 2, 29), Decimal("12.345"), False, 2.5,
                                  dt.datetime(2024, 1, 1, 8, 30))

        # several parameters, prepared and reused (a named server-side statement)
        for _ in range(3):
            cur.execute(f"{select} where customer = {p} and day >= {p} and paid = {p}",
                        ("alice", dt.date(2024, 1, 2), True), prepare=True)
            assert [r[0] for r in cur.fetchall()] == [3]


def test_text_results_with_parameters(gw):
    with pg_connect(gw) as c:
        rows = c.execute("select id, customer, amount, day, ts from sales.orders where id between %s and %s order by id",
                         (2, 3)).fetchall()
        assert rows == [(o[0], o[1], o[2], o[5], o[6]) for o in ORDERS[1:3]]
        rows = c.execute("select c.customer, c.country from sales.customers c where c.tier = %(tier)s order by 1",
                         {"tier": 1}).fetchall()
        assert rows == [("alice", "UK"), ("carol", "DE")]


ERRORS = [
    ("select * from sales.no_such_table", "42P01", pgerrors.UndefinedTable),
    ("selec 1", "42601", pgerrors.SyntaxError),
    ("select no_such_column from sales.orders", "42703", pgerrors.UndefinedColumn),
    ("show tables in no_such_db", "3F000", pgerrors.InvalidSchemaName),
    ("select id / 0 from sales.orders", "22012", pgerrors.DivisionByZero),
]


@pytest.mark.parametrize("sql,state,cls", ERRORS, ids=[e[1] for e in ERRORS])
def test_error_sqlstates(gw, sql, state, cls):
    with pg_connect(gw) as c:
        with pytest.raises(psycopg.Error) as err:
            c.execute(sql).fetchall()
        assert err.value.sqlstate == state, f"{sql}: {err.value.sqlstate} {err.value}"
        assert isinstance(err.value, cls)
        assert err.value.diag.message_primary, "an error without a message"
        assert c.execute("select 1").fetchone() == (1,)


def test_session_survives_errors(gw):
    with pg_connect(gw) as c:
        for sql, _, _ in ERRORS * 2:
            with pytest.raises(psycopg.Error):
                c.execute(sql).fetchall()
            assert not c.broken and not c.closed
        # the extended protocol, too
        with pytest.raises(psycopg.Error):
            c.execute("select * from sales.orders where no_such_column = %s", (1,)).fetchall()
        assert c.execute("select count(*) from sales.orders where id > %s", (3,)).fetchone() == (3,)

    with pg_connect(gw, autocommit=False) as c:
        with pytest.raises(pgerrors.UndefinedTable):
            c.execute("select * from sales.no_such_table")
        c.rollback()
        assert c.execute("select count(*) from sales.orders").fetchone() == (6,)
        c.commit()


class Watchdog:
    """Kills a private gateway that a test has lost control of: still busy `seconds` after the
    start (a cancel that never took effect) or past `max_rss` bytes (a result buffered instead of
    streamed), so that a failing test fails fast instead of starving the machine."""

    def __init__(self, server, seconds: float = 90, max_rss: int = 3 << 30):
        self.server, self.reason = server, None
        self._deadline = time.monotonic() + seconds
        self._max_rss = max_rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self):
        while not self._stop.wait(0.2):
            rss = rss_bytes(self.server.pid)
            if rss > self._max_rss:
                self.reason = f"the server grew to {rss >> 20} MiB: it buffers the result instead of streaming it"
            elif time.monotonic() > self._deadline:
                self.reason = "the query was still running long after the cancel request"
            if self.reason:
                self.server.kill()
                return

    def stop(self):
        self._stop.set()
        self._thread.join()


def expect_cancelled(server, conn, run, cancel_after: float = None) -> float:
    """Runs `run()` (which must end in QueryCanceled), cancelling `conn` after `cancel_after`
    seconds when given; returns the time taken."""
    dog = Watchdog(server)
    timer = threading.Timer(cancel_after, conn.cancel) if cancel_after is not None else None
    t0 = time.monotonic()
    outcome = None
    try:
        if timer:
            timer.start()
        run()
    except psycopg.Error as e:
        outcome = e
    finally:
        if timer:
            timer.cancel()
        dog.stop()
    assert dog.reason is None, dog.reason
    assert outcome is not None, "the query was not cancelled: it ran to its end"
    assert isinstance(outcome, pgerrors.QueryCanceled) and outcome.sqlstate == "57014", repr(outcome)
    return time.monotonic() - t0


@pytest.mark.timeout(240)
@pytest.mark.parametrize("protocol", ["simple", "extended"])
def test_cancel_a_running_query(fresh_gateway, protocol):
    with pg_connect(fresh_gateway) as c:
        assert c.execute("select 1").fetchone() == (1,)
        if protocol == "simple":
            def run():
                c.execute("select sum(value % 7) from generate_series(1, 20000000000)").fetchall()
        else:
            def run():
                c.execute("select sum(value %% %s) from generate_series(1, 20000000000)", (7,)).fetchall()
        elapsed = expect_cancelled(fresh_gateway, c, run, cancel_after=1.0)
        assert elapsed < 60, f"the cancel took {elapsed:.0f}s to stop the query"
        # the connection is still usable, and so is the server
        assert c.execute("select 40 + 2").fetchone() == (42,)
    with pg_connect(fresh_gateway) as c2:
        assert c2.execute("select 'ok'").fetchone() == ("ok",)


@pytest.mark.timeout(240)
def test_cancel_while_streaming_rows(fresh_gateway):
    """Cancel after rows have started to arrive (the query is past planning, in the row stream)."""
    total = 1_000_000_000
    with pg_connect(fresh_gateway) as c:
        received = 0

        def run():
            nonlocal received
            with c.cursor() as cur:
                for _ in cur.stream(f"select value from generate_series(1, {total})"):
                    received += 1
                    if received == 1000:
                        threading.Thread(target=c.cancel).start()

        expect_cancelled(fresh_gateway, c, run)
        assert 1000 <= received < total
        assert c.execute("select 7 * 6").fetchone() == (42,)


# ---------------------------------------------------------------------------------------------
# SQLAlchemy

def test_sqlalchemy_inspection_and_queries(gw):
    sqlalchemy = pytest.importorskip("sqlalchemy")
    from sqlalchemy import types as T

    engine = sqlalchemy.create_engine(gw.sqlalchemy_url())
    try:
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("select count(*) from sales.orders")).scalar() == 6
            rows = conn.execute(sqlalchemy.text("select id from sales.orders where customer = :c order by id"),
                                {"c": "alice"}).all()
            assert [r.id for r in rows] == [1, 3]

        insp = sqlalchemy.inspect(engine)
        assert {"default", "sales"} <= set(insp.get_schema_names())
        assert {"orders", "customers"} <= set(insp.get_table_names(schema="sales"))
        assert "gw_clicks" in insp.get_table_names(), "the default schema is `default`"
        assert insp.has_table("orders", schema="sales")
        assert not insp.has_table("no_such_table", schema="sales")
        # views are told apart from tables (Superset lists them separately)
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text("CREATE DATABASE inspect_views"))
            conn.execute(sqlalchemy.text("CREATE TABLE inspect_views.t AS SELECT 1 AS a"))
            conn.execute(sqlalchemy.text("CREATE VIEW inspect_views.v AS SELECT a FROM inspect_views.t"))
        try:
            insp = sqlalchemy.inspect(engine)
            assert insp.get_table_names(schema="inspect_views") == ["t"]
            assert insp.get_view_names(schema="inspect_views") == ["v"]
            assert [c["name"] for c in insp.get_columns("v", schema="inspect_views")] == ["a"]
        finally:
            with engine.begin() as conn:
                conn.execute(sqlalchemy.text("DROP DATABASE inspect_views CASCADE"))
    finally:
        engine.dispose()


def test_sqlalchemy_column_reflection(gw):
    sqlalchemy = pytest.importorskip("sqlalchemy")
    from sqlalchemy import types as T

    engine = sqlalchemy.create_engine(gw.sqlalchemy_url())
    try:
        insp = sqlalchemy.inspect(engine)
        cols = insp.get_columns("orders", schema="sales")
        assert [c["name"] for c in cols] == ORDER_COLUMNS
        types = {c["name"]: c["type"] for c in cols}
        assert isinstance(types["id"], T.Integer) and not isinstance(types["id"], T.BigInteger)
        assert isinstance(types["customer"], T.String)
        assert isinstance(types["amount"], T.Numeric) and not isinstance(types["amount"], T.Float)
        assert isinstance(types["price"], T.Float)
        assert isinstance(types["qty"], T.BigInteger)
        assert isinstance(types["day"], T.Date)
        assert isinstance(types["ts"], T.DateTime)
        assert isinstance(types["paid"], T.Boolean)
        assert all(c["nullable"] and c["default"] is None for c in cols)
    finally:
        engine.dispose()


def test_sqlalchemy_table_autoload(gw):
    """Table(autoload_with=) reflects columns, then keys, indexes, constraints and options
    (pg_index's vectors unnested, generate_subscripts, pg_class.reloptions, current_setting)."""
    sqlalchemy = pytest.importorskip("sqlalchemy")

    engine = sqlalchemy.create_engine(gw.sqlalchemy_url())
    try:
        orders = sqlalchemy.Table("orders", sqlalchemy.MetaData(), schema="sales", autoload_with=engine)
        assert [c.name for c in orders.columns][:3] == ["id", "customer", "amount"]
        assert list(orders.primary_key.columns) == [] and orders.indexes == set()
        assert orders.foreign_keys == set()
        inspector = sqlalchemy.inspect(engine)
        assert inspector.get_unique_constraints("orders", schema="sales") == []
        assert inspector.get_indexes("orders", schema="sales") == []
        assert inspector.get_pk_constraint("orders", schema="sales")["constrained_columns"] == []
        # a reflected table used in a Core query with bound parameters
        stmt = (sqlalchemy.select(orders.c.id, orders.c.amount)
                .where(orders.c.day == dt.date(2024, 1, 2), orders.c.amount > Decimal("5"))
                .order_by(orders.c.id))
        with engine.connect() as conn:
            assert conn.execute(stmt).all() == [(3, Decimal("30.00"))]
    finally:
        engine.dispose()


def test_psycopg_server_side_cursor(gw):
    """psycopg's named cursors (what pandas' chunked read_sql and Django's iterator use):
    DECLARE, a Describe of the cursor's portal for its columns, then FETCH FORWARD in
    batches. Map columns come as text here too."""
    with pg_connect(gw, autocommit=False) as c:
        with c.cursor(name="batches") as cur:
            cur.itersize = 2
            cur.execute("SELECT id, customer, map(['k'], [id]) AS m FROM sales.orders WHERE id <= %s ORDER BY id",
                        (5,))
            assert [d.name for d in cur.description] == ["id", "customer", "m"]
            assert list(cur) == [(o[0], o[1], f"{{k: {o[0]}}}") for o in ORDERS if o[0] <= 5]
        c.rollback()


def test_sqlalchemy_creates_and_fills_a_table(gw):
    """The path of pandas' to_sql and of ORM apps: metadata.create_all sends PostgreSQL DDL
    (TEXT, DOUBLE PRECISION, TIMESTAMP WITHOUT TIME ZONE, NUMERIC(10, 2)), stored as Hive
    types; inserting rows is an executemany of a parameterized INSERT with typed and NULL
    values; the table reflects and reads back."""
    import sqlalchemy as sa

    engine = sa.create_engine(gw.sqlalchemy_url())
    md = sa.MetaData(schema="made_by_sa")
    t = sa.Table("frame", md, sa.Column("id", sa.BigInteger), sa.Column("name", sa.Text),
                 sa.Column("amount", sa.Float(53)), sa.Column("day", sa.Date), sa.Column("ts", sa.DateTime),
                 sa.Column("ok", sa.Boolean), sa.Column("code", sa.String(8)), sa.Column("n", sa.Numeric(10, 2)),
                 sa.Column("i", sa.Integer))
    rows = [dict(id=1, name="it's", amount=1.5, day=dt.date(2024, 1, 1), ts=dt.datetime(2024, 1, 1, 10, 30),
                 ok=True, code="x", n=Decimal("0.05"), i=7),
            dict(id=2, name=None, amount=None, day=None, ts=None, ok=None, code=None, n=None, i=None)]
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE DATABASE made_by_sa"))
            md.create_all(conn)
            conn.execute(t.insert(), rows)
        with connect(gw) as hms:
            stored = [(c.name, c.type) for c in hms.get_table("made_by_sa", "frame").sd.cols]
        assert stored == [("id", "bigint"), ("name", "string"), ("amount", "double"), ("day", "date"),
                          ("ts", "timestamp"), ("ok", "boolean"), ("code", "varchar(8)"),
                          ("n", "decimal(10,2)"), ("i", "int")]
        with engine.connect() as conn:
            assert [r._asdict() for r in conn.execute(sa.select(t).order_by(t.c.id))] == rows
            cols = sa.inspect(conn).get_columns("frame", schema="made_by_sa")
            assert [c["name"] for c in cols] == [c.name for c in t.columns]
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS made_by_sa CASCADE"))
        engine.dispose()


def test_pandas_to_sql_and_read_sql(gw):
    """pandas with its defaults: to_sql creates the table, indexes the frame's index (CREATE
    INDEX, which the gateway checks and then reports as not kept) and inserts by executemany;
    then replace, and append in chunks of multi-row INSERTs; read_sql whole and in chunks
    (SQLAlchemy streams those through a server-side cursor)."""
    import pandas as pd
    import sqlalchemy as sa

    def rows(df):
        return [tuple(None if pd.isna(v) else v for v in r) for r in df.itertuples(index=False)]

    engine = sa.create_engine(gw.sqlalchemy_url())
    frame = pd.DataFrame({"n": [1, 2, 3], "name": ["a", None, "it's"], "x": [1.5, None, -2.0],
                          "ts": [pd.Timestamp("2024-01-01 10:30"), pd.NaT, pd.Timestamp("2024-03-01")],
                          "ok": [True, False, True]})
    db = "made_by_pandas"
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {db}"))
        frame.to_sql("frame", engine, schema=db)
        first = pd.read_sql(f"SELECT * FROM {db}.frame ORDER BY n", engine)
        assert list(first.columns) == ["index", *frame.columns]
        assert rows(first) == [(i, *r) for i, r in enumerate(rows(frame))]

        frame.to_sql("frame", engine, schema=db, if_exists="replace", index=False)
        frame.to_sql("frame", engine, schema=db, if_exists="append", index=False, method="multi",
                     chunksize=2)
        with connect(gw) as hms:
            stored = [(c.name, c.type) for c in hms.get_table(db, "frame").sd.cols]
        assert stored == [("n", "bigint"), ("name", "string"), ("x", "double"), ("ts", "timestamp"),
                          ("ok", "boolean")]
        back = pd.read_sql(f"SELECT * FROM {db}.frame ORDER BY n, ok", engine)
        assert rows(back) == sorted(rows(frame) * 2, key=lambda r: r[0])
        chunks = list(pd.read_sql(f"SELECT * FROM {db}.frame ORDER BY n", engine, chunksize=4))
        assert [len(c) for c in chunks] == [4, 2]
        assert rows(pd.concat(chunks)) == rows(back)
        assert rows(pd.read_sql_table("frame", engine, schema=db).sort_values("n")) == rows(back)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {db} CASCADE"))
        engine.dispose()


# ---------------------------------------------------------------------------------------------
# pgjdbc

@pytest.fixture(scope="module")
def meta_probe(tmp_path_factory) -> Path:
    javac = shutil.which("javac")
    assert javac, "javac is needed for the pgjdbc test (scripts/setup.sh installs a JDK)"
    assert Path(JDBC_JAR).is_file(), f"{JDBC_JAR} is missing (scripts/setup.sh installs libpostgresql-jdbc-java)"
    out = tmp_path_factory.mktemp("jdbc")
    subprocess.run([javac, "-d", str(out), str(PROBE_SRC)], check=True, capture_output=True, timeout=300)
    return out


@pytest.mark.timeout(600)
def test_jdbc_database_metadata(gw, meta_probe):
    out = subprocess.run(["java", "-cp", f"{JDBC_JAR}:{meta_probe}", "MetaProbe", gw.jdbc_url(), "tester",
                          "sales", "orders"], capture_output=True, text=True, timeout=500)
    assert out.returncode == 0 and out.stdout.rstrip().endswith("DONE"), \
        f"MetaProbe failed ({out.returncode}):\n{out.stdout}\n{out.stderr}"
    facts: Dict[str, List[List[str]]] = {}
    for line in out.stdout.splitlines():
        tag, *rest = line.split("\t")
        facts.setdefault(tag, []).append(rest)

    name, version, major = facts["PRODUCT"][0]
    assert name == "PostgreSQL" and version.startswith("16") and major == "16", facts["PRODUCT"]

    schemas = [r[0] for r in facts["SCHEMA"]]
    assert {"default", "sales"} <= set(schemas), schemas

    tables = {(r[0], r[1]): r[2] for r in facts["TABLE"]}
    assert {("sales", "orders"), ("sales", "customers")} <= set(tables), tables
    assert all(s == "sales" for s, _ in tables), tables
    assert "TABLE" in tables[("sales", "orders")], tables

    cols = facts["COLUMN"]
    assert [(c[0], c[1], c[2]) for c in cols] == [("sales", "orders", n) for n in ORDER_COLUMNS], cols
    assert [int(c[5]) for c in cols] == list(range(1, 9))
    type_names = [c[3] for c in cols]
    assert type_names[0] == "int4" and type_names[1] in ("text", "varchar"), type_names
    assert type_names[2:] == ["numeric", "float8", "int8", "date", "timestamp", "bool"], type_names
    java_types = [int(c[4]) for c in cols]  # java.sql.Types
    assert java_types[0] == 4 and java_types[2:] == [2, 8, -5, 91, 93, -7], java_types

    qcols = facts["QCOL"]
    assert [c[0] for c in qcols] == ["id", "customer", "amount", "day"], qcols
    assert (qcols[0][1], qcols[2][1], qcols[3][1]) == ("int4", "numeric", "date") and qcols[1][1] in ("text", "varchar")
    assert facts["ROW"] == [[str(o[0]), o[1] if o[1] is not None else "NULL", f"{o[2]:.2f}", o[5].isoformat()]
                            for o in ORDERS]

    runs: Dict[str, List[list]] = {}
    for r in facts["PROW"]:
        values = r[1:]
        values[3] = float(values[3])  # pgjdbc prints a binary float8 10 as "10.0", a text one as "10"
        # Known gap: text-format timestamps carry a zero fraction (".000000") that PostgreSQL
        # omits; the instant is the same, so compare without it.
        values[5] = values[5].removesuffix(".000000")
        runs.setdefault(r[0], []).append(values)
    assert sorted(runs, key=int) == [str(i) for i in range(1, 8)]
    first = runs["1"]
    assert [r[:3] for r in first] == [["1", "alice", "12.50"], ["2", "bob", "7.25"], ["3", "alice", "30.00"]]
    assert all(rows == first for rows in runs.values()), f"server-prepared/binary runs differ:\n{runs}"
    assert facts["CLASS"][0] == ["java.lang.Integer", "java.lang.String", "java.math.BigDecimal", "java.lang.Double",
                                 "java.sql.Date", "java.sql.Timestamp", "java.lang.Boolean"]
    # amount > 7.249 (not rounded to 7.25) and id < 4.5 (not cut to 4): orders 1, 2, 3
    assert facts["MIXED"] == [[str(run), "1", "2", "3"] for run in range(1, 8)], facts["MIXED"]
    assert facts["INSERTED"] == [["1"]] * 7
    assert facts["IROW"] == [["0", "x", "1.50", "2024-01-01"]] + [
        [str(i), "NULL" if i == 3 else f"it's {i}", f"0.0{i}" if i % 2 == 0 else f"1{i}.00", f"2024-02-0{i}"]
        for i in range(1, 8)]
    assert facts["ERROR"] == [["42P01"]]
    assert facts["AFTER"] == [["6"]]
    assert facts["SCHEMA_NOW"] == [["default"]]
    assert facts["CURRENT"] == [["sales", "6"]]
