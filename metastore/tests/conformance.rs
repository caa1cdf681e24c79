//! Behaviour every `Catalog` must have. Each function takes a fresh catalog.

use std::sync::Arc;

use metastore::model::*;
use metastore::{Catalog, Error, LocalCatalog, LocalConfig};

pub(crate) fn local() -> (tempfile::TempDir, Arc<LocalCatalog>) {
    let dir = tempfile::tempdir().unwrap();
    let cat = LocalCatalog::open(&LocalConfig::under(dir.path())).unwrap();
    (dir, Arc::new(cat))
}

fn col(name: &str, ty: &str) -> Column {
    Column {
        name: name.into(),
        type_name: ty.into(),
        comment: None,
    }
}

pub(crate) fn parquet_table(db: &str, name: &str, keys: &[&str]) -> Table {
    let serde = SerDe {
        serialization_lib: Some(
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe".into(),
        ),
        ..Default::default()
    };
    Table {
        db_name: db.into(),
        name: name.into(),
        table_type: table_type::MANAGED.into(),
        sd: StorageDescriptor {
            columns: vec![col("id", "bigint"), col("Name", "string")],
            input_format: Some(
                "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat".into(),
            ),
            output_format: Some(
                "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat".into(),
            ),
            serde,
            num_buckets: -1,
            ..Default::default()
        },
        partition_keys: keys.iter().map(|k| col(k, "string")).collect(),
        ..Default::default()
    }
}

pub(crate) fn part(db: &str, table: &str, t: &Table, values: &[&str]) -> Partition {
    let mut sd = t.sd.clone();
    sd.location = None;
    Partition {
        db_name: db.into(),
        table_name: table.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
        sd,
        ..Default::default()
    }
}

fn db(name: &str) -> Database {
    Database {
        name: name.into(),
        ..Default::default()
    }
}

pub(crate) async fn databases(c: &dyn Catalog) {
    assert!(
        c.get_database("default").await.is_ok(),
        "default always exists"
    );
    c.create_database(db("Sales")).await.unwrap();
    assert!(matches!(
        c.create_database(db("sales")).await,
        Err(Error::AlreadyExists(_))
    ));
    let got = c.get_database("SALES").await.unwrap();
    assert_eq!(got.name, "sales");
    assert!(got.location.ends_with("/sales.db"), "{}", got.location);
    assert_eq!(
        c.list_databases(Some("sal*|nope")).await.unwrap(),
        vec!["sales"]
    );
    assert_eq!(
        c.list_databases(None).await.unwrap(),
        vec!["default", "sales"]
    );
    let mut changed = got.clone();
    changed.parameters.insert("owner".into(), "team".into());
    c.alter_database("sales", changed).await.unwrap();
    assert_eq!(
        c.get_database("sales").await.unwrap().parameters["owner"],
        "team"
    );
    c.create_table(parquet_table("sales", "t", &[]))
        .await
        .unwrap();
    assert!(matches!(
        c.drop_database("sales", false, false).await,
        Err(Error::InvalidOperation(_))
    ));
    c.drop_database("sales", true, true).await.unwrap();
    assert!(matches!(
        c.get_database("sales").await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        c.get_table("sales", "t").await,
        Err(Error::NotFound(_))
    ));
}

