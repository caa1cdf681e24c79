"""Start a metastore under test: the `lakehive` binary or the reference Java Hive Metastore.

Both kinds expose the same handle: ``.host``, ``.port``, ``.uri``, ``.warehouse``, ``.kind``,
``.data_dir``, ``.pid``, ``alive()``, ``stop()`` (graceful), ``kill()`` (SIGKILL) and
``restart()`` (start again on the same data directory; the port may change).

A Lakehive server started with ``pg=True`` (or a ``pg_port``) also runs the PostgreSQL-wire SQL
gateway (``--pg-addr 127.0.0.1:<pg_port>`` plus ``pg_args`` such as ``--pg-trust``) and adds
``.pg_host``, ``.pg_port``, ``.dsn``, ``pg_dsn()``, ``sqlalchemy_url()`` and ``jdbc_url()``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional

from java_hms import JavaHms, free_port, port_open, start_java_hms, _pdeathsig

KINDS = ("lakehive", "java")


def find_lakehive_bin() -> str:
    """LAKEHIVE_BIN, else a built binary in the usual target directories."""
    env = os.environ.get("LAKEHIVE_BIN")
    if env:
        if not os.access(env, os.X_OK):
            raise RuntimeError(f"LAKEHIVE_BIN={env} is not an executable file")
        return env
    root = Path(__file__).resolve().parents[2]
    candidates: List[Path] = []
    for target in (os.environ.get("CARGO_TARGET_DIR"), str(root / "target"), str(Path.home() / ".cache/lakehive/target")):
        if target:
            candidates += [Path(target) / "release" / "lakehive", Path(target) / "debug" / "lakehive"]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    raise RuntimeError(
        "the lakehive binary was not found: build it and set LAKEHIVE_BIN=/path/to/lakehive "
        "(or run with LAKEHIVE_TEST_TARGET=java to test the reference Java metastore)"
    )


class LakehiveServer:
    """`lakehive serve --data-dir <data_dir> --thrift-addr 127.0.0.1:<port>`.

    With ``pg=True`` or a ``pg_port`` it adds ``--pg-addr 127.0.0.1:<pg_port>`` and ``pg_args``
    (e.g. ``["--pg-trust"]`` or ``["--config", path]``) and waits for both ports. ``env`` adds
    variables to the server's environment (e.g. the users' ``password_env`` variables); a None
    value removes one.
    """

    kind = "lakehive"

    def __init__(self, data_dir, port: Optional[int] = None, binary: Optional[str] = None,
                 startup_timeout: float = 60.0, extra_args: Optional[List[str]] = None,
                 pg: bool = False, pg_port: Optional[int] = None, pg_args: Optional[List[str]] = None,
                 env: Optional[Dict[str, Optional[str]]] = None):
        self.binary = binary or find_lakehive_bin()
        self.data_dir = Path(data_dir).resolve()
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        self.extra_args = list(extra_args or [])
        self.pg_host = "127.0.0.1"
        self.pg_port: Optional[int] = (pg_port or free_port()) if (pg or pg_port) else None
        self.pg_args = list(pg_args or [])
        self.env = dict(env or {})
        self.proc: Optional[subprocess.Popen] = None
        self.starts = 0
        self._start()

    @property
    def uri(self) -> str:
        return f"thrift://{self.host}:{self.port}"

    @property
    def warehouse(self) -> str:
        return str(self.data_dir / "warehouse")

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.lakehive.log"

    @property
    def dsn(self) -> str:
        """psycopg/libpq conninfo for the gateway as user `tester` (trust authentication)."""
        return self.pg_dsn()

    def pg_dsn(self, user: str = "tester", password: Optional[str] = None, dbname: str = "lakehive",
               **params: str) -> str:
        """libpq conninfo for the gateway; `params` adds keywords such as sslmode."""
        if self.pg_port is None:
            raise RuntimeError("this server was started without the SQL gateway (pg=False)")
        parts = {"host": self.pg_host, "port": str(self.pg_port), "dbname": dbname, "user": user}
        if password is not None:
            parts["password"] = password
        parts.update({k: str(v) for k, v in params.items()})
        return " ".join(f"{k}={_conninfo_quote(v)}" for k, v in parts.items())

    def sqlalchemy_url(self, user: str = "tester", driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{user}@{self.pg_host}:{self.pg_port}/lakehive"

    def jdbc_url(self, dbname: str = "lakehive") -> str:
        return f"jdbc:postgresql://{self.pg_host}:{self.pg_port}/{dbname}"

    def command(self) -> List[str]:
        cmd = [self.binary, "serve", "--data-dir", str(self.data_dir),
               "--thrift-addr", f"{self.host}:{self.port}", *self.extra_args]
        if self.pg_port is not None:
            cmd += ["--pg-addr", f"{self.pg_host}:{self.pg_port}", *self.pg_args]
        return cmd

    def _ports(self) -> List[int]:
        return [self.port] + ([self.pg_port] if self.pg_port is not None else [])

    def _start(self) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== start #{self.starts}: {' '.join(self.command())}\n".encode())
            log.flush()
            env = None
            if self.env:
                env = {k: v for k, v in {**os.environ, **self.env}.items() if v is not None}
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, preexec_fn=_pdeathsig, env=env)
        deadline = time.monotonic() + self.startup_timeout
        for port in self._ports():
            while not port_open(self.host, port):
                if self.proc.poll() is not None:
                    raise RuntimeError(f"lakehive exited with {self.proc.returncode} during start-up\n{self.log_tail()}")
                if time.monotonic() > deadline:
                    self.kill()
                    raise TimeoutError(f"lakehive did not listen on {port} within {self.startup_timeout}s\n{self.log_tail()}")
                time.sleep(0.05)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 20.0) -> Optional[int]:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def restart(self, new_port: bool = True) -> "LakehiveServer":
        """Stop if running, then start again on the same data dir (on a fresh port by default)."""
        self.stop()
        if new_port:
            self.port = free_port()
            if self.pg_port is not None:
                self.pg_port = free_port()
        self._start()
        return self

    def log_tail(self, n: int = 60) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])


class JavaServer:
    """The Java Hive Metastore 2.3.10 (Derby), with the same handle as `LakehiveServer`."""

    kind = "java"

    def __init__(self, data_dir, port: Optional[int] = None, txn: bool = True,
                 extra_conf: Optional[dict] = None, startup_timeout: float = 240.0):
        self.data_dir = Path(data_dir).resolve()
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.txn = txn
        self.extra_conf = dict(extra_conf or {})
        self.startup_timeout = startup_timeout
        self.hms: Optional[JavaHms] = None
        self._start()

    def _start(self) -> None:
        self.hms = start_java_hms(self.data_dir, self.port, txn=self.txn, extra_conf=self.extra_conf,
                                  startup_timeout=self.startup_timeout)

    @property
    def uri(self) -> str:
        return f"thrift://{self.host}:{self.port}"

    @property
    def warehouse(self) -> str:
        return str(self.data_dir / "warehouse")

    @property
    def pid(self) -> int:
        return self.hms.pid

    @property
    def proc(self) -> subprocess.Popen:
        return self.hms.proc

    def alive(self) -> bool:
        return self.hms is not None and self.hms.alive()

    def stop(self, grace: float = 20.0):
        return self.hms.stop(grace) if self.hms else None

    def kill(self) -> None:
        if self.hms:
            self.hms.kill()

    def restart(self, new_port: bool = True) -> "JavaServer":
        self.stop()
        if new_port:
            self.port = free_port()
        self._start()
        return self

    def log_tail(self, n: int = 60) -> str:
        return self.hms.log_tail(n) if self.hms else ""


def _conninfo_quote(value: str) -> str:
    """A libpq conninfo value, quoted when it needs to be."""
    if value and not any(c in value for c in " '\\"):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def start_server(kind: str, data_dir, **kwargs):
    """Start a metastore of `kind` ("lakehive" or "java") whose state lives in `data_dir`."""
    if kind == "lakehive":
        return LakehiveServer(data_dir, **kwargs)
    if kind == "java":
        return JavaServer(data_dir, **kwargs)
    raise ValueError(f"unknown metastore kind {kind!r}; expected one of {KINDS}")


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (Linux), 0 if unknown."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


__all__ = ["KINDS", "LakehiveServer", "JavaServer", "start_server", "find_lakehive_bin", "free_port",
           "port_open", "rss_bytes"]
