//! `hms_bench`: the metastore benchmark. Runs one workload on a partitioned table (keys
//! year/month/day/hour) against Lakehive and against the reference Java Hive Metastore 2.3.10
//! (embedded Derby, started from pyspark's jars by `python/java_hms.py`) in the same run, prints
//! both with their ratio, then runs Lakehive alone at larger sizes. See `integration/README.md`.
//!
//! Workload per server and size N: create database `bench` and the external Parquet table
//! `bench.events`; `add_partitions` in batches of 1000 (partitions/s); `get_table` and
//! `get_database` for a fixed time with 1 and with 16 concurrent clients (ops/s, p50/p99);
//! `get_partitions_by_filter` with leading-key and non-leading-key filters (p50/p99, row counts
//! checked); `get_partition_names` and `get_partitions` for the whole table; `drop_table` with
//! deleteData; `drop_database`.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, BufWriter};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use clap::Parser;
use thrift::protocol::{TBinaryInputProtocol, TBinaryOutputProtocol};
use thrift_idl::hms::{self as t, TThriftHiveMetastoreSyncClient, ThriftHiveMetastoreSyncClient};

type Client = ThriftHiveMetastoreSyncClient<
    TBinaryInputProtocol<BufReader<TcpStream>>,
    TBinaryOutputProtocol<BufWriter<TcpStream>>,
>;

const DB: &str = "bench";
const TABLE: &str = "events";
const KEYS: [&str; 4] = ["year", "month", "day", "hour"];
const BASE_YEAR: usize = 2000;
/// Longest a single call may take before the benchmark gives up on the server.
const CALL_TIMEOUT: Duration = Duration::from_secs(900);

const PARQUET_SERDE: &str = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
const PARQUET_INPUT: &str = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
const PARQUET_OUTPUT: &str = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";

/// Metastore benchmark: Lakehive vs the Java Hive Metastore 2.3.10 (Derby).
#[derive(Parser, Debug)]
#[command(name = "hms_bench")]
struct Args {
    /// Partitions for the comparison run (both servers).
    #[arg(long, default_value_t = 10_000)]
    partitions: usize,
    /// Comma-separated sizes for the Lakehive-only runs, or `none`.
    #[arg(long, default_value = "100000,1000000")]
    scale: String,
    /// Do not start the Java Hive Metastore (Lakehive only at --partitions).
    #[arg(long)]
    skip_java: bool,
    /// Measured seconds of each get_table/get_database throughput run.
    #[arg(long, default_value_t = 5.0)]
    duration_secs: f64,
    /// Warm-up seconds before each throughput run.
    #[arg(long, default_value_t = 1.0)]
    warmup_secs: f64,
    /// Concurrent clients of the multi-client throughput runs.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Measured repetitions of each get_partitions_by_filter (after 5 warm-up calls); stops
    /// early, after at least 5, once a filter has run for --filter-max-secs.
    #[arg(long, default_value_t = 50)]
    filter_reps: usize,
    /// Time cap of each filter's measured repetitions.
    #[arg(long, default_value_t = 30.0)]
    filter_max_secs: f64,
    /// Partitions per add_partitions call.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Give up on a server whose add_partitions load takes longer than this.
    #[arg(long, default_value_t = 1800.0)]
    max_load_secs: f64,
    /// The `lakehive` binary [default: `lakehive` next to this program, else
    /// `$CARGO_TARGET_DIR/release/lakehive`].
    #[arg(long, env = "LAKEHIVE_BIN")]
    lakehive_bin: Option<PathBuf>,
    /// Python of the virtualenv with pyspark [default: `$LAKEHIVE_VENV/bin/python`, else
    /// `~/.cache/lakehive/venv/bin/python`].
    #[arg(long)]
    python: Option<PathBuf>,
    /// The Java HMS launcher [default: `integration/python/java_hms.py` of this checkout].
    #[arg(long)]
    java_hms_script: Option<PathBuf>,
    /// Seconds to wait for the Java HMS to print READY.
    #[arg(long, default_value_t = 300.0)]
    java_startup_secs: f64,
    /// Parent of the temporary work directory [default: the system temp dir].
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Keep the work directory (server logs, Derby database) after the run.
    #[arg(long)]
    keep_work_dir: bool,
    /// Also write the results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

// ---------------------------------------------------------------------------------------------
// Table layout and filters

/// N partitions in (year, month, day, hour) order from 2000-01-01 hour 00; every month has 31
/// days. Up to 20,000 partitions one hour per day (so year+month fixes 31 partitions, like the
/// reference), above that 24 (year+month+day fixes 24).
#[derive(Debug, Clone, Copy)]
struct Layout {
    n: usize,
    hours: usize,
}

impl Layout {
    fn for_size(n: usize) -> Layout {
        Layout {
            n,
            hours: if n <= 20_000 { 1 } else { 24 },
        }
    }

    /// Zero-based (year, month, day, hour) offsets of partition `i`.
    fn coords(&self, i: usize) -> [usize; 4] {
        let h = i % self.hours;
        let rest = i / self.hours;
        let d = rest % 31;
        let rest = rest / 31;
        [rest / 12, rest % 12, d, h]
    }