pub(crate) async fn tables(c: &dyn Catalog) {
    c.create_database(db("d")).await.unwrap();
    let t = parquet_table("d", "Events", &["year", "month"]);
    c.create_table(t.clone()).await.unwrap();
    assert!(matches!(
        c.create_table(t.clone()).await,
        Err(Error::AlreadyExists(_))
    ));
    assert!(matches!(
        c.create_table(parquet_table("nodb", "x", &[])).await,
        Err(Error::NotFound(_))
    ));
    let got = c.get_table("d", "events").await.unwrap();
    assert_eq!(got.name, "events");
    assert_eq!(
        got.sd.columns[1].name, "name",
        "column names are lower-cased"
    );
    assert!(got
        .sd
        .location
        .as_deref()
        .unwrap()
        .ends_with("/d.db/events"));
    assert_eq!(got.partition_keys.len(), 2);
    let mut v = parquet_table("d", "v", &[]);
    v.table_type = table_type::VIEW.into();
    c.create_table(v).await.unwrap();
    assert_eq!(
        c.list_tables("d", None, None).await.unwrap(),
        vec!["events", "v"]
    );
    assert_eq!(
        c.list_tables("d", Some("ev*"), None).await.unwrap(),
        vec!["events"]
    );
    assert_eq!(
        c.list_tables("d", None, Some(table_type::VIEW))
            .await
            .unwrap(),
        vec!["v"]
    );
    let metas = c
        .list_table_meta("d", "*", &[table_type::MANAGED.to_string()])
        .await
        .unwrap();
    assert_eq!(metas.len(), 1);
    let names = vec!["v".to_string(), "missing".to_string(), "events".to_string()];
    let found: Vec<String> = c
        .get_tables("d", &names)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(found, vec!["v", "events"]);
    // Parameters change; the optimistic check guards concurrent writers.
    let mut next = got.clone();
    next.parameters
        .insert("metadata_location".into(), "m2".into());
    c.alter_table("d", "events", next.clone(), &AlterTableOptions::default())
        .await
        .unwrap();
    let stale = AlterTableOptions {
        expected_parameter: Some(("metadata_location".into(), "m1".into())),
        ..Default::default()
    };
    assert!(matches!(
        c.alter_table("d", "events", next.clone(), &stale).await,
        Err(Error::Conflict(_))
    ));
    assert_eq!(
        c.get_table("d", "events").await.unwrap().parameters["metadata_location"],
        "m2"
    );
    // Rename keeps partitions.
    c.add_partitions(
        "d",
        "events",
        vec![part("d", "events", &got, &["2024", "01"])],
        false,
    )
    .await
    .unwrap();
    let mut renamed = next;
    renamed.name = "events2".into();
    c.alter_table("d", "events", renamed, &AlterTableOptions::default())
        .await
        .unwrap();
    assert!(matches!(
        c.get_table("d", "events").await,
        Err(Error::NotFound(_))
    ));
    let parts = c
        .list_partitions("d", "events2", &PartitionQuery::All, None)
        .await
        .unwrap();
    assert_eq!(parts.len(), 1);
    assert!(parts[0]
        .sd
        .location
        .as_deref()
        .unwrap()
        .ends_with("/d.db/events2/year=2024/month=01"));
    c.drop_table("d", "events2", true).await.unwrap();
    assert!(matches!(
        c.drop_table("d", "events2", true).await,
        Err(Error::NotFound(_))
    ));
}

