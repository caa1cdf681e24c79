//! MSCK REPAIR against a real `LocalCatalog` and a `LocalFileSystem` in a temporary folder.

use std::fs;
use std::path::PathBuf;

use crawler::{repair_table, Error, PathValidation, RepairMode, RepairOptions, RepairReport};
use metastore::model::{table_type, Column, Partition, PartitionQuery, StorageDescriptor, Table};
use metastore::{Catalog, LocalCatalog, LocalConfig};
use object_store::local::LocalFileSystem;
use object_store::path::Path;

/// A catalog and a store rooted at the same temporary folder.
struct Env {
    _dir: tempfile::TempDir,
    /// The temporary folder, canonical (the catalog canonicalizes its warehouse too).
    data: PathBuf,
    catalog: LocalCatalog,
    store: LocalFileSystem,
}

impl Env {
    async fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let data = fs::canonicalize(dir.path()).unwrap();
        let catalog = LocalCatalog::open(&LocalConfig::under(&data)).unwrap();
        catalog
            .create_database(metastore::model::Database {
                name: "d".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        let store = LocalFileSystem::new_with_prefix(&data).unwrap();
        Env {
            _dir: dir,
            data,
            catalog,
            store,
        }
    }

    /// Creates a managed Parquet table `d.<name>` (under the warehouse) with these keys.
    async fn table(&self, name: &str, keys: &[&str]) -> Table {
        self.create(table(name, keys, None)).await
    }

    async fn create(&self, t: Table) -> Table {
        let name = t.name.clone();
        self.catalog.create_table(t).await.unwrap();
        self.catalog.get_table("d", &name).await.unwrap()
    }

    fn root(&self, table: &str) -> Path {
        Path::from(format!("warehouse/d.db/{table}"))
    }

    fn dir(&self, table: &str) -> PathBuf {
        self.data.join("warehouse/d.db").join(table)
    }

    /// Writes a small file at `rel` below the table's folder (names used as they are on disk).
    fn touch(&self, table: &str, rel: &str) {
        let path = self.dir(table).join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, b"PAR1").unwrap();
    }

    fn mkdir(&self, table: &str, rel: &str) {
        fs::create_dir_all(self.dir(table).join(rel)).unwrap();
    }

    fn rmdir(&self, table: &str, rel: &str) {
        fs::remove_dir_all(self.dir(table).join(rel)).unwrap();
    }

    async fn repair(&self, table: &str, opts: &RepairOptions) -> crawler::Result<RepairReport> {
        let root = self.root(table);
        repair_table(&self.catalog, &self.store, &root, "d", table, opts).await
    }

    async fn names(&self, table: &str) -> Vec<String> {
        self.catalog
            .list_partition_names("d", table, &PartitionQuery::All, None)
            .await
            .unwrap()
    }

    async fn location(&self, table: &str, values: &[&str]) -> String {
        let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        let p = self.catalog.get_partition("d", table, &values).await;
        p.unwrap().sd.location.unwrap()
    }

    async fn count_events(&self, since: i64, kind: &str) -> usize {
        let events = self.catalog.events_after(since, 1000).await.unwrap();
        events.iter().filter(|e| e.kind == kind).count()
    }
}

fn table(name: &str, keys: &[&str], location: Option<String>) -> Table {
    let col = |n: &str| Column {
        name: n.into(),
        type_name: "string".into(),
        comment: None,
    };
    Table {
        db_name: "d".into(),
        name: name.into(),
        table_type: table_type::MANAGED.into(),
        sd: StorageDescriptor {
            columns: vec![col("id")],
            location,
            input_format: Some(
                "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat".into(),
            ),
            num_buckets: -1,
            ..Default::default()
        },
        partition_keys: keys.iter().map(|k| col(k)).collect(),
        ..Default::default()
    }
}

