"""Fixtures for the PostgreSQL-wire SQL gateway (`lakehive serve --pg-addr ...`).

Imported by conftest.py. The gateway is Lakehive's own: every fixture here skips its tests when
LAKEHIVE_TEST_TARGET is java. A binary without the gateway is an error, not a skip.

- `gateway` (session): one `lakehive serve --pg-trust` shared by the gateway test modules (each
  uses its own catalog databases). Handle: `metastore_servers.LakehiveServer` with
  `.pg_port`, `.dsn` ("host=127.0.0.1 port=Q dbname=lakehive user=tester"), `.pg_dsn(user=,
  password=, **libpq_params)`, `.sqlalchemy_url()`, `.jdbc_url()`, `.uri` (thrift://),
  `.warehouse`, `.data_dir`, `.log_tail()`.
- `gateway_factory` (function) / `module_gateway_factory` (module): `.start(name, trust=True,
  config=None, env=None, tls=None, extra=None)` starts a private gateway; all are stopped at
  the end. `config` is TOML text (written to a file passed with --config).
- `fresh_gateway` (function): a private `--pg-trust` gateway on an empty data directory.
- `fixture_data` (session): a directory filled by `gateway_data.write_fixture_files`.
- `pg_connect(server, **kw)`: a psycopg connection (autocommit unless told otherwise).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from metastore_servers import LakehiveServer, find_lakehive_bin

GATEWAY_DBNAME = "lakehive"
GATEWAY_USER = "tester"

_checked_binaries: Dict[str, bool] = {}


def _target() -> str:
    return os.environ.get("LAKEHIVE_TEST_TARGET", "lakehive").strip().lower()


def require_gateway_binary() -> str:
    """The lakehive binary; skips on the java target, fails if the binary has no gateway."""
    if _target() != "lakehive":
        pytest.skip("the SQL gateway is Lakehive's own: not run against the Java metastore")
    binary = find_lakehive_bin()
    if binary not in _checked_binaries:
        out = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True, timeout=60)
        _checked_binaries[binary] = "--pg-addr" in out.stdout
    if not _checked_binaries[binary]:
        pytest.fail(f"{binary} has no SQL gateway (`serve --pg-addr` is missing from --help): rebuild it",
                    pytrace=False)
    return binary


class GatewayFactory:
    """Starts private gateways, each in its own directory; stops them all at the end."""

    def __init__(self, base: Path):
        self.base = Path(base)
        self.servers: List[LakehiveServer] = []

    def start(self, name: str = "gw", trust: bool = True, config: Optional[str] = None,
              env: Optional[Dict[str, Optional[str]]] = None, tls: Optional[Tuple[Path, Path]] = None,
              extra: Optional[List[str]] = None) -> LakehiveServer:
        binary = require_gateway_binary()
        root = self.base / f"{name}-{len(self.servers)}"
        root.mkdir(parents=True, exist_ok=True)
        args: List[str] = []
        if trust:
            args.append("--pg-trust")
        if config is not None:
            cfg = root / "lakehive.toml"
            cfg.write_text(config)
            args += ["--config", str(cfg)]
        if tls is not None:
            args += ["--pg-tls-cert", str(tls[0]), "--pg-tls-key", str(tls[1])]
        args += list(extra or [])
        server = LakehiveServer(root / "data", binary=binary, pg=True, pg_args=args, env=env)
        self.servers.append(server)
        return server

    def close(self) -> None:
        for s in reversed(self.servers):
            if not s.alive():
                print(f"\na gateway died during the tests ({s.data_dir}):\n{s.log_tail()}", file=sys.stderr)
            try:
                s.stop()
            except Exception as e:  # noqa: BLE001 - keep stopping the others
                print(f"stopping a gateway failed: {e}", file=sys.stderr)


def pg_connect(server: LakehiveServer, autocommit: bool = True, **dsn_params):
    """A psycopg 3 connection to `server`'s gateway (user `tester` unless `user=` is given)."""
    import psycopg

    return psycopg.connect(server.pg_dsn(**dsn_params), autocommit=autocommit, connect_timeout=30)


@pytest.fixture(scope="session")
def gateway(tmp_path_factory):
    """The shared gateway (session): `lakehive serve --pg-addr 127.0.0.1:Q --pg-trust`."""
    factory = GatewayFactory(tmp_path_factory.mktemp("gateway"))
    server = factory.start("shared")
    yield server
    factory.close()


@pytest.fixture
def gateway_factory(tmp_path):
    factory = GatewayFactory(tmp_path)
    yield factory
    factory.close()


@pytest.fixture(scope="module")
def module_gateway_factory(tmp_path_factory):
    factory = GatewayFactory(tmp_path_factory.mktemp("gateways"))
    yield factory
    factory.close()


@pytest.fixture
def fresh_gateway(gateway_factory):
    """A private `--pg-trust` gateway with an empty catalog, for one test."""
    return gateway_factory.start("fresh")


@pytest.fixture(scope="session")
def fixture_data(tmp_path_factory) -> Path:
    """Fixture files (see gateway_data.py), written once per session; treat as read-only."""
    from gateway_data import write_fixture_files

    return write_fixture_files(tmp_path_factory.mktemp("gateway-data") / "data")


__all__ = ["GATEWAY_DBNAME", "GATEWAY_USER", "GatewayFactory", "fixture_data", "fresh_gateway", "gateway",
           "gateway_factory", "module_gateway_factory", "pg_connect", "require_gateway_binary"]
