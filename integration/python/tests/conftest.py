"""Fixtures: the metastore under test (Lakehive or the reference Java HMS) and private servers.

Target selection: env LAKEHIVE_TEST_TARGET = "lakehive" (default) or "java".
- lakehive: runs `$LAKEHIVE_BIN serve --data-dir <tmp> --thrift-addr 127.0.0.1:<port>`.
- java: runs the Java Hive Metastore 2.3.10 from pyspark's jars (see ../java_hms.py).
Tests marked `lakehive_only` are skipped on java unless LAKEHIVE_TEST_RUN_LAKEHIVE_ONLY=1.
LAKEHIVE_TEST_SNIFF=<file>: clients reach the session metastore through a logging proxy
(../thrift_sniffer.py) that writes every Thrift method called to <file>.
SQL-gateway fixtures (`gateway`, `fresh_gateway`, `gateway_factory`, `module_gateway_factory`,
`fixture_data`) live in gateway_fixtures.py; they skip on the java target.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from metastore_servers import KINDS, JavaServer, start_server  # noqa: E402
from gateway_fixtures import (  # noqa: E402,F401 - fixtures, registered by being imported here
    fixture_data,
    fresh_gateway,
    gateway,
    gateway_factory,
    module_gateway_factory,
)

TARGET = os.environ.get("LAKEHIVE_TEST_TARGET", "lakehive").strip().lower()
if TARGET not in KINDS:
    raise pytest.UsageError(f"LAKEHIVE_TEST_TARGET must be one of {KINDS}, not {TARGET!r}")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "lakehive_only: needs behaviour the Java HMS 2.3 reference lacks; skipped when the target is java"
    )


def pytest_report_header(config):
    extra = f" (LAKEHIVE_BIN={os.environ.get('LAKEHIVE_BIN', '<auto>')})" if TARGET == "lakehive" else ""
    return f"metastore target: {TARGET}{extra}"


def pytest_collection_modifyitems(config, items):
    if TARGET == "lakehive" or os.environ.get("LAKEHIVE_TEST_RUN_LAKEHIVE_ONLY") == "1":
        return
    skip = pytest.mark.skip(reason="lakehive_only: not supported by the Java HMS 2.3 reference")
    for item in items:
        if "lakehive_only" in item.keywords:
            item.add_marker(skip)


class Sniffed:
    """A server handle whose host/port/uri point at a logging proxy in front of it."""

    def __init__(self, server, log_path: str):
        from thrift_sniffer import Sniffer

        self._server = server
        self._sniffer = Sniffer(0, (server.host, server.port), log_path)

    host = property(lambda self: self._sniffer.host)
    port = property(lambda self: self._sniffer.port)
    uri = property(lambda self: f"thrift://{self.host}:{self.port}")

    def __getattr__(self, name):
        return getattr(self._server, name)

    def close(self):
        self._sniffer.close()


def maybe_sniffed(server):
    path = os.environ.get("LAKEHIVE_TEST_SNIFF")
    return Sniffed(server, path) if path else server


class ServerFactory:
    """Starts private servers of the target kind, each in its own directory; stops them all at the end."""

    def __init__(self, kind: str, base: Path):
        self.kind = kind
        self.base = base
        self.servers: List = []

    def start(self, name: str = "private", **kwargs):
        data_dir = self.base / f"{name}-{len(self.servers)}"
        if self.kind == "java":
            kwargs.setdefault("txn", False)
        server = start_server(self.kind, data_dir, **kwargs)
        self.servers.append(server)
        return server

    def close(self):
        for s in reversed(self.servers):
            try:
                s.stop()
            except Exception as e:  # noqa: BLE001 - keep stopping the others
                print(f"stopping {s.kind} server failed: {e}", file=sys.stderr)


@pytest.fixture(scope="session")
def target_kind() -> str:
    return TARGET


@pytest.fixture(scope="session")
def metastore(tmp_path_factory):
    """The shared metastore for the session: .host .port .uri .warehouse .kind (+ .data_dir)."""
    data_dir = tmp_path_factory.mktemp("metastore") / "data"
    # The Java HMS gets its txn tables so that lock/check_lock/unlock (PyIceberg commits) work.
    server = start_server(TARGET, data_dir, **({"txn": True} if TARGET == "java" else {}))
    yield maybe_sniffed(server)
    if not server.alive():
        print(f"\nthe session metastore died during the tests:\n{server.log_tail()}", file=sys.stderr)
    server.stop()


@pytest.fixture(scope="session")
def metastore_framed(metastore, tmp_path_factory):
    """A metastore that accepts framed transport.

    Lakehive detects framing per connection, so this is the shared server. Hive 2.3 serves either
    framed or unframed, so for java this is a second metastore with framed transport enabled.
    """
    if metastore.kind == "lakehive":
        yield metastore
        return
    server = JavaServer(tmp_path_factory.mktemp("metastore-framed") / "data", txn=False,
                        extra_conf={"hive.metastore.thrift.framed.transport.enabled": "true"})
    yield server
    server.stop()


@pytest.fixture
def server_factory(tmp_path):
    """Function-scoped: `server_factory.start()` starts a private server (stopped after the test)."""
    factory = ServerFactory(TARGET, tmp_path)
    yield factory
    factory.close()


@pytest.fixture(scope="module")
def module_server_factory(tmp_path_factory):
    """Module-scoped variant of `server_factory`."""
    factory = ServerFactory(TARGET, tmp_path_factory.mktemp("private"))
    yield factory
    factory.close()


@pytest.fixture
def private_server(server_factory):
    """A private server for one test (use `.restart()` to restart it on the same data dir)."""
    return server_factory.start()