fn opts(mode: RepairMode, validation: PathValidation) -> RepairOptions {
    RepairOptions {
        mode,
        validation,
        ..RepairOptions::default()
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The layout most tests start from: partitions, hidden entries and one stray folder.
fn events_layout(env: &Env) {
    for rel in [
        "year=2024/month=01/part-0.parquet",
        "year=2024/month=02/part-0.parquet",
        "year=2024/_SUCCESS",
        "YEAR=2025/month=12/part-0.parquet",
        "year=__HIVE_DEFAULT_PARTITION__/month=01/part-0.parquet",
        "_SUCCESS",
        ".hidden/month=01/part-0.parquet",
        "_temporary/0/part-0.parquet",
        "junk/part-0.parquet",
    ] {
        env.touch("events", rel);
    }
    env.mkdir("events", "year=2024/month=03");
    env.mkdir("events", ".hive-staging_1");
}

const EVENTS: [&str; 5] = [
    "year=2025/month=12",
    "year=2024/month=01",
    "year=2024/month=02",
    "year=2024/month=03",
    "year=__HIVE_DEFAULT_PARTITION__/month=01",
];

#[tokio::test]
async fn throw_rejects_a_stray_folder_and_changes_nothing() {
    let env = Env::new().await;
    env.table("events", &["year", "month"]).await;
    events_layout(&env);
    let err = env
        .repair("events", &RepairOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidPath { path, .. } if path == "junk"),
        "{err}"
    );
    assert!(env.names("events").await.is_empty());
}

#[tokio::test]
async fn skip_adds_partition_folders_and_reports_the_rest() {
    let env = Env::new().await;
    let t = env.table("events", &["year", "month"]).await;
    events_layout(&env);
    let report = env
        .repair("events", &opts(RepairMode::Add, PathValidation::Skip))
        .await
        .unwrap();
    assert_eq!(report.added, EVENTS);
    assert!(report.dropped.is_empty());
    assert_eq!(report.invalid_paths, ["junk"]);

    let mut expected = strings(&EVENTS);
    expected.sort();
    let mut names = env.names("events").await;
    names.sort();
    assert_eq!(names, expected);

    // Locations follow the table's location and the folders' names as stored.
    let root = t.sd.location.clone().unwrap();
    assert!(root.starts_with("file:"), "{root}");
    assert_eq!(
        env.location("events", &["2025", "12"]).await,
        format!("{root}/YEAR=2025/month=12")
    );
    assert_eq!(
        env.location("events", &["2024", "03"]).await,
        format!("{root}/year=2024/month=03"),
        "an empty folder is a partition"
    );
    let p = env
        .catalog
        .get_partition("d", "events", &strings(&["2024", "01"]))
        .await
        .unwrap();
    assert_eq!(p.sd.input_format, t.sd.input_format);
    assert_eq!(p.sd.columns, t.sd.columns);
    assert_eq!(p.sd.location, Some(format!("{root}/year=2024/month=01")));

    // A second run finds nothing new.
    let again = env
        .repair("events", &opts(RepairMode::Sync, PathValidation::Skip))
        .await
        .unwrap();
    assert!(
        again.added.is_empty() && again.dropped.is_empty(),
        "{again:?}"
    );
    assert_eq!(again.invalid_paths, ["junk"]);
    assert_eq!(env.names("events").await.len(), EVENTS.len());
}

#[tokio::test]
async fn ignore_accepts_other_keys_but_not_other_names() {
    let env = Env::new().await;
    let t = env.table("events", &["year", "month"]).await;
    env.touch("events", "yr=2019/month=01/part-0.parquet");
    env.touch("events", "year=2020/mon=02/part-0.parquet");
    env.touch("events", "junk/part-0.parquet");

    let skip = env
        .repair("events", &opts(RepairMode::Add, PathValidation::Skip))
        .await
        .unwrap();
    assert!(skip.added.is_empty());
    assert_eq!(skip.invalid_paths, ["junk", "year=2020/mon=02", "yr=2019"]);

    let ignore = env
        .repair("events", &opts(RepairMode::Add, PathValidation::Ignore))
        .await
        .unwrap();
    assert_eq!(ignore.added, ["year=2020/month=02", "year=2019/month=01"]);
    assert_eq!(ignore.invalid_paths, ["junk"]);
    let root = t.sd.location.unwrap();
    assert_eq!(
        env.location("events", &["2019", "01"]).await,
        format!("{root}/yr=2019/month=01")
    );
}

#[tokio::test]
async fn escaped_values_are_unescaped() {
    let env = Env::new().await;
    let t = env.table("cities", &["city", "year"]).await;
    // Escaped names at the first level, so the walk also lists inside them.
    env.touch("cities", "city=New%20York/year=2024/part-0.parquet");
    env.touch("cities", "city=a%2Fb%3Dc/year=20%3A00/part-0.parquet");
    let report = env
        .repair("cities", &RepairOptions::default())
        .await
        .unwrap();
    assert_eq!(
        report.added,
        ["city=New York/year=2024", "city=a%2Fb%3Dc/year=20%3A00"]
    );
    let root = t.sd.location.unwrap();
    assert_eq!(
        env.location("cities", &["New York", "2024"]).await,
        format!("{root}/city=New%20York/year=2024")
    );
    assert_eq!(
        env.location("cities", &["a/b=c", "20:00"]).await,
        format!("{root}/city=a%2Fb%3Dc/year=20%3A00")
    );
    let sync = env
        .repair("cities", &opts(RepairMode::Sync, PathValidation::Throw))
        .await
        .unwrap();
    assert_eq!(sync, RepairReport::default(), "both folders are recognised");
    env.rmdir("cities", "city=New%20York");
    let sync = env
        .repair("cities", &opts(RepairMode::Sync, PathValidation::Throw))
        .await
        .unwrap();
    assert_eq!(sync.dropped, ["city=New York/year=2024"]);
    assert_eq!(env.names("cities").await, ["city=a%2Fb%3Dc/year=20%3A00"]);
}

/// Adds a partition by hand with a location of its own.
async fn add_custom(env: &Env, values: &[&str], location: String) {
    let t = env.catalog.get_table("d", "events").await.unwrap();
    let mut sd = t.sd.clone();
    sd.location = Some(location);
    let p = Partition {
        db_name: "d".into(),
        table_name: "events".into(),
        values: strings(values),
        sd,
        ..Default::default()
    };
    env.catalog
        .add_partitions("d", "events", vec![p], false)
        .await
        .unwrap();
}

#[tokio::test]
async fn drop_removes_partitions_whose_folder_is_gone() {
    let env = Env::new().await;
    env.table("events", &["year", "month"]).await;
    events_layout(&env);
    let skip = opts(RepairMode::Add, PathValidation::Skip);
    env.repair("events", &skip).await.unwrap();

    let elsewhere = env.data.join("elsewhere");
    fs::create_dir_all(elsewhere.join("kept")).unwrap();
    let file_uri = |name: &str| format!("file://{}/{name}", elsewhere.display());
    add_custom(&env, &["2030", "01"], file_uri("kept")).await;
    add_custom(&env, &["2031", "01"], file_uri("gone")).await;
    add_custom(&env, &["2032", "01"], "s3://other-bucket/events/x".into()).await;

    env.rmdir("events", "year=2024/month=02");
    env.rmdir("events", "year=__HIVE_DEFAULT_PARTITION__");
    env.touch("events", "year=2026/month=01/part-0.parquet");

    let report = env
        .repair("events", &opts(RepairMode::Drop, PathValidation::Skip))
        .await
        .unwrap();
    assert_eq!(
        report.dropped,
        [
            "year=2024/month=02",
            "year=2031/month=01",
            "year=__HIVE_DEFAULT_PARTITION__/month=01"
        ]
    );
    assert!(report.added.is_empty(), "drop mode adds nothing");
    let names = env.names("events").await;
    assert!(
        names.contains(&"year=2030/month=01".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"year=2032/month=01".to_string()),
        "{names:?}"
    );
    assert!(!names.contains(&"year=2026/month=01".to_string()));
    assert!(elsewhere.join("kept").exists(), "no data is deleted");

    // Sync: drop what vanished since, add what appeared.
    env.rmdir("events", "year=2024/month=03");
    let report = env
        .repair("events", &opts(RepairMode::Sync, PathValidation::Skip))
        .await
        .unwrap();
    assert_eq!(report.dropped, ["year=2024/month=03"]);
    assert_eq!(report.added, ["year=2026/month=01"]);
    let mut names = env.names("events").await;
    names.sort();
    assert_eq!(
        names,
        [
            "year=2024/month=01",
            "year=2025/month=12",
            "year=2026/month=01",
            "year=2030/month=01",
            "year=2032/month=01"
        ]
    );
}

#[tokio::test]
async fn sync_moves_a_partition_whose_folder_was_renamed() {
    let env = Env::new().await;
    let t = env.table("events", &["year", "month"]).await;
    env.touch("events", "year=2024/month=01/part-0.parquet");
    env.repair("events", &RepairOptions::default())
        .await
        .unwrap();
    fs::rename(
        env.dir("events").join("year=2024"),
        env.dir("events").join("YEAR=2024"),
    )
    .unwrap();
    let report = env
        .repair("events", &opts(RepairMode::Sync, PathValidation::Throw))
        .await
        .unwrap();
    assert_eq!(report.dropped, ["year=2024/month=01"]);
    assert_eq!(report.added, ["year=2024/month=01"]);
    let root = t.sd.location.unwrap();
    assert_eq!(
        env.location("events", &["2024", "01"]).await,
        format!("{root}/YEAR=2024/month=01")
    );
}

#[tokio::test]
async fn adds_and_drops_in_batches() {
    let env = Env::new().await;
    env.table("events", &["year", "month"]).await;
    for m in 1..=5 {
        env.touch("events", &format!("year=2024/month=0{m}/part-0.parquet"));
    }
    let batched = |mode| RepairOptions {
        mode,
        batch_size: 2,
        ..RepairOptions::default()
    };
    let before = env.catalog.current_event_id().await.unwrap();
    let report = env
        .repair("events", &batched(RepairMode::Add))
        .await
        .unwrap();
    assert_eq!(report.added.len(), 5);
    assert_eq!(env.names("events").await.len(), 5);
    assert_eq!(env.count_events(before, "ADD_PARTITION").await, 3);

    for m in 1..=3 {
        env.rmdir("events", &format!("year=2024/month=0{m}"));
    }
    let before = env.catalog.current_event_id().await.unwrap();
    let report = env
        .repair("events", &batched(RepairMode::Drop))
        .await
        .unwrap();
    assert_eq!(
        report.dropped,
        [
            "year=2024/month=01",
            "year=2024/month=02",
            "year=2024/month=03"
        ]
    );
    assert_eq!(env.count_events(before, "DROP_PARTITION").await, 2);
    assert_eq!(
        env.names("events").await,
        ["year=2024/month=04", "year=2024/month=05"]
    );
}

#[tokio::test]
async fn locations_keep_the_table_scheme() {
    let env = Env::new().await;
    // The local folder stands in for the root of bucket `b`.
    let mut t = table("ext", &["k"], Some("s3://b/warehouse/d.db/ext".into()));
    t.table_type = table_type::EXTERNAL.into();
    env.create(t).await;
    env.touch("ext", "k=1/part-0.parquet");
    let report = env.repair("ext", &RepairOptions::default()).await.unwrap();
    assert_eq!(report.added, ["k=1"]);
    assert_eq!(
        env.location("ext", &["1"]).await,
        "s3://b/warehouse/d.db/ext/k=1"
    );
    env.rmdir("ext", "k=1");
    let report = env
        .repair("ext", &opts(RepairMode::Drop, PathValidation::Throw))
        .await
        .unwrap();
    assert_eq!(report.dropped, ["k=1"]);
}

#[tokio::test]
async fn unpartitioned_and_missing_tables_are_errors() {
    let env = Env::new().await;
    env.table("flat", &[]).await;
    let err = env
        .repair("flat", &RepairOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotPartitioned { ref table } if table == "d.flat"),
        "{err}"
    );
    let err = env
        .repair("nope", &RepairOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Catalog(metastore::Error::NotFound(_))),
        "{err}"
    );
}

#[tokio::test]
async fn an_empty_table_folder_adds_nothing() {
    let env = Env::new().await;
    env.table("events", &["year", "month"]).await;
    env.mkdir("events", "year=2024");
    let report = env
        .repair("events", &opts(RepairMode::Sync, PathValidation::Throw))
        .await
        .unwrap();
    assert_eq!(report, RepairReport::default());
}

#[test]
fn repair_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let dir = tempfile::tempdir().unwrap();
    let catalog = LocalCatalog::open(&LocalConfig::under(dir.path())).unwrap();
    let store = LocalFileSystem::new();
    let root = Path::default();
    let opts = RepairOptions::default();
    let fut = repair_table(&catalog, &store, &root, "d", "t", &opts);
    assert_send(&fut);
}