pub(crate) async fn partitions(c: &dyn Catalog) {
    c.create_database(db("p")).await.unwrap();
    let t = parquet_table("p", "t", &["year", "month"]);
    c.create_table(t.clone()).await.unwrap();
    let t = c.get_table("p", "t").await.unwrap();
    let mut batch = Vec::new();
    for y in ["2023", "2024"] {
        for m in ["01", "02", "03"] {
            batch.push(part("p", "t", &t, &[y, m]));
        }
    }
    let added = c
        .add_partitions("p", "t", batch.clone(), false)
        .await
        .unwrap();
    assert_eq!(added.len(), 6);
    assert!(matches!(
        c.add_partitions("p", "t", batch[..1].to_vec(), false).await,
        Err(Error::AlreadyExists(_))
    ));
    let mut more = batch[..2].to_vec();
    more.push(part("p", "t", &t, &["2025", "a/b"]));
    assert_eq!(
        c.add_partitions("p", "t", more, true).await.unwrap().len(),
        1
    );
    let all = c
        .list_partition_names("p", "t", &PartitionQuery::All, None)
        .await
        .unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(all[0], "year=2023/month=01");
    assert_eq!(all[6], "year=2025/month=a%2Fb");
    let q = PartitionQuery::Filter("year = '2024' and month >= '02'".into());
    let names = c.list_partition_names("p", "t", &q, None).await.unwrap();
    assert_eq!(names, vec!["year=2024/month=02", "year=2024/month=03"]);
    assert_eq!(
        c.count_partitions("p", "t", "month = '01'").await.unwrap(),
        2
    );
    let bad = c
        .list_partitions("p", "t", &PartitionQuery::Filter("nokey = 1".into()), None)
        .await;
    assert!(matches!(bad, Err(Error::InvalidInput(m)) if m.contains("is not a partitioning key")));
    let spec = PartitionQuery::Values(vec!["".into(), "03".into()]);
    assert_eq!(
        c.list_partitions("p", "t", &spec, None)
            .await
            .unwrap()
            .len(),
        2
    );
    let by_name = PartitionQuery::Names(vec![
        "year=2023/month=02".into(),
        "year=1999/month=01".into(),
    ]);
    assert_eq!(
        c.list_partitions("p", "t", &by_name, None)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        c.list_partitions("p", "t", &PartitionQuery::All, Some(3))
            .await
            .unwrap()
            .len(),
        3
    );
    let one = c
        .get_partition("p", "t", &["2024".into(), "01".into()])
        .await
        .unwrap();
    assert!(one
        .sd
        .location
        .as_deref()
        .unwrap()
        .ends_with("/p.db/t/year=2024/month=01"));
    assert_eq!(one.sd.columns, t.sd.columns);
    let mut altered = one.clone();
    altered.parameters.insert("numFiles".into(), "3".into());
    altered.sd.location = Some("file:/elsewhere/x".into());
    c.alter_partitions("p", "t", vec![altered]).await.unwrap();
    let again = c.get_partition("p", "t", &one.values).await.unwrap();
    assert_eq!(again.parameters["numFiles"], "3");
    assert_eq!(again.sd.location.as_deref(), Some("file:/elsewhere/x"));
    let mut renamed = again.clone();
    renamed.values = vec!["2030".into(), "01".into()];
    renamed.sd.location = None;
    c.rename_partition("p", "t", &one.values, renamed)
        .await
        .unwrap();
    assert!(matches!(
        c.get_partition("p", "t", &one.values).await,
        Err(Error::NotFound(_))
    ));
    let gone = || vec![vec!["2030".to_string(), "01".to_string()]];
    let dropped = c
        .drop_partitions("p", "t", &gone(), false, false)
        .await
        .unwrap();
    assert_eq!(dropped.len(), 1);
    let again = c.drop_partitions("p", "t", &gone(), false, false).await;
    assert!(matches!(again, Err(Error::NotFound(_))));
    let mixed = [gone(), vec![vec!["2023".to_string(), "01".to_string()]]].concat();
    let dropped = c
        .drop_partitions("p", "t", &mixed, false, true)
        .await
        .unwrap();
    assert_eq!(
        dropped.len(),
        1,
        "with if_exists the missing one is skipped"
    );
    let restore = c.get_table("p", "t").await.unwrap();
    c.add_partitions(
        "p",
        "t",
        vec![part("p", "t", &restore, &["2023", "01"])],
        false,
    )
    .await
    .unwrap();
    assert_eq!(
        c.list_partition_names("p", "t", &PartitionQuery::All, None)
            .await
            .unwrap()
            .len(),
        6
    );
}