    fn values(&self, i: usize) -> Vec<String> {
        let c = self.coords(i);
        (0..4).map(|k| render(k, c[k])).collect()
    }

    fn filters(&self) -> Vec<FilterSpec> {
        // The partition in the middle of the table picks the year/month/day of the
        // leading-key filters.
        let [y, m, d, _] = self.coords(self.n / 2);
        let mut v = vec![FilterSpec::new(
            "leading_year_month",
            [Some(y), Some(m), None, None],
        )];
        if self.hours > 1 {
            v.push(FilterSpec::new(
                "leading_year_month_day",
                [Some(y), Some(m), Some(d), None],
            ));
        }
        v.push(FilterSpec::new(
            "nonleading_day",
            [None, None, Some(14), None],
        ));
        let hour = (self.hours > 1).then_some(7);
        v.push(FilterSpec::new(
            "nonleading_month_day_hour",
            [None, Some(4), Some(14), hour],
        ));
        for f in &mut v {
            f.expected = (0..self.n).filter(|&i| f.matches(self.coords(i))).count();
        }
        v
    }
}

/// The string value of key `k` (0 = year ... 3 = hour) at zero-based offset `x`.
fn render(k: usize, x: usize) -> String {
    match k {
        0 => (BASE_YEAR + x).to_string(),
        1 | 2 => format!("{:02}", x + 1),
        _ => format!("{x:02}"),
    }
}

#[derive(Debug, Clone)]
struct FilterSpec {
    key: &'static str,
    fixed: [Option<usize>; 4],
    text: String,
    expected: usize,
}

impl FilterSpec {
    fn new(key: &'static str, fixed: [Option<usize>; 4]) -> FilterSpec {
        let text = fixed
            .iter()
            .enumerate()
            .filter_map(|(k, v)| v.map(|x| format!("{} = \"{}\"", KEYS[k], render(k, x))))
            .collect::<Vec<_>>()
            .join(" and ");
        FilterSpec {
            key,
            fixed,
            text,
            expected: 0,
        }
    }

    fn matches(&self, c: [usize; 4]) -> bool {
        self.fixed
            .iter()
            .zip(c)
            .all(|(f, x)| f.is_none_or(|f| f == x))
    }

    fn label(&self) -> String {
        let kind = if self.fixed[0].is_some() {
            "leading"
        } else {
            "non-leading"
        };
        format!("filter {kind} `{}` ({} rows)", self.text, self.expected)
    }
}

// ---------------------------------------------------------------------------------------------
// Thrift objects, built field by field (the generated Default fills optional fields)

fn field(name: &str, type_: &str) -> t::FieldSchema {
    t::FieldSchema {
        name: Some(name.into()),
        type_: Some(type_.into()),
        comment: None,
    }
}

fn parquet_sd(location: String) -> t::StorageDescriptor {
    t::StorageDescriptor {
        cols: Some(vec![field("id", "bigint"), field("payload", "string")]),
        location: Some(location),
        input_format: Some(PARQUET_INPUT.into()),
        output_format: Some(PARQUET_OUTPUT.into()),
        compressed: Some(false),
        num_buckets: Some(-1),
        serde_info: Some(t::SerDeInfo {
            name: None,
            serialization_lib: Some(PARQUET_SERDE.into()),
            parameters: Some([("serialization.format".into(), "1".into())].into()),
            description: None,
            serializer_class: None,
            deserializer_class: None,
            serde_type: None,
        }),
        bucket_cols: Some(Vec::new()),
        sort_cols: Some(Vec::new()),
        parameters: Some(Default::default()),
        skewed_info: None,
        stored_as_sub_directories: Some(false),
    }
}

fn database(location: String) -> t::Database {
    t::Database {
        name: Some(DB.into()),
        description: Some("hms_bench".into()),
        location_uri: Some(location),
        parameters: Some(Default::default()),
        privileges: None,
        owner_name: Some("hms_bench".into()),
        owner_type: Some(t::PrincipalType::USER),
        catalog_name: None,
        create_time: None,
        managed_location_uri: None,
        type_: None,
        connector_name: None,
        remote_dbname: None,
    }
}

fn table(location: &str) -> t::Table {
    t::Table {
        table_name: Some(TABLE.into()),
        db_name: Some(DB.into()),
        owner: Some("hms_bench".into()),
        create_time: Some(unix_now()),
        last_access_time: Some(0),
        retention: Some(0),
        sd: Some(parquet_sd(location.to_string())),
        partition_keys: Some(KEYS.iter().map(|k| field(k, "string")).collect()),
        parameters: Some(
            [
                ("EXTERNAL".into(), "TRUE".into()),
                ("spark.sql.sources.provider".into(), "parquet".into()),
            ]
            .into(),
        ),
        view_original_text: None,
        view_expanded_text: None,
        table_type: Some("EXTERNAL_TABLE".into()),
        privileges: None,
        temporary: None,
        rewrite_enabled: None,
        creation_metadata: None,
        cat_name: None,
        owner_type: Some(t::PrincipalType::USER),
        write_id: None,
        is_stats_compliant: None,
        col_stats: None,
        access_type: None,
        required_read_capabilities: None,
        required_write_capabilities: None,
        id: None,
        file_metadata: None,
        dictionary: None,
        txn_id: None,
    }
}

fn partition(table_location: &str, values: Vec<String>, now: i32) -> t::Partition {
    let name = KEYS
        .iter()
        .zip(&values)
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("/");
    t::Partition {
        values: Some(values),
        db_name: Some(DB.into()),
        table_name: Some(TABLE.into()),
        create_time: Some(now),
        last_access_time: Some(0),
        sd: Some(parquet_sd(format!("{table_location}/{name}"))),
        parameters: Some(Default::default()),
        privileges: None,
        cat_name: None,
        write_id: None,
        is_stats_compliant: None,
        col_stats: None,
        file_metadata: None,
    }
}

fn unix_now() -> i32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i32::try_from(d.as_secs()).unwrap_or(i32::MAX))
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Client and measurements

