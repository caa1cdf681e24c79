#!/usr/bin/env python3
"""Start the reference Java Hive Metastore 2.3.10 offline, from the jars shipped in `pyspark`.

The metastore runs with embedded Derby in a work directory (``<workdir>/metastore_db``), keeps its
warehouse in ``<workdir>/warehouse`` and its logs in ``<workdir>/logs``. Hive 2.3 always binds its
Thrift socket to 0.0.0.0; to keep it on loopback we compile a replacement for
``org.apache.hadoop.hive.common.auth.HiveAuthUtils`` (same public methods, ``getServerSocket``
binds 127.0.0.1) into ``<workdir>/shim`` and put it before the jars on the classpath. If ``javac``
is missing or fails, the metastore binds 0.0.0.0 and a warning says so.

Python API::

    hms = start_java_hms("/tmp/hms", 9083)   # returns once the port accepts connections
    hms.uri                                   # "thrift://127.0.0.1:9083"
    hms.stop()                                # SIGTERM, then SIGKILL after a grace period

CLI (prints ``READY <port>`` once listening, runs until killed; SIGTERM stops the JVM too)::

    python java_hms.py --port 9083 --workdir /tmp/hms [--txn]

With ``--exec`` the CLI prepares everything and then replaces itself with the JVM (no ``READY``
line, no waiting), for wrappers that want the metastore's own pid (e.g. to ``kill -9`` it).

``--txn`` / ``txn=True`` first creates Hive 2.3's transaction tables (``NEXT_LOCK_ID``,
``HIVE_LOCKS`` ...) in the Derby database with Hive's own ``TxnDbUtil.prepDb`` (a small helper class
compiled next to the shim, run in its own JVM before the metastore), so ``lock``/``check_lock``/
``unlock`` work. Without it those calls fail: ``datanucleus.schema.autoCreateAll`` does not create
the txn tables.
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import List, Optional, Sequence

HIVE_VERSION = "2.3.10"
MAIN_CLASS = "org.apache.hadoop.hive.metastore.HiveMetaStore"

# Spark's own module list for Java 17 (launcher/.../JavaModuleOptions.java).
_ADD_OPENS = [
    "java.base/java.lang",
    "java.base/java.lang.invoke",
    "java.base/java.lang.reflect",
    "java.base/java.io",
    "java.base/java.net",
    "java.base/java.nio",
    "java.base/java.util",
    "java.base/java.util.concurrent",
    "java.base/java.util.concurrent.atomic",
    "java.base/jdk.internal.ref",
    "java.base/sun.nio.ch",
    "java.base/sun.nio.cs",
    "java.base/sun.security.action",
    "java.base/sun.util.calendar",
]

_SHIM_PACKAGE = "org/apache/hadoop/hive/common/auth"
_SHIM_SOURCE = r"""
package org.apache.hadoop.hive.common.auth;

import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.apache.thrift.transport.TServerSocket;
import org.apache.thrift.transport.TSocket;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.TTransportException;

/**
 * Lakehive test shim: replaces Hive 2.3's HiveAuthUtils so the metastore binds its Thrift socket
 * to the host in system property "lakehive.bind.host" (default 127.0.0.1) instead of 0.0.0.0.
 * SSL is not supported.
 */
public class HiveAuthUtils {
  public HiveAuthUtils() {}

  public static TTransport getSocketTransport(String host, int port, int loginTimeout)
      throws TTransportException {
    return new TSocket(host, port, loginTimeout);
  }

  public static TTransport getSSLSocket(String host, int port, int loginTimeout)
      throws TTransportException {
    throw new TTransportException("SSL is not supported by the lakehive loopback shim");
  }

  public static TTransport getSSLSocket(String host, int port, int loginTimeout,
      String trustStorePath, String trustStorePassWord) throws TTransportException {
    throw new TTransportException("SSL is not supported by the lakehive loopback shim");
  }

  public static TTransport getSSLSocket(String host, int port, int socketTimeout,
      int connectionTimeout, String trustStorePath, String trustStorePassWord)
      throws TTransportException {
    throw new TTransportException("SSL is not supported by the lakehive loopback shim");
  }

  public static TServerSocket getServerSocket(String hiveHost, int portNum)
      throws TTransportException {
    String host = hiveHost;
    if (host == null || host.isEmpty()) {
      host = System.getProperty("lakehive.bind.host", "127.0.0.1");
    }
    return new TServerSocket(new InetSocketAddress(host, portNum));
  }