/// Filters fixing keys after the first (which the local store answers from its partition-key
/// index) return what a full scan would, before and after partitions are renamed, dropped and
/// their table re-created.
pub(crate) async fn filters_on_later_keys(c: &dyn Catalog) {
    c.create_database(db("ix")).await.unwrap();
    let make = || parquet_table("ix", "t", &["y", "m", "d"]);
    c.create_table(make()).await.unwrap();
    let t = c.get_table("ix", "t").await.unwrap();
    let mut batch = Vec::new();
    for y in ["2023", "2024"] {
        for m in ["01", "02", "03"] {
            for d in ["1", "2", "3", "4"] {
                batch.push(part("ix", "t", &t, &[y, m, d]));
            }
        }
    }
    c.add_partitions("ix", "t", batch, false).await.unwrap();
    let names = |filter: &'static str| async move {
        let q = PartitionQuery::Filter(filter.into());
        c.list_partition_names("ix", "t", &q, None).await.unwrap()
    };
    let d2 = names("d = '2'").await;
    assert_eq!(d2.len(), 6);
    assert_eq!(d2[0], "y=2023/m=01/d=2");
    assert_eq!(d2[5], "y=2024/m=03/d=2");
    assert_eq!(
        names("m = '02' and d = '3'").await,
        vec!["y=2023/m=02/d=3", "y=2024/m=02/d=3"]
    );
    assert_eq!(names("y = '2024' and d = '4' and m > '01'").await.len(), 2);
    assert_eq!(names("d = '2' or d = '3'").await.len(), 12);
    assert!(names("d = '9'").await.is_empty());
    let q = PartitionQuery::Filter("m = '03' and d = '1'".into());
    let parts = c.list_partitions("ix", "t", &q, None).await.unwrap();
    assert_eq!(parts.len(), 2);
    assert!(parts[1]
        .sd
        .location
        .as_deref()
        .unwrap()
        .ends_with("/y=2024/m=03/d=1"));
    assert_eq!(
        c.list_partitions("ix", "t", &q, Some(1))
            .await
            .unwrap()
            .len(),
        1
    );
    let spec = PartitionQuery::Values(vec!["".into(), "".into(), "4".into()]);
    assert_eq!(
        c.list_partitions("ix", "t", &spec, None)
            .await
            .unwrap()
            .len(),
        6
    );
    assert_eq!(c.count_partitions("ix", "t", "d = '2'").await.unwrap(), 6);

    let old = c
        .get_partition("ix", "t", &["2023".into(), "01".into(), "2".into()])
        .await
        .unwrap();
    let mut moved = old.clone();
    moved.values = vec!["2023".into(), "01".into(), "7".into()];
    moved.sd.location = None;
    c.rename_partition("ix", "t", &old.values, moved)
        .await
        .unwrap();
    assert_eq!(names("d = '2'").await.len(), 5);
    assert_eq!(names("d = '7'").await, vec!["y=2023/m=01/d=7"]);
    let gone = vec![vec!["2024".to_string(), "03".to_string(), "2".to_string()]];
    c.drop_partitions("ix", "t", &gone, false, false)
        .await
        .unwrap();
    assert_eq!(names("d = '2'").await.len(), 4);

    c.drop_table("ix", "t", false).await.unwrap();
    c.create_table(make()).await.unwrap();
    assert!(
        names("d = '3'").await.is_empty(),
        "no entries outlive their table"
    );
}