fn connect(addr: &str) -> Result<Client> {
    let s = TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
    s.set_nodelay(true)?;
    s.set_read_timeout(Some(CALL_TIMEOUT))?;
    s.set_write_timeout(Some(CALL_TIMEOUT))?;
    let input = TBinaryInputProtocol::new(BufReader::new(s.try_clone()?), true);
    let output = TBinaryOutputProtocol::new(BufWriter::new(s), true);
    Ok(ThriftHiveMetastoreSyncClient::new(input, output))
}

/// Latency summary of repeated calls.
#[derive(Debug, Clone, Copy, Default)]
struct Lat {
    calls: usize,
    p50: f64,
    p99: f64,
    min: f64,
    max: f64,
}

fn summarize(mut samples: Vec<Duration>) -> Lat {
    samples.sort_unstable();
    let n = samples.len();
    let pct = |p: f64| -> f64 {
        if n == 0 {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        samples[rank.clamp(1, n) - 1].as_secs_f64()
    };
    Lat {
        calls: n,
        p50: pct(50.0),
        p99: pct(99.0),
        min: samples.first().map_or(f64::NAN, Duration::as_secs_f64),
        max: samples.last().map_or(f64::NAN, Duration::as_secs_f64),
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Throughput {
    clients: usize,
    ops_per_s: f64,
    lat: Lat,
}

type Op = dyn Fn(&mut Client) -> thrift::Result<()> + Sync;

/// Runs `op` on `clients` connections (one thread each) for `warmup` then `duration`; counts
/// the calls that started and finished inside the measured window.
fn throughput(
    addr: &str,
    clients: usize,
    warmup: Duration,
    duration: Duration,
    op: &Op,
) -> Result<Throughput> {
    let conns = (0..clients)
        .map(|_| connect(addr))
        .collect::<Result<Vec<_>>>()?;
    let from = Instant::now() + warmup;
    let until = from + duration;
    let per_thread = std::thread::scope(|s| {
        let handles: Vec<_> = conns
            .into_iter()
            .map(|mut c| {
                s.spawn(move || -> Result<Vec<Duration>> {
                    let mut lat = Vec::with_capacity(1 << 16);
                    loop {
                        let t0 = Instant::now();
                        if t0 >= until {
                            return Ok(lat);
                        }
                        op(&mut c)?;
                        let t1 = Instant::now();
                        if t0 >= from && t1 <= until {
                            lat.push(t1 - t0);
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| anyhow!("a client thread panicked"))?)
            .collect::<Result<Vec<_>>>()
    })?;
    let all: Vec<Duration> = per_thread.into_iter().flatten().collect();
    let ops_per_s = all.len() as f64 / duration.as_secs_f64();
    Ok(Throughput {
        clients,
        ops_per_s,
        lat: summarize(all),
    })
}

#[derive(Debug, Clone)]
struct FilterResult {
    spec: FilterSpec,
    rows: usize,
    lat: Lat,
}

#[derive(Debug, Clone, Copy, Default)]
struct Timed {
    /// Median of the runs, seconds.
    secs: f64,
    runs: usize,
    rows: usize,
}

/// What one server did at one size.
#[derive(Debug, Clone, Default)]
struct RunResult {
    server: String,
    partitions: usize,
    add_secs: f64,
    add_per_s: f64,
    get_table: Vec<Throughput>,
    get_database: Vec<Throughput>,
    filters: Vec<FilterResult>,
    get_partition_names: Timed,
    get_partitions: Timed,
    drop_secs: f64,
    problems: Vec<String>,
}

fn log(server: &str, msg: impl AsRef<str>) {
    eprintln!("[hms_bench {server}] {}", msg.as_ref());
}

/// The whole workload against the metastore at `addr`; `data` is a local folder for the table.
fn run_workload(server: &str, addr: &str, n: usize, data: &Path, a: &Args) -> Result<RunResult> {
    let layout = Layout::for_size(n);
    let mut r = RunResult {
        server: server.to_string(),
        partitions: n,
        ..RunResult::default()
    };
    let mut c = connect(addr)?;
    let db_loc = format!("file:{}", data.join("bench.db").display());
    let tbl_loc = format!("file:{}", data.join("external").join(TABLE).display());
    c.create_database(database(db_loc))
        .context("create_database")?;
    c.create_table(table(&tbl_loc)).context("create_table")?;

    // add_partitions
    log(
        server,
        format!(
            "add_partitions: {n} partitions in batches of {} ({} hour(s) per day)",
            a.batch, layout.hours
        ),
    );
    let now = unix_now();
    let start = Instant::now();
    let mut last_report = start;
    let mut added = 0usize;
    while added < n {
        let end = (added + a.batch.max(1)).min(n);
        let batch: Vec<t::Partition> = (added..end)
            .map(|i| partition(&tbl_loc, layout.values(i), now))
            .collect();
        let got = c
            .add_partitions(batch)
            .with_context(|| format!("add_partitions (partitions {added}..{end})"))?;
        if usize::try_from(got).ok() != Some(end - added) {
            r.problems.push(format!(
                "add_partitions returned {got} for a batch of {}",
                end - added
            ));
        }
        added = end;
        let el = start.elapsed().as_secs_f64();
        if last_report.elapsed() >= Duration::from_secs(10) && added < n {
            last_report = Instant::now();
            let rate = added as f64 / el;
            log(
                server,
                format!(
                    "  {added}/{n} after {el:.0} s ({rate:.1}/s, about {:.0} s left)",
                    (n - added) as f64 / rate
                ),
            );
        }
        if el > a.max_load_secs && added < n {
            bail!(
                "add_partitions too slow: {added}/{n} after {el:.0} s (cap --max-load-secs {})",
                a.max_load_secs
            );
        }
    }
    r.add_secs = start.elapsed().as_secs_f64();
    r.add_per_s = n as f64 / r.add_secs;
    log(
        server,
        format!(
            "  loaded in {:.2} s: {:.1} partitions/s",
            r.add_secs, r.add_per_s
        ),
    );

    // Check the table and warm up (a fresh JVM is slow for its first few hundred calls).
    let tb = c.get_table(DB.into(), TABLE.into()).context("get_table")?;
    let nkeys = tb.partition_keys.as_ref().map_or(0, Vec::len);
    if nkeys != 4 {
        r.problems
            .push(format!("get_table returned {nkeys} partition keys, not 4"));
    }
    for _ in 0..300 {
        c.get_table(DB.into(), TABLE.into())?;
    }
    for _ in 0..100 {
        c.get_database(DB.into())?;
    }

    // get_table / get_database throughput
    let warm = Duration::from_secs_f64(a.warmup_secs);
    let dur = Duration::from_secs_f64(a.duration_secs);
    let get_table: &Op = &|c: &mut Client| c.get_table(DB.into(), TABLE.into()).map(drop);
    let get_database: &Op = &|c: &mut Client| c.get_database(DB.into()).map(drop);
    for clients in [1, a.clients] {
        let tp = throughput(addr, clients, warm, dur, get_table).context("get_table")?;
        log(
            server,
            format!(
                "get_table, {clients} client(s): {:.0} ops/s, p50 {}",
                tp.ops_per_s,
                fmt_secs(tp.lat.p50)
            ),
        );
        r.get_table.push(tp);
        let tp = throughput(addr, clients, warm, dur, get_database).context("get_database")?;
        log(
            server,
            format!(
                "get_database, {clients} client(s): {:.0} ops/s, p50 {}",
                tp.ops_per_s,
                fmt_secs(tp.lat.p50)
            ),
        );
        r.get_database.push(tp);
    }

    // get_partitions_by_filter
    for spec in layout.filters() {
        let call = |c: &mut Client| -> Result<usize> {
            let parts = c
                .get_partitions_by_filter(DB.into(), TABLE.into(), spec.text.clone(), -1)
                .with_context(|| format!("get_partitions_by_filter {}", spec.text))?;
            Ok(parts.len())
        };
        let mut rows = 0;
        for _ in 0..5 {
            rows = call(&mut c)?;
        }
        if rows != spec.expected {
            r.problems.push(format!(
                "filter `{}` returned {rows} rows, expected {}",
                spec.text, spec.expected
            ));
        }
        let mut samples = Vec::new();
        let t0 = Instant::now();
        while samples.len() < a.filter_reps.max(1)
            && (samples.len() < 5 || t0.elapsed().as_secs_f64() < a.filter_max_secs)
        {
            let s = Instant::now();
            call(&mut c)?;
            samples.push(s.elapsed());
        }
        let lat = summarize(samples);
        log(
            server,
            format!(
                "filter `{}`: {rows} rows, p50 {} ({} calls)",
                spec.text,
                fmt_secs(lat.p50),
                lat.calls
            ),
        );
        r.filters.push(FilterResult { spec, rows, lat });
    }

    // Whole-table listings: a few runs up to 100k partitions, one above.
    let runs = if n <= 100_000 { 3 } else { 1 };
    let mut names = Vec::new();
    let mut rows = 0;
    for _ in 0..runs {
        let s = Instant::now();
        rows = c
            .get_partition_names(DB.into(), TABLE.into(), -1)
            .context("get_partition_names")?
            .len();
        names.push(s.elapsed().as_secs_f64());
    }
    r.get_partition_names = Timed {
        secs: median(names),
        runs,
        rows,
    };
    log(
        server,
        format!(
            "get_partition_names: {rows} names in {}",
            fmt_secs(r.get_partition_names.secs)
        ),
    );
    let mut parts = Vec::new();
    for _ in 0..runs {
        let s = Instant::now();
        rows = c
            .get_partitions(DB.into(), TABLE.into(), -1)
            .context("get_partitions")?
            .len();
        parts.push(s.elapsed().as_secs_f64());
    }
    r.get_partitions = Timed {
        secs: median(parts),
        runs,
        rows,
    };
    log(
        server,
        format!(
            "get_partitions: {rows} partitions in {}",
            fmt_secs(r.get_partitions.secs)
        ),
    );
    for (what, got) in [
        ("get_partition_names", r.get_partition_names.rows),
        ("get_partitions", r.get_partitions.rows),
    ] {
        if got != n {
            r.problems
                .push(format!("{what} returned {got} rows, expected {n}"));
        }
    }

    // drop_table
    let s = Instant::now();
    c.drop_table(DB.into(), TABLE.into(), true)
        .context("drop_table")?;
    r.drop_secs = s.elapsed().as_secs_f64();
    log(server, format!("drop_table: {}", fmt_secs(r.drop_secs)));
    c.drop_database(DB.into(), true, true)
        .context("drop_database")?;
    for p in &r.problems {
        log(server, format!("PROBLEM: {p}"));
    }
    Ok(r)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

// ---------------------------------------------------------------------------------------------
// Servers

/// A server process started by the benchmark; stopped (SIGTERM, then SIGKILL) when dropped.
struct Server {
    name: &'static str,
    child: Child,
    addr: String,
    logs: PathBuf,
    grace: Duration,
}

impl Server {
    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        // SIGTERM by pid (the servers shut down cleanly on it); std only offers SIGKILL.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + self.grace;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        log(self.name, "did not stop after SIGTERM, killing it");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn start_lakehive(bin: &Path, dir: &Path) -> Result<Server> {
    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let data = dir.join("lakehive-data");
    let logs = dir.join("lakehive.log");
    let out =
        std::fs::File::create(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let child = Command::new(bin)
        .arg("serve")
        .arg("--data-dir")
        .arg(&data)
        .arg("--thrift-addr")
        .arg(&addr)
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let mut server = Server {
        name: "lakehive",
        child,
        addr: addr.clone(),
        logs,
        grace: Duration::from_secs(30),
    };
    let sock: SocketAddr = addr.parse()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = server.child.try_wait()? {
            bail!(
                "lakehive exited with {status} during start-up:\n{}",
                tail(&server.logs, 40)
            );
        }
        if TcpStream::connect_timeout(&sock, Duration::from_millis(200)).is_ok() {
            return Ok(server);
        }
        if Instant::now() > deadline {
            server.stop();
            bail!("lakehive did not listen on {addr} within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn start_java(python: &Path, script: &Path, dir: &Path, startup: Duration) -> Result<Server> {
    let port = free_port()?;
    let workdir = dir.join("java-hms");
    std::fs::create_dir_all(&workdir)?;
    log(
        "java",
        format!(
            "starting the Java HMS on 127.0.0.1:{port} (workdir {})",
            workdir.display()
        ),
    );
    let mut child = Command::new(python)
        .arg(script)
        .arg("--port")
        .arg(port.to_string())
        .arg("--workdir")
        .arg(&workdir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {} {}", python.display(), script.display()))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow!("no stdout from java_hms.py"))?;
    let mut server = Server {
        name: "java",
        child,
        addr: format!("127.0.0.1:{port}"),
        logs: workdir.join("logs"),
        grace: Duration::from_secs(40),
    };
    // Forward the launcher's stdout; report its READY line.
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.starts_with("READY") {
                let _ = tx.send(line);
            } else {
                eprintln!("[java_hms.py] {line}");
            }
        }
    });
    let deadline = Instant::now() + startup;
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                let want = format!("READY {port}");
                if line.trim() != want {
                    bail!("java_hms.py said {line:?}, expected {want:?}");
                }
                return Ok(server);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = server.child.wait()?;
                bail!(
                    "java_hms.py exited ({status}) before READY; logs in {}:\n{}",
                    server.logs.display(),
                    tail(&server.logs.join("hms.log"), 40)
                );
            }
        }
        if let Some(status) = server.child.try_wait()? {
            bail!(
                "java_hms.py exited ({status}) before READY; logs in {}:\n{}",
                server.logs.display(),
                tail(&server.logs.join("hms.log"), 40)
            );
        }
        if Instant::now() > deadline {
            server.stop();
            bail!("the Java HMS was not READY within {} s", startup.as_secs());
        }
    }
}

fn run_on_lakehive(bin: &Path, root: &Path, n: usize, a: &Args) -> Result<RunResult> {
    let dir = root.join(format!("lakehive-{n}"));
    std::fs::create_dir_all(&dir)?;
    let mut server = start_lakehive(bin, &dir)?;
    log(
        "lakehive",
        format!("{} serving on {}", bin.display(), server.addr),
    );
    let r = run_workload("lakehive", &server.addr, n, &dir, a);
    if let Some(status) = server.child.try_wait()? {
        log("lakehive", format!("server exited early with {status}"));
    }
    server.stop();
    r.with_context(|| format!("lakehive log: {}", server.logs.display()))
}

fn run_on_java(python: &Path, script: &Path, root: &Path, n: usize, a: &Args) -> Result<RunResult> {
    let dir = root.join(format!("java-{n}"));
    std::fs::create_dir_all(&dir)?;
    let mut server = start_java(
        python,
        script,
        &dir,
        Duration::from_secs_f64(a.java_startup_secs),
    )?;
    let r = run_workload("java", &server.addr, n, &dir, a);
    server.stop();
    r.with_context(|| format!("Java HMS logs: {}", server.logs.display()))
}

// ---------------------------------------------------------------------------------------------
// Report

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// A rate; higher is better.
    Rate(&'static str),
    /// Seconds; lower is better.
    Time,
}

#[derive(Debug, Clone)]
struct Metric {
    label: String,
    kind: Kind,
    value: f64,
    /// Lakehive/Java speed-up asked for by the task.
    target: f64,
}

fn metrics(r: &RunResult, batch: usize) -> Vec<Metric> {
    let m = |label: String, kind, value, target| Metric {
        label,
        kind,
        value,
        target,
    };
    let mut v = vec![m(
        format!("add_partitions (batches of {batch})"),
        Kind::Rate("partitions/s"),
        r.add_per_s,
        1000.0,
    )];
    for (name, runs) in [
        ("get_table", &r.get_table),
        ("get_database", &r.get_database),
    ] {
        for tp in runs {
            let who = if tp.clients == 1 {
                "1 client".to_string()
            } else {
                format!("{} clients", tp.clients)
            };
            v.push(m(
                format!("{name}, {who}"),
                Kind::Rate("ops/s"),
                tp.ops_per_s,
                30.0,
            ));
            v.push(m("  p50 latency".into(), Kind::Time, tp.lat.p50, 30.0));
            v.push(m("  p99 latency".into(), Kind::Time, tp.lat.p99, 30.0));
        }
    }
    for f in &r.filters {
        v.push(m(f.spec.label(), Kind::Time, f.lat.p50, 30.0));
        v.push(m("  p99 latency".to_string(), Kind::Time, f.lat.p99, 30.0));
    }
    let n = fmt_int(r.partitions as f64);
    v.push(m(
        format!("get_partition_names (all {n})"),
        Kind::Time,
        r.get_partition_names.secs,
        30.0,
    ));
    v.push(m(
        format!("get_partitions (all {n})"),
        Kind::Time,
        r.get_partitions.secs,
        30.0,
    ));
    v.push(m(
        format!("drop_table ({n} partitions, deleteData)"),
        Kind::Time,
        r.drop_secs,
        1000.0,
    ));
    v
}

fn fmt_secs(s: f64) -> String {
    if !s.is_finite() {
        "-".into()
    } else if s < 1e-3 {
        format!("{:.1} us", s * 1e6)
    } else if s < 1.0 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

fn fmt_int(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn fmt_value(m: &Metric) -> String {
    match m.kind {
        Kind::Time => fmt_secs(m.value),
        Kind::Rate(unit) if m.value < 100.0 => format!("{:.1} {unit}", m.value),
        Kind::Rate(unit) => format!("{} {unit}", fmt_int(m.value)),
    }
}

/// Lakehive speed / Java speed.
fn ratio(java: &Metric, lake: &Metric) -> f64 {
    match java.kind {
        Kind::Rate(_) => lake.value / java.value,
        Kind::Time => java.value / lake.value,
    }
}

fn fmt_ratio(x: f64) -> String {
    if !x.is_finite() {
        "-".into()
    } else if x < 10.0 {
        format!("{x:.2}x")
    } else {
        format!("{}x", fmt_int(x))
    }
}

fn print_table(title: &str, header: &[&str], rows: &[Vec<String>]) {
    let cols = header.len();
    let mut w: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(cols) {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = w[i].saturating_sub(c.chars().count());
            if i == 0 {
                let _ = write!(s, "{c}{}", " ".repeat(pad));
            } else {
                let _ = write!(s, " | {}{c}", " ".repeat(pad));
            }
        }
        println!("{}", s.trim_end());
    };
    println!("\n{title}");
    line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    println!(
        "{}",
        w.iter()
            .map(|&x| "-".repeat(x))
            .collect::<Vec<_>>()
            .join("-+-")
    );
    for r in rows {
        line(r);
    }
}

fn print_comparison(
    n: usize,
    java: Option<&Result<RunResult>>,
    lake: &Result<RunResult>,
    batch: usize,
) {
    let title = format!(
        "== {} partitions: Java Hive Metastore 2.3.10 (Derby) vs Lakehive ==",
        fmt_int(n as f64)
    );
    let lm = lake.as_ref().ok().map(|r| metrics(r, batch));
    let jm = match java {
        Some(Ok(r)) => Some(metrics(r, batch)),
        _ => None,
    };
    let Some(base) = lm.as_ref().or(jm.as_ref()) else {
        println!("\n{title}\n(no results)");
        return;
    };
    let mut rows = Vec::new();
    for (i, m) in base.iter().enumerate() {
        let j = jm.as_ref().and_then(|v| v.get(i));
        let l = lm.as_ref().and_then(|v| v.get(i));
        let (ratio_s, target_s) = match (j, l) {
            (Some(j), Some(l)) => {
                let x = ratio(j, l);
                let ok = if x >= j.target { "ok" } else { "MISS" };
                (fmt_ratio(x), format!(">={}x {ok}", fmt_int(j.target)))
            }
            _ => ("-".into(), format!(">={}x", fmt_int(m.target))),
        };
        rows.push(vec![
            m.label.clone(),
            j.map_or("-".into(), fmt_value),
            l.map_or("-".into(), fmt_value),
            ratio_s,
            target_s,
        ]);
    }
    print_table(
        &title,
        &["metric", "Java HMS", "Lakehive", "ratio", "target"],
        &rows,
    );
    println!("(ratio = Lakehive speed / Java speed: rates Lakehive/Java, times Java/Lakehive)");
    if let Some(Err(e)) = java {
        println!("Java HMS failed: {e:#}");
    }
    if let Err(e) = lake {
        println!("Lakehive failed: {e:#}");
    }
    for r in [java.and_then(|r| r.as_ref().ok()), lake.as_ref().ok()]
        .into_iter()
        .flatten()
    {
        for p in &r.problems {
            println!("PROBLEM ({}): {p}", r.server);
        }
    }
}

fn print_lakehive_only(n: usize, lake: &Result<RunResult>, batch: usize) {
    let title = format!("== {} partitions: Lakehive only ==", fmt_int(n as f64));
    let r = match lake {
        Ok(r) => r,
        Err(e) => {
            println!("\n{title}\nLakehive failed: {e:#}");
            return;
        }
    };
    let rows: Vec<Vec<String>> = metrics(r, batch)
        .iter()
        .map(|m| vec![m.label.clone(), fmt_value(m)])
        .collect();
    print_table(&title, &["metric", "Lakehive"], &rows);
    for f in &r.filters {
        if f.spec.key == "leading_year_month_day" {
            let ok = if f.lat.p50 < 1e-3 { "ok" } else { "MISS" };
            println!(
                "target: leading-key filter returning {} partitions under 1 ms: p50 {} {ok}",
                f.rows,
                fmt_secs(f.lat.p50)
            );
        }
    }
    for p in &r.problems {
        println!("PROBLEM (lakehive): {p}");
    }
}

// ---------------------------------------------------------------------------------------------
// JSON (written by hand: a handful of numbers and strings)

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        "null".into()
    }
}

fn json_lat(l: &Lat) -> String {
    format!(
        "{{\"calls\": {}, \"p50_s\": {}, \"p99_s\": {}, \"min_s\": {}, \"max_s\": {}}}",
        l.calls,
        json_num(l.p50),
        json_num(l.p99),
        json_num(l.min),
        json_num(l.max)
    )
}

fn json_run(r: &Result<RunResult>) -> String {
    let r = match r {
        Ok(r) => r,
        Err(e) => return format!("{{\"error\": {}}}", json_str(&format!("{e:#}"))),
    };
    let tps = |v: &[Throughput]| {
        v.iter()
            .map(|t| {
                format!(
                    "{{\"clients\": {}, \"ops_per_s\": {}, \"latency\": {}}}",
                    t.clients,
                    json_num(t.ops_per_s),
                    json_lat(&t.lat)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let filters = r
        .filters
        .iter()
        .map(|f| {
            format!(
                "{{\"name\": {}, \"filter\": {}, \"rows\": {}, \"expected_rows\": {}, \"latency\": {}}}",
                json_str(f.spec.key),
                json_str(&f.spec.text),
                f.rows,
                f.spec.expected,
                json_lat(&f.lat)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let timed = |t: &Timed| {
        format!(
            "{{\"seconds\": {}, \"runs\": {}, \"rows\": {}}}",
            json_num(t.secs),
            t.runs,
            t.rows
        )
    };
    format!(
        "{{\"server\": {}, \"partitions\": {}, \"add_partitions\": {{\"seconds\": {}, \"partitions_per_s\": {}}}, \
         \"get_table\": [{}], \"get_database\": [{}], \"get_partitions_by_filter\": [{}], \
         \"get_partition_names\": {}, \"get_partitions\": {}, \"drop_table_seconds\": {}, \"problems\": [{}]}}",
        json_str(&r.server),
        r.partitions,
        json_num(r.add_secs),
        json_num(r.add_per_s),
        tps(&r.get_table),
        tps(&r.get_database),
        filters,
        timed(&r.get_partition_names),
        timed(&r.get_partitions),
        json_num(r.drop_secs),
        r.problems
            .iter()
            .map(|p| json_str(p))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

// ---------------------------------------------------------------------------------------------
// main

fn home() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from)
}

fn resolve_lakehive(a: &Args) -> Result<PathBuf> {
    if let Some(p) = &a.lakehive_bin {
        return Ok(p.clone());
    }
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        if let Some(dir) = exe.parent() {
            candidates.push(dir.join("lakehive"));
        }
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| home().join(".cache/lakehive/target"), PathBuf::from);
    candidates.push(target.join("release").join("lakehive"));
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            anyhow!(
                "no lakehive binary (looked at {candidates:?}); build it with \
                 `cargo build --release -p lakehive --bin lakehive` or pass --lakehive-bin"
            )
        })
}

fn resolve_python(a: &Args) -> PathBuf {
    if let Some(p) = &a.python {
        return p.clone();
    }
    let venv = std::env::var_os("LAKEHIVE_VENV")
        .map_or_else(|| home().join(".cache/lakehive/venv"), PathBuf::from);
    venv.join("bin").join("python")
}

fn parse_scale(s: &str) -> Result<Vec<usize>> {
    let s = s.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|x| {
            x.trim()
                .replace('_', "")
                .parse::<usize>()
                .with_context(|| format!("--scale: bad size {x:?}"))
        })
        .collect()
}

fn main() -> Result<()> {
    let a = Args::parse();
    let scale = parse_scale(&a.scale)?;
    if a.partitions == 0 || scale.contains(&0) {
        bail!("sizes must be positive");
    }
    let lakehive = resolve_lakehive(&a)?;
    if lakehive.components().any(|c| c.as_os_str() == "debug") {
        log(
            "lakehive",
            format!("WARNING: {} looks like a debug build", lakehive.display()),
        );
    }
    let python = resolve_python(&a);
    let script = a.java_hms_script.clone().unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("python")
            .join("java_hms.py")
    });
    if !a.skip_java {
        for p in [&python, &script] {
            if !p.is_file() {
                bail!(
                    "{} not found (run scripts/setup.sh, pass --python/--java-hms-script, or --skip-java)",
                    p.display()
                );
            }
        }
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix("hms-bench-");
    let root = match &a.work_dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            builder.tempdir_in(d)?
        }
        None => builder.tempdir()?,
    };
    let root_path = root.path().to_path_buf();
    log("main", format!("work dir {}", root_path.display()));

    let n = a.partitions;
    let lake = run_on_lakehive(&lakehive, &root_path, n, &a);
    if let Err(e) = &lake {
        log("lakehive", format!("FAILED: {e:#}"));
    }
    let java = (!a.skip_java).then(|| {
        let r = run_on_java(&python, &script, &root_path, n, &a);
        if let Err(e) = &r {
            log("java", format!("FAILED: {e:#}"));
        }
        r
    });
    if java.is_some() {
        print_comparison(n, java.as_ref(), &lake, a.batch);
    } else {
        print_lakehive_only(n, &lake, a.batch);
    }

    let mut scaled = Vec::new();
    for &s in &scale {
        let r = run_on_lakehive(&lakehive, &root_path, s, &a);
        if let Err(e) = &r {
            log("lakehive", format!("FAILED at {s}: {e:#}"));
        }
        print_lakehive_only(s, &r, a.batch);
        scaled.push((s, r));
    }

    if let Some(path) = &a.json {
        let mut j = String::from("{\n");
        let _ = writeln!(
            j,
            "  \"lakehive_bin\": {},",
            json_str(&lakehive.display().to_string())
        );
        let _ = writeln!(j, "  \"comparison_partitions\": {n},");
        let _ = writeln!(
            j,
            "  \"java\": {},",
            java.as_ref().map_or("null".into(), json_run)
        );
        let _ = writeln!(j, "  \"lakehive\": {},", json_run(&lake));
        let scaled_json = scaled
            .iter()
            .map(|(_, r)| json_run(r))
            .collect::<Vec<_>>()
            .join(",\n    ");
        let _ = writeln!(j, "  \"lakehive_scale\": [\n    {scaled_json}\n  ]");
        j.push_str("}\n");
        std::fs::write(path, j).with_context(|| format!("writing {}", path.display()))?;
        log("main", format!("wrote {}", path.display()));
    }

    let failed =
        lake.is_err() || matches!(java, Some(Err(_))) || scaled.iter().any(|(_, r)| r.is_err());
    if failed || a.keep_work_dir {
        let kept = root.keep();
        log("main", format!("work dir kept: {}", kept.display()));
    }
    if failed {
        bail!("some runs failed (see above)");
    }
    Ok(())
}
