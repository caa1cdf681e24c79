"""Gateway security: users from the configuration file with passwords (SCRAM-SHA-256), users
limited to some databases and read-only (everything else is SQLSTATE 42501), verifiers from
`lakehive pg-password`, and TLS.

The module's gateway runs without --pg-trust, with this configuration:
- alice: password from the environment variable LAKEHIVE_IT_ALICE_PW, all databases, read-write;
- bob: password from LAKEHIVE_IT_BOB_PW, only database `sales`, read-only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from gateway_data import ORDERS_DDL_COLUMNS, SALES_DDL_COLUMNS
from gateway_fixtures import pg_connect, require_gateway_binary

psycopg = pytest.importorskip("psycopg")

ALICE_PW = "alice-S3cret-pw"
BOB_PW = "bob-S3cret-pw"
CAROL_PW = "carol-S3cret-pw"

# no trust, and alice with all rights; each configuration below adds its users
ALICE_CONFIG = """
[gateway]
trust = false

[[gateway.users]]
name = "alice"
password_env = "LAKEHIVE_IT_ALICE_PW"
"""
CONFIG = ALICE_CONFIG + """
[[gateway.users]]
name = "bob"
password_env = "LAKEHIVE_IT_BOB_PW"
databases = ["sales"]
read_only = true
"""
ENV = {"LAKEHIVE_IT_ALICE_PW": ALICE_PW, "LAKEHIVE_IT_BOB_PW": BOB_PW}


@pytest.fixture(autouse=True)
def _no_client_password_sources(monkeypatch, tmp_path):
    """libpq must not find a password anywhere but in the test's own connection string."""
    for var in ("PGPASSWORD", "PGPASSFILE", "PGSERVICE", "PGSSLMODE", "PGUSER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))


@pytest.fixture(scope="module")
def auth_gw(module_gateway_factory, fixture_data):
    server = module_gateway_factory.start("auth", trust=False, config=CONFIG, env=ENV)
    with connect_as(server, "alice", ALICE_PW) as c:
        for db in ("sales", "other"):
            c.execute(f"CREATE DATABASE {db}")
            c.execute(f"CREATE EXTERNAL TABLE {db}.orders ({ORDERS_DDL_COLUMNS}) STORED AS PARQUET "
                      f"LOCATION '{fixture_data / 'orders'}'")
        c.execute(f"CREATE EXTERNAL TABLE sales.sales ({SALES_DDL_COLUMNS}) PARTITIONED BY (year int, month string) "
                  f"STORED AS PARQUET LOCATION '{fixture_data / 'sales'}'")
        c.execute("MSCK REPAIR TABLE sales.sales")
    return server


def connect_as(server, user: str, password: str = None, **params):
    return pg_connect(server, user=user, password=password, **params)


def refused(server, user: str, password: str = None, **params) -> str:
    """Connects, expecting the login to be refused; returns the message."""
    with pytest.raises(psycopg.OperationalError) as err:
        connect_as(server, user, password, **params).close()
    return str(err.value)


# ---------------------------------------------------------------------------------------------
# passwords

def test_configured_users_log_in(auth_gw):
    with connect_as(auth_gw, "alice", ALICE_PW) as c:
        assert c.execute("select current_user").fetchone() == ("alice",)
        assert c.execute("select count(*) from other.orders").fetchone() == (6,)
    with connect_as(auth_gw, "bob", BOB_PW) as c:
        assert c.execute("select current_user").fetchone() == ("bob",)
        assert c.execute("select count(*) from sales.orders").fetchone() == (6,)


@pytest.mark.parametrize("user,password", [
    ("alice", "wrong-password"),
    ("alice", BOB_PW),
    ("alice", ALICE_PW.upper()),
    ("bob", ALICE_PW),
    ("mallory", ALICE_PW),
], ids=["wrong", "another-users", "case", "bob-with-alices", "unknown-user"])
def test_wrong_passwords_are_refused(auth_gw, user, password):
    message = refused(auth_gw, user, password)
    assert "password" in message.lower() or "authentication" in message.lower() or "28P01" in message, message
    # the server goes on serving
    with connect_as(auth_gw, "alice", ALICE_PW) as c:
        assert c.execute("select 1").fetchone() == (1,)


def test_no_password_is_refused(auth_gw):
    """Without --pg-trust nobody gets in without a password, known user or not."""
    refused(auth_gw, "alice")
    refused(auth_gw, "mallory")
    refused(auth_gw, "tester")


def test_passwords_are_not_logged(auth_gw):
    refused(auth_gw, "alice", "wrong-password")
    with connect_as(auth_gw, "alice", ALICE_PW) as c:
        c.execute("select 1")
    log = auth_gw.log_path.read_text(errors="replace")
    assert ALICE_PW not in log and BOB_PW not in log, "a password appears in the server log"


# ---------------------------------------------------------------------------------------------
# database limits and read-only users

BOB_DENIED: List[Tuple[str, str]] = [
    ("create-table", "CREATE EXTERNAL TABLE sales.bobs (id int) STORED AS PARQUET LOCATION '/tmp'"),
    ("create-database", "CREATE DATABASE bobs"),
    ("insert", "INSERT INTO sales.orders SELECT * FROM sales.orders"),
    ("ctas", "CREATE TABLE sales.copy AS SELECT * FROM sales.orders"),
    ("select-into", "SELECT * INTO sales.copy FROM sales.orders"),
    ("prepare-insert", "PREPARE p AS INSERT INTO sales.orders SELECT * FROM sales.orders"),
    ("add-partition", "ALTER TABLE sales.sales ADD PARTITION (year=2030, month='01')"),
    ("msck", "MSCK REPAIR TABLE sales.sales SYNC PARTITIONS"),
    ("add-columns", "ALTER TABLE sales.orders ADD COLUMNS (extra int)"),
    ("set-properties", "ALTER TABLE sales.orders SET TBLPROPERTIES ('k' = 'v')"),
    ("rename", "ALTER TABLE sales.orders RENAME TO sales.orders2"),
    ("create-index", "CREATE INDEX ix ON sales.orders (id)"),
    ("create-view", "CREATE VIEW sales.v AS SELECT 1"),
    ("drop-view", "DROP VIEW IF EXISTS sales.v"),
    ("other-select", "SELECT count(*) FROM other.orders"),
    ("other-join", "SELECT count(*) FROM sales.orders s JOIN other.orders o ON s.id = o.id"),
    ("other-subquery", "SELECT count(*) FROM sales.orders WHERE id IN (SELECT id FROM other.orders)"),
    ("other-show-tables", "SHOW TABLES IN other"),
    ("other-describe", "DESCRIBE other.orders"),
    ("other-show-columns", "SHOW COLUMNS IN other.orders"),
    # destructive ones last
    ("drop-partition", "ALTER TABLE sales.sales DROP PARTITION (year=2024, month='01')"),
    ("drop-table", "DROP TABLE sales.orders"),
    ("drop-database", "DROP DATABASE sales CASCADE"),
]


@pytest.mark.parametrize("sql", [s for _, s in BOB_DENIED], ids=[i for i, _ in BOB_DENIED])
def test_bob_is_denied(auth_gw, sql):
    with connect_as(auth_gw, "bob", BOB_PW) as c:
        with pytest.raises(psycopg.Error) as err:
            c.execute(sql).fetchall()
        assert err.value.sqlstate == "42501", f"{sql}: {err.value.sqlstate} {err.value}"
        assert isinstance(err.value, psycopg.errors.InsufficientPrivilege)
        # the session goes on
        assert c.execute("select count(*) from sales.orders").fetchone() == (6,)


def test_bob_reads_his_database(auth_gw):
    with connect_as(auth_gw, "bob", BOB_PW) as c:
        assert c.execute("select count(*), sum(qty) from sales.sales where year = 2024").fetchone() == (4, 9)
        assert sorted(r[0] for r in c.execute("SHOW TABLES IN sales")) == ["orders", "sales"]
        assert [r[0].strip() for r in c.execute("DESCRIBE sales.orders")][:2] == ["id", "customer"]
        assert sorted(r[0] for r in c.execute("SHOW PARTITIONS sales.sales")) == [
            "year=2023/month=12", "year=2024/month=01", "year=2024/month=02"]
        dbs = [r[0] for r in c.execute("SHOW DATABASES")]
        assert "sales" in dbs and "other" not in dbs, dbs
        # read-only statements of a session are fine
        for sql in ("BEGIN", "COMMIT", "SET application_name = 'bob'", "DISCARD ALL"):
            c.execute(sql)
        assert c.execute("select id from sales.orders where id = %s", (4,)).fetchone() == (4,)


def test_nothing_bob_tried_happened(auth_gw):
    with connect_as(auth_gw, "bob", BOB_PW) as c:  # once more, all on one connection
        for _, sql in BOB_DENIED:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute(sql).fetchall()
    with connect_as(auth_gw, "alice", ALICE_PW) as c:
        assert sorted(r[0] for r in c.execute("SHOW DATABASES")) == ["default", "other", "sales"]
        assert sorted(r[0] for r in c.execute("SHOW TABLES IN sales")) == ["orders", "sales"]
        assert c.execute("select count(*) from sales.orders").fetchone() == (6,)
        assert sorted(r[0] for r in c.execute("SHOW PARTITIONS sales.sales")) == [
            "year=2023/month=12", "year=2024/month=01", "year=2024/month=02"]


# ---------------------------------------------------------------------------------------------
# SCRAM verifiers in the configuration

def pg_password(password: str, stdin: bool = False) -> str:
    """`lakehive pg-password`, with the password as an argument or on standard input."""
    binary = require_gateway_binary()
    args = [binary, "pg-password"] + ([] if stdin else [password])
    out = subprocess.run(args, input=password + "\n" if stdin else None, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    verifier = [line.strip() for line in out.stdout.splitlines() if line.strip()][-1]
    return verifier


def postgres_verifier(password: str, salt: bytes, iterations: int = 4096) -> str:
    """The verifier PostgreSQL stores in pg_authid.rolpassword, computed here independently
    of the server (RFC 5802 keys; the password is ASCII, so SASLprep leaves it as is)."""
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def scram_config(verifiers: Dict[str, str], locations: List[str] = ()) -> str:
    allowed = ", ".join(f'"{loc}"' for loc in locations)
    users = "".join(f'\n[[gateway.users]]\nname = "{name}"\nscram = "{v}"\ndatabases = ["sales"]\n'
                    f'locations = [{allowed}]\n'
                    for name, v in verifiers.items())
    return "[gateway]\ntrust = false\n" + users


def test_scram_verifier_users(gateway_factory, fixture_data):
    verifier = pg_password(CAROL_PW)
    assert verifier.startswith("SCRAM-SHA-256$4096:"), verifier
    assert CAROL_PW not in verifier
    assert pg_password(CAROL_PW) != verifier, "each verifier needs its own random salt"
    # the salt and iterations the server chose give the same keys when computed here: the
    # configuration holds StoredKey and ServerKey, from which no password can log in
    iterations, salt = verifier.split("$")[1].split(":")
    assert postgres_verifier(CAROL_PW, base64.b64decode(salt), int(iterations)) == verifier
    dave = postgres_verifier("dave-pw", b"0123456789abcdef", 5000)
    server = gateway_factory.start("scram", trust=False,
                                   config=scram_config({"carol": verifier, "dave": dave,
                                                        "erin": pg_password("erin-pw", stdin=True)},
                                                       [str(fixture_data)]))
    with connect_as(server, "carol", CAROL_PW) as c:
        c.execute("CREATE DATABASE sales")
        c.execute(f"CREATE EXTERNAL TABLE sales.orders ({ORDERS_DDL_COLUMNS}) STORED AS PARQUET "
                  f"LOCATION '{fixture_data / 'orders'}'")
        assert c.execute("select count(*) from sales.orders").fetchone() == (6,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("CREATE DATABASE elsewhere")
        # what a view or CTAS reads must be the user's to read
        for sql in ("CREATE VIEW sales.peek AS SELECT * FROM default.anything",
                    "CREATE TABLE sales.copy AS SELECT * FROM default.anything",
                    'SET search_path TO "default"'):
            with pytest.raises((psycopg.errors.InsufficientPrivilege, psycopg.errors.InvalidSchemaName)):
                c.execute(sql)
        c.execute("CREATE VIEW sales.mine AS SELECT count(*) AS n FROM sales.orders")
        assert c.execute("SELECT n FROM sales.mine").fetchone() == (6,)
    for user, password in (("dave", "dave-pw"), ("erin", "erin-pw")):
        with connect_as(server, user, password) as c:
            assert c.execute("select current_user, count(*) from sales.orders").fetchone() == (user, 6)
    refused(server, "carol", "not-carols-password")
    refused(server, "carol")
    refused(server, "dave", "dave-pw ")
    # the stored key itself is not a password
    refused(server, "dave", dave.split("$")[2].split(":")[0])
    assert CAROL_PW not in server.log_path.read_text(errors="replace")


def test_unknown_user_and_wrong_password_look_alike(auth_gw):
    """As in PostgreSQL: the exchange runs to the end for a name that does not exist, so the
    reply does not tell whether a user exists."""
    assert refused(auth_gw, "mallory", "x") == refused(auth_gw, "alice", "x").replace("alice", "mallory")


@pytest.mark.parametrize("verifier", [
    "not-a-verifier",
    "SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA",
    "SCRAM-SHA-256$4096:c2FsdA==$" + "AA" * 22,
], ids=["text", "short-keys", "one-key"])
def test_malformed_verifier_stops_start_up(tmp_path, verifier):
    binary = require_gateway_binary()
    config = tmp_path / "lakehive.toml"
    config.write_text(scram_config({"frank": verifier}))
    out = subprocess.run([binary, "serve", "--data-dir", str(tmp_path / "data"), "--thrift-addr", "127.0.0.1:0",
                          "--pg-addr", "127.0.0.1:0", "--config", str(config)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "frank" in out.stderr and "verifier" in out.stderr, out.stderr


def test_unusable_location_prefix_stops_start_up(tmp_path):
    binary = require_gateway_binary()
    config = tmp_path / "lakehive.toml"
    config.write_text(scram_config({"gus": pg_password("gus-pw")}, ["ftp://nowhere/x"]))
    out = subprocess.run([binary, "serve", "--data-dir", str(tmp_path / "data"), "--thrift-addr", "127.0.0.1:0",
                          "--pg-addr", "127.0.0.1:0", "--config", str(config)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "gus" in out.stderr and "ftp://nowhere/x" in out.stderr, out.stderr


# ---------------------------------------------------------------------------------------------
# TLS

def make_cert(folder: Path, cn: str = "localhost") -> Tuple[Path, Path]:
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make a test certificate"
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "2",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=120)
    return cert, key


@pytest.fixture(scope="module")
def tls_gw(module_gateway_factory, tmp_path_factory):
    cert, key = make_cert(tmp_path_factory.mktemp("tls"))
    server = module_gateway_factory.start("tls", trust=False, config=CONFIG, env=ENV, tls=(cert, key))
    server.tls_cert = cert
    return server


def test_tls_required_connection(tls_gw):
    with connect_as(tls_gw, "alice", ALICE_PW, sslmode="require") as c:
        assert c.pgconn.ssl_in_use
        assert c.execute("select 21 * 2").fetchone() == (42,)
        c.execute("CREATE DATABASE IF NOT EXISTS tlsdb")
        assert "tlsdb" in [r[0] for r in c.execute("SHOW DATABASES")]


def test_tls_certificate_is_the_configured_one(tls_gw, tmp_path):
    with connect_as(tls_gw, "alice", ALICE_PW, sslmode="verify-ca", sslrootcert=str(tls_gw.tls_cert)) as c:
        assert c.pgconn.ssl_in_use
        assert c.execute("select 1").fetchone() == (1,)
    other_cert, _ = make_cert(tmp_path / "other")
    message = refused(tls_gw, "alice", ALICE_PW, sslmode="verify-ca", sslrootcert=str(other_cert))
    assert "certificate" in message.lower(), message


def test_tls_password_checks_still_apply(tls_gw):
    refused(tls_gw, "alice", "wrong-password", sslmode="require")
    with connect_as(tls_gw, "bob", BOB_PW, sslmode="require") as c:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("CREATE DATABASE bobs")


def test_psql_over_tls(tls_gw):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(PGHOST=tls_gw.pg_host, PGPORT=str(tls_gw.pg_port), PGUSER="alice", PGPASSWORD=ALICE_PW,
               PGDATABASE="lakehive", PGSSLMODE="require", PGCONNECT_TIMEOUT="30")
    out = subprocess.run(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", "select 'over tls'", "-c",
                          "\\conninfo"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "over tls"
    assert "SSL connection" in out.stdout, out.stdout


# ---------------------------------------------------------------------------------------------
# locations a user limited to some databases may name

PLACES_CONFIG = ALICE_CONFIG + """
[[gateway.users]]
name = "wren"
password_env = "LAKEHIVE_IT_WREN_PW"
databases = ["sales", "scratch", "default"]
locations = ["{landing}"]
"""


def test_limited_writer_cannot_point_tables_at_other_data(gateway_factory, fixture_data, tmp_path):
    """A user limited to `sales` must not reach `hr`'s files by pointing a table of their own
    at them: locations must lie in their databases' folders or their configured prefixes."""
    landing, wh = tmp_path / "landing", tmp_path / "wh"
    shutil.copytree(fixture_data / "orders", landing / "orders")
    shutil.copytree(fixture_data / "orders", wh / "hr.db" / "salaries")
    config = PLACES_CONFIG.format(landing=landing)
    server = gateway_factory.start("places", trust=False, config=config,
                                   env={"LAKEHIVE_IT_ALICE_PW": ALICE_PW, "LAKEHIVE_IT_WREN_PW": "wren-pw"})
    with connect_as(server, "alice", ALICE_PW) as c:
        c.execute(f"CREATE DATABASE sales LOCATION '{wh / 'sales.db'}'")
        c.execute(f"CREATE DATABASE hr LOCATION '{wh / 'hr.db'}'")
        c.execute(f"CREATE EXTERNAL TABLE hr.salaries ({ORDERS_DDL_COLUMNS}) STORED AS PARQUET "
                  f"LOCATION '{wh / 'hr.db' / 'salaries'}'")
        c.execute("CREATE DATABASE payroll")  # in the warehouse, below default's folder
        c.execute(f"CREATE DATABASE archive LOCATION '{server.warehouse}/archive'")
        c.execute("CREATE TABLE sales.byday (id int) PARTITIONED BY (day string) STORED AS PARQUET")
        c.execute("ALTER TABLE sales.byday ADD PARTITION (day='1')")
    hr_files = wh / "hr.db" / "salaries"
    denied = [
        f"CREATE EXTERNAL TABLE sales.peek ({ORDERS_DDL_COLUMNS}) STORED AS PARQUET LOCATION '{hr_files}'",
        f"CREATE EXTERNAL TABLE sales.peek ({ORDERS_DDL_COLUMNS}) STORED AS PARQUET LOCATION 'file:{wh}'",
        f"CREATE TABLE sales.c WITH (external_location = '{hr_files}') AS SELECT 1 AS id",
        f"ALTER TABLE sales.byday SET LOCATION '{hr_files}'",
        f"ALTER TABLE sales.byday ADD PARTITION (day='2') LOCATION '{hr_files}'",
        f"ALTER TABLE sales.byday PARTITION (day='1') SET LOCATION '{hr_files}'",
        f"CREATE DATABASE scratch LOCATION '{wh / 'scratch.db'}'",
        # a prefix of a permitted folder's name is not that folder
        f"CREATE EXTERNAL TABLE sales.peek (id int) STORED AS PARQUET LOCATION '{landing}-x'",
        # default's folder is the warehouse root: it holds payroll's folder, which is not hers
        f"CREATE EXTERNAL TABLE default.peek (id int) STORED AS PARQUET "
        f"LOCATION '{server.warehouse}/payroll.db/pay'",
        f"CREATE EXTERNAL TABLE default.peek (id int) STORED AS PARQUET LOCATION '{server.warehouse}'",
        # a managed table's default folder would be archive's
        "CREATE TABLE default.archive (id int) STORED AS PARQUET",
    ]
    with connect_as(server, "wren", "wren-pw") as c:
        for sql in denied:
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as err:
                c.execute(sql)
            assert "may not use location" in str(err.value), sql
        with pytest.raises(psycopg.Error) as err:
            c.execute(f"CREATE EXTERNAL TABLE sales.peek (id int) STORED AS PARQUET "
                      f"LOCATION '{landing}/../wh/hr.db/salaries'")
        assert err.value.sqlstate == "22023", err.value
        # DataFusion's COPY would write any file the server may write; a comment in front of
        # it must not get it past the check
        evil = tmp_path / "evil.csv"
        for sql in (f"/* x */ COPY (SELECT 1 AS a) TO '{evil}'", f"-- x\ncopy (select 1 as a) to '{evil}'",
                    f"EXPLAIN ANALYZE COPY (SELECT 1 AS a) TO '{evil}'"):
            with pytest.raises(psycopg.errors.FeatureNotSupported):
                c.execute(sql)
        assert not evil.exists()
        # what is theirs: their configured prefix, their databases' folders, managed tables
        c.execute(f"CREATE EXTERNAL TABLE sales.landed ({ORDERS_DDL_COLUMNS}) STORED AS PARQUET "
                  f"LOCATION 'file://{landing / 'orders'}'")
        assert c.execute("SELECT count(*) FROM sales.landed").fetchone() == (6,)
        c.execute(f"CREATE TABLE sales.c WITH (external_location = '{wh / 'sales.db' / 'c2'}') AS SELECT 1 AS id")
        c.execute("CREATE TABLE sales.m AS SELECT 2 AS id")
        c.execute("CREATE TABLE default.mine AS SELECT 3 AS id")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("ALTER TABLE default.mine RENAME TO default.archive")
        c.execute(f"ALTER TABLE sales.byday ADD PARTITION (day='3') LOCATION '{wh / 'sales.db' / 'd3'}'")
        c.execute(f"CREATE DATABASE scratch LOCATION '{landing / 'scratch'}'")
        assert c.execute("SELECT (SELECT count(*) FROM sales.c) + (SELECT count(*) FROM sales.m)").fetchone() == (2,)
    with connect_as(server, "alice", ALICE_PW) as c:
        assert sorted(r[0] for r in c.execute("SHOW TABLES IN sales")) == ["byday", "c", "landed", "m"]
        assert sorted(r[0] for r in c.execute("SHOW PARTITIONS sales.byday")) == ["day=1", "day=3"]
        row = [r for r in c.execute("DESCRIBE FORMATTED sales.byday") if r[0] and r[0].startswith("Location")]
        assert row and str(wh / "sales.db" / "byday") in row[0][1], row
        assert c.execute("SELECT count(*) FROM hr.salaries").fetchone() == (6,)