pub(crate) async fn table_changes_keep_partition_schemas(c: &dyn Catalog) {
    c.create_database(db("s")).await.unwrap();
    c.create_table(parquet_table("s", "t", &["k"]))
        .await
        .unwrap();
    let t = c.get_table("s", "t").await.unwrap();
    c.add_partitions("s", "t", vec![part("s", "t", &t, &["a"])], false)
        .await
        .unwrap();
    let mut wider = t.clone();
    wider.sd.columns.push(col("extra", "int"));
    c.alter_table("s", "t", wider.clone(), &AlterTableOptions::default())
        .await
        .unwrap();
    let p = c.get_partition("s", "t", &["a".into()]).await.unwrap();
    assert_eq!(
        p.sd.columns.len(),
        2,
        "without CASCADE a partition keeps its columns"
    );
    wider.sd.columns.push(col("more", "int"));
    c.alter_table(
        "s",
        "t",
        wider,
        &AlterTableOptions {
            cascade: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let p = c.get_partition("s", "t", &["a".into()]).await.unwrap();
    assert_eq!(p.sd.columns.len(), 4, "CASCADE reaches partitions");
    let before = p.sd.location.clone();
    let mut moved = c.get_table("s", "t").await.unwrap();
    moved.sd.location = Some("file:/somewhere/else".into());
    c.alter_table("s", "t", moved.clone(), &AlterTableOptions::default())
        .await
        .unwrap();
    let p = c.get_partition("s", "t", &["a".into()]).await.unwrap();
    assert_eq!(p.sd.location, before, "a partition stays where its data is");
    moved.partition_keys[0].type_name = "int".into();
    let changed = c
        .alter_table("s", "t", moved, &AlterTableOptions::default())
        .await;
    assert!(
        matches!(changed, Err(Error::InvalidOperation(_))),
        "partition keys cannot change"
    );
}

pub(crate) async fn table_type_follows_the_external_parameter(c: &dyn Catalog) {
    c.create_database(db("e")).await.unwrap();
    let mut t = parquet_table("e", "marked", &[]);
    t.parameters.insert("EXTERNAL".into(), "TRUE".into());
    c.create_table(t).await.unwrap();
    let got = c.get_table("e", "marked").await.unwrap();
    assert_eq!(got.table_type, table_type::EXTERNAL);
    let mut u = parquet_table("e", "unmarked", &[]);
    u.table_type = table_type::EXTERNAL.into();
    c.create_table(u).await.unwrap();
    assert_eq!(
        c.get_table("e", "unmarked").await.unwrap().table_type,
        table_type::MANAGED
    );
}

pub(crate) async fn stats_functions_events(c: &dyn Catalog) {
    c.create_database(db("x")).await.unwrap();
    c.create_table(parquet_table("x", "t", &["k"]))
        .await
        .unwrap();
    let start = c.current_event_id().await.unwrap();
    let t = c.get_table("x", "t").await.unwrap();
    c.add_partitions("x", "t", vec![part("x", "t", &t, &["a"])], false)
        .await
        .unwrap();
    let stat = ColumnStats {
        column: "id".into(),
        column_type: "bigint".into(),
        last_analyzed: Some(7),
        data: ColumnStatsData::Long {
            low: Some(1),
            high: Some(9),
            num_nulls: 0,
            num_dvs: 9,
            bit_vectors: None,
        },
    };
    c.update_column_stats("x", "t", &StatsTarget::Table, vec![stat.clone()])
        .await
        .unwrap();
    let got = c
        .get_column_stats("x", "t", &StatsTarget::Table, &["id".into()])
        .await
        .unwrap();
    assert_eq!(got[0].data, stat.data);
    let pt = StatsTarget::Partition(vec!["a".into()]);
    c.update_column_stats("x", "t", &pt, vec![stat.clone()])
        .await
        .unwrap();
    assert_eq!(
        c.get_column_stats("x", "t", &pt, &["id".into()])
            .await
            .unwrap()
            .len(),
        1
    );
    c.delete_column_stats("x", "t", &StatsTarget::Table, Some("id"))
        .await
        .unwrap();
    assert!(c
        .get_column_stats("x", "t", &StatsTarget::Table, &["id".into()])
        .await
        .unwrap()
        .is_empty());
    let f = Function {
        db_name: "x".into(),
        name: "myUpper".into(),
        class_name: "com.x.Upper".into(),
        function_type: 1,
        ..Default::default()
    };
    c.create_function(f).await.unwrap();
    assert_eq!(
        c.get_function("x", "myupper").await.unwrap().class_name,
        "com.x.Upper"
    );
    assert_eq!(
        c.list_functions("x", Some("my*")).await.unwrap(),
        vec!["myupper"]
    );
    assert_eq!(c.all_functions().await.unwrap().len(), 1);
    let missing = c.get_function("x", "nope").await.unwrap_err().to_string();
    assert!(missing.contains("does not exist"), "{missing}");
    c.drop_function("x", "myupper").await.unwrap();
    let events = c.events_after(start, 100).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.starts_with(&["ADD_PARTITION"]), "{kinds:?}");
    assert!(kinds.contains(&"CREATE_FUNCTION") && kinds.contains(&"DROP_FUNCTION"));
    assert!(events.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(
        c.current_event_id().await.unwrap(),
        events.last().unwrap().id
    );
}

pub(crate) async fn locks(c: &dyn Catalog) {
    let comp = |t: &str| LockComponent {
        mode: LockMode::Exclusive,
        db_name: "default".into(),
        table_name: Some(t.into()),
        partition_name: None,
    };
    let a = c.lock(vec![comp("t")], "u").await.unwrap();
    let b = c.lock(vec![comp("t")], "u").await.unwrap();
    assert_eq!(
        (a.state, b.state),
        (LockState::Acquired, LockState::Waiting)
    );
    assert_eq!(c.check_lock(b.id).await.unwrap().state, LockState::Waiting);
    c.unlock(a.id).await.unwrap();
    assert_eq!(c.check_lock(b.id).await.unwrap().state, LockState::Acquired);
    c.heartbeat(b.id).await.unwrap();
    c.unlock(b.id).await.unwrap();
    assert!(matches!(c.unlock(b.id).await, Err(Error::NotFound(_))));
}

/// Runs every conformance function, each on a fresh catalog from `make`.
#[macro_export]
macro_rules! conformance_suite {
    ($make:expr) => {
        #[tokio::test(flavor = "multi_thread")]
        async fn databases() {
            let (_g, c) = $make.await;
            $crate::conformance::databases(&*c).await;
        }
        #[tokio::test(flavor = "multi_thread")]
        async fn tables() {
            let (_g, c) = $make.await;
            $crate::conformance::tables(&*c).await;
        }
        #[tokio::test(flavor = "multi_thread")]
        async fn partitions() {
            let (_g, c) = $make.await;
            $crate::conformance::partitions(&*c).await;
        }
        #[tokio::test(flavor = "multi_thread")]
        async fn filters_on_later_keys() {
            let (_g, c) = $make.await;
            $crate::conformance::filters_on_later_keys(&*c).await;
        }
        #[tokio::test(flavor = "multi_thread")]
        async fn table_changes_keep_partition_schemas() {
            let (_g, c) = $make.await;
            $crate::conformance::table_changes_keep_partition_schemas(&*c).await;
        }
        #[tokio::test(flavor = "multi_thread")]
        async fn table_type_follows_the_external_parameter() {
            let (_g, c) = $make.await;
            $crate::conformance::table_type_follows_the_external_parameter(&*c).await;
        }
        #[tokio::test(flavor = "multi_thread")]
        async fn stats_functions_events() {
            let (_g, c) = $make.await;
            $crate::conformance::stats_functions_events(&*c).await;
        }
        #[tokio::test(flavor = "multi_thread")]
        async fn locks() {
            let (_g, c) = $make.await;
            $crate::conformance::locks(&*c).await;
        }
    };
}

mod local_catalog {
    async fn make() -> (tempfile::TempDir, std::sync::Arc<metastore::LocalCatalog>) {
        super::local()
    }
    crate::conformance_suite!(make());
}

#[tokio::test(flavor = "multi_thread")]
async fn old_events_are_pruned_and_ids_keep_growing() {
    let (_g, c) = local();
    c.create_database(db("ev")).await.unwrap();
    c.create_database(db("ev2")).await.unwrap();
    let last = c.current_event_id().await.unwrap();
    assert_eq!(
        c.prune_events(0).unwrap(),
        0,
        "nothing is older than the epoch"
    );
    assert_eq!(c.events_after(0, 100).await.unwrap().len() as i64, last);
    let removed = c.prune_events(i32::MAX).unwrap();
    assert_eq!(removed as i64, last);
    assert!(c.events_after(0, 100).await.unwrap().is_empty());
    assert_eq!(c.current_event_id().await.unwrap(), last);
    c.drop_database("ev2", false, false).await.unwrap();
    let after = c.events_after(0, 100).await.unwrap();
    assert_eq!(
        after.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![last + 1]
    );
}