  public static TServerSocket getServerSSLSocket(String hiveHost, int portNum,
      String keyStorePath, String keyStorePassWord, List<String> sslVersionBlacklist)
      throws TTransportException, UnknownHostException {
    throw new TTransportException("SSL is not supported by the lakehive loopback shim");
  }
}
"""

_TXN_PREP_SOURCE = r"""
import org.apache.hadoop.hive.conf.HiveConf;
import org.apache.hadoop.hive.metastore.txn.TxnDbUtil;

/** Lakehive test helper: creates Hive 2.3's transaction/lock tables in the configured database. */
public class LakehiveTxnPrep {
  public static void main(String[] args) throws Exception {
    TxnDbUtil.prepDb(new HiveConf());
    System.out.println("txn tables ready");
  }
}
"""

_LOG4J2 = """\
status = error
name = lakehive-java-hms
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d{{ISO8601}} %-5p [%t] %c{{1}}: %m%n
rootLogger.level = {level}
rootLogger.appenderRef.file.ref = file
logger.datanucleus.name = DataNucleus
logger.datanucleus.level = warn
logger.dn.name = org.datanucleus
logger.dn.level = warn
"""


def _xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _hive_site(props: dict) -> str:
    body = "\n".join(
        f"  <property><name>{_xml_escape(k)}</name><value>{_xml_escape(str(v))}</value></property>"
        for k, v in props.items()
    )
    return f'<?xml version="1.0"?>\n<configuration>\n{body}\n</configuration>\n'


def find_pyspark_jars() -> Path:
    """The `jars/` directory of the installed pyspark (env PYSPARK_JARS overrides)."""
    env = os.environ.get("PYSPARK_JARS")
    if env:
        return Path(env)
    try:
        import pyspark  # noqa: PLC0415

        jars = Path(pyspark.__file__).resolve().parent / "jars"
    except ImportError:
        # Not running inside the venv: look in the default Lakehive venv.
        venv = Path(os.environ.get("LAKEHIVE_VENV", Path.home() / ".cache/lakehive/venv"))
        hits = sorted(venv.glob("lib/python3*/site-packages/pyspark/jars"))
        if not hits:
            raise RuntimeError("pyspark is not installed (run scripts/setup.sh)") from None
        jars = hits[-1]
    if not (jars / f"hive-metastore-{HIVE_VERSION}.jar").exists():
        raise RuntimeError(f"{jars} does not contain hive-metastore-{HIVE_VERSION}.jar")
    return jars


def free_port(host: str = "127.0.0.1") -> int:
    """A currently free TCP port (bind to port 0 and release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _javac(workdir: Path, jars: Path, sources: dict, classpath_globs: Sequence[str], log) -> bool:
    """Compile {relative .java path: source} into <workdir>/shim; reuse earlier output if unchanged."""
    out = workdir / "shim"
    src_root = workdir / "shim-src"
    paths = [src_root / rel for rel in sources]
    classes = [out / rel.replace(".java", ".class") for rel in sources]
    if all(c.exists() for c in classes) and all(
        p.exists() and p.read_text() == text for p, text in zip(paths, sources.values())
    ):
        return True
    javac = shutil.which("javac")
    if not javac:
        log("javac not found")
        return False
    for p, text in zip(paths, sources.values()):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    out.mkdir(parents=True, exist_ok=True)
    cp = os.pathsep.join(f for g in classpath_globs for f in glob.glob(str(jars / g)))
    res = subprocess.run(
        [javac, "-nowarn", "-cp", cp, "-d", str(out), *map(str, paths)], capture_output=True, text=True
    )
    if res.returncode != 0 or not all(c.exists() for c in classes):
        log(f"javac failed:\n{res.stderr}")
        return False
    return True


def _compile_shim(workdir: Path, jars: Path, log) -> Optional[Path]:
    """Compile the loopback HiveAuthUtils into <workdir>/shim; None if that is not possible."""
    ok = _javac(workdir, jars, {f"{_SHIM_PACKAGE}/HiveAuthUtils.java": _SHIM_SOURCE}, ["libthrift-*.jar"], log)
    if not ok:
        log("no loopback shim: the Java HMS will bind 0.0.0.0")
        return None
    return workdir / "shim"


def _java_base_cmd(java: str, heap: str, log4j: Path, log_dir: Path, workdir: Path) -> List[str]:
    cmd = [java, f"-Xmx{heap}", "-Djdk.reflect.useDirectMethodHandle=false"]
    cmd += [f"--add-opens={m}=ALL-UNNAMED" for m in _ADD_OPENS]
    cmd += [
        f"-Dlog4j.configurationFile={log4j}",
        f"-Dderby.stream.error.file={log_dir / 'derby.log'}",
        f"-Djava.io.tmpdir={workdir / 'tmp'}",
    ]
    return cmd


def _prep_txn_tables(workdir: Path, jars: Path, base_cmd: List[str], cp: List[str], log) -> None:
    """Create Hive's txn/lock tables in the Derby database (once per workdir), in a separate JVM.

    Embedded Derby allows one JVM at a time, so this runs before the metastore starts. (Hive's own
    way, hive.in.test=true, also enables a test-only check that rejects every LockComponent whose
    operationType is UNSET, the Java default, i.e. all PyIceberg locks.)
    """
    marker = workdir / ".txn-tables-created"
    if marker.exists():
        return
    ok = _javac(
        workdir,
        jars,
        {"LakehiveTxnPrep.java": _TXN_PREP_SOURCE},
        ["hive-metastore-*.jar", "hive-common-*.jar", "hadoop-client-api-*.jar"],
        log,
    )
    if not ok:
        raise RuntimeError("could not compile the txn-table helper (see logs/launcher.log)")
    cmd = [*base_cmd, "-cp", os.pathsep.join([str(workdir / "shim"), *cp]), "LakehiveTxnPrep"]
    log("creating txn tables: " + " ".join(cmd))
    with open(workdir / "logs" / "txn-prep.out", "ab") as out:
        res = subprocess.run(cmd, cwd=str(workdir), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    if res.returncode != 0:
        raise RuntimeError(f"creating the txn tables failed (rc={res.returncode}), see {workdir}/logs/txn-prep.out")
    marker.write_text("ok\n")


def _pdeathsig():
    """In the child: die with SIGTERM if the parent (thread) that started us exits."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort, not Linux
        pass


class JavaHms:
    """A running Java Hive Metastore. Use `stop()` (graceful) or `kill()` (SIGKILL)."""

    kind = "java"

    def __init__(self, proc: subprocess.Popen, workdir: Path, port: int, host: str, loopback: bool):
        self.proc = proc
        self.workdir = workdir
        self.port = port
        self.host = host
        self.loopback = loopback
        self.warehouse = str(workdir / "warehouse")
        self.log_dir = workdir / "logs"

    @property
    def uri(self) -> str:
        return f"thrift://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, grace: float = 20.0) -> Optional[int]:
        """SIGTERM the JVM, SIGKILL it if it has not exited after `grace` seconds."""
        if self.proc.poll() is None:
            try:
                self.proc.terminate()
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            except ProcessLookupError:
                pass
        return self.proc.returncode

    def kill(self) -> None:
        """kill -9."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, n: int = 60) -> str:
        parts = []
        for name in ("hms.log", "jvm.out"):
            p = self.log_dir / name
            if p.exists():
                lines = p.read_text(errors="replace").splitlines()[-n:]
                parts.append(f"--- {p} ---\n" + "\n".join(lines))
        return "\n".join(parts)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def prepare_java_hms(
    workdir,
    port: int,
    *,
    txn: bool = False,
    heap: str = "1g",
    log_level: str = "info",
    extra_conf: Optional[dict] = None,
    jvm_opts: Sequence[str] = (),
    verbose: bool = False,
):
    """Write the configuration, compile the shim (and create the txn tables if `txn`) and return
    `(command, env, loopback)` for the metastore JVM, without starting it."""
    workdir = Path(workdir).resolve()
    conf_dir = workdir / "conf"
    log_dir = workdir / "logs"
    warehouse = workdir / "warehouse"
    for d in (workdir, conf_dir, log_dir, warehouse):
        d.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        if verbose:
            print(f"[java_hms] {msg}", file=sys.stderr, flush=True)
        with open(log_dir / "launcher.log", "a") as f:
            f.write(f"{time.strftime('%H:%M:%S')} {msg}\n")

    java = shutil.which("java") or "/usr/bin/java"
    jars = find_pyspark_jars()
    shim = _compile_shim(workdir, jars, log)

    props = {
        "javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={workdir}/metastore_db;create=true",
        "javax.jdo.option.ConnectionDriverName": "org.apache.derby.jdbc.EmbeddedDriver",
        "javax.jdo.option.ConnectionUserName": "APP",
        "javax.jdo.option.ConnectionPassword": "mine",
        "datanucleus.schema.autoCreateAll": "true",
        "datanucleus.connectionPoolingType": "HikariCP",
        "hive.metastore.schema.verification": "false",
        "hive.metastore.schema.verification.record.version": "false",
        "hive.metastore.warehouse.dir": str(warehouse),
        "hive.metastore.event.db.notification.api.auth": "false",
    }
    props.update(extra_conf or {})
    (conf_dir / "hive-site.xml").write_text(_hive_site(props))
    log4j = conf_dir / "log4j2.properties"
    log4j.write_text(_LOG4J2.format(log=log_dir / "hms.log", level=log_level.upper()))

    (workdir / "tmp").mkdir(exist_ok=True)
    base_cmd = _java_base_cmd(java, heap, log4j, log_dir, workdir)
    jar_cp = [str(conf_dir), str(jars / "*")]
    if txn:
        _prep_txn_tables(workdir, jars, base_cmd, jar_cp, log)
    cp = ([str(shim)] if shim is not None else []) + jar_cp
    cmd: List[str] = [
        *base_cmd,
        "-Dlakehive.bind.host=127.0.0.1",
        *jvm_opts,
        "-cp",
        os.pathsep.join(cp),
        MAIN_CLASS,
        "-p",
        str(port),
    ]
    log("command: " + " ".join(cmd))
    env = dict(os.environ)
    env.pop("HADOOP_CONF_DIR", None)
    env.pop("HIVE_CONF_DIR", None)
    return cmd, env, shim is not None


def start_java_hms(
    workdir,
    port: int,
    *,
    txn: bool = False,
    startup_timeout: float = 180.0,
    heap: str = "1g",
    log_level: str = "info",
    extra_conf: Optional[dict] = None,
    jvm_opts: Sequence[str] = (),
    die_with_parent: bool = True,
    verbose: bool = False,
) -> JavaHms:
    """Start the Java HMS 2.3.10 on `port` with Derby in `workdir`; return once it accepts connections.

    Starting again on the same workdir reuses the Derby database (a restart). `die_with_parent`
    makes the JVM get SIGTERM when the thread that started it exits (Linux PR_SET_PDEATHSIG).
    """
    workdir = Path(workdir).resolve()
    cmd, env, loopback = prepare_java_hms(workdir, port, txn=txn, heap=heap, log_level=log_level,
                                          extra_conf=extra_conf, jvm_opts=jvm_opts, verbose=verbose)
    log_dir = workdir / "logs"
    with open(log_dir / "jvm.out", "ab") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=str(workdir),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=_pdeathsig if die_with_parent else None,
        )
    hms = JavaHms(proc, workdir, port, "127.0.0.1", loopback=loopback)
    deadline = time.monotonic() + startup_timeout
    started = time.monotonic()
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"Java HMS exited with {proc.returncode} during start-up\n{hms.log_tail()}")
        if port_open("127.0.0.1", port):
            break
        if time.monotonic() > deadline:
            hms.stop()
            raise TimeoutError(f"Java HMS did not listen on {port} within {startup_timeout}s\n{hms.log_tail()}")
        time.sleep(0.2)
    with open(log_dir / "launcher.log", "a") as f:
        f.write(f"{time.strftime('%H:%M:%S')} listening on {port} after {time.monotonic() - started:.1f}s "
                f"(loopback={hms.loopback})\n")
    return hms


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True, help="Thrift port (0: pick a free one)")
    ap.add_argument("--workdir", required=True, help="Derby database, warehouse and logs go here")
    ap.add_argument("--txn", action="store_true", help="create the txn/lock tables so lock/check_lock/unlock work")
    ap.add_argument("--heap", default="1g")
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--startup-timeout", type=float, default=180.0)
    ap.add_argument("--exec", dest="exec_jvm", action="store_true",
                    help="replace this process with the JVM (no READY line, no waiting); for wrappers")
    args = ap.parse_args(argv)
    port = args.port or free_port()
    if args.exec_jvm:
        workdir = Path(args.workdir).resolve()
        cmd, env, _ = prepare_java_hms(workdir, port, txn=args.txn, heap=args.heap, log_level=args.log_level)
        os.chdir(workdir)
        os.execve(cmd[0], cmd, env)

    stop = threading.Event()

    def on_signal(signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    hms = start_java_hms(
        args.workdir,
        port,
        txn=args.txn,
        heap=args.heap,
        log_level=args.log_level,
        startup_timeout=args.startup_timeout,
        verbose=True,
    )
    try:
        if not hms.loopback:
            print("WARNING: bound to 0.0.0.0 (no loopback shim)", file=sys.stderr, flush=True)
        print(f"READY {port}", flush=True)
        while not stop.is_set():
            if not hms.alive():
                print(f"Java HMS exited with {hms.proc.returncode}", file=sys.stderr, flush=True)
                return hms.proc.returncode or 1
            stop.wait(0.5)
        return 0
    finally:
        hms.stop()


if __name__ == "__main__":
    sys.exit(main())
