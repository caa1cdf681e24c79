//! `MSCK REPAIR TABLE`: compare a table's partition folders with its catalog partitions and
//! add the missing ones, drop the vanished ones, or both.

use std::collections::HashSet;

use metastore::model::{Partition, PartitionQuery, Table};
use metastore::Catalog;
use object_store::path::Path;
use object_store::ObjectStore;

use crate::error::{Error, Result};
use crate::listing::{folders_exist, walk, Found};
use crate::paths::{child_location, parse_relative, relative_to, store_base, store_path};

/// What a repair changes (`MSCK REPAIR TABLE t [ADD|DROP|SYNC] PARTITIONS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RepairMode {
    /// Register partition folders the catalog does not know yet (the default).
    #[default]
    Add,
    /// Remove catalog partitions whose folder is gone.
    Drop,
    /// Both: the catalog ends up matching storage.
    Sync,
}

impl RepairMode {
    fn adds(self) -> bool {
        matches!(self, RepairMode::Add | RepairMode::Sync)
    }

    fn drops(self) -> bool {
        matches!(self, RepairMode::Drop | RepairMode::Sync)
    }
}

/// What to do with a folder under the table that is not `key=value` for the key expected at
/// its depth (Hive's `hive.msck.path.validation`). Hidden entries (`_*`, `.*`) are always
/// passed over silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PathValidation {
    /// Fail the repair with [`Error::InvalidPath`] (the default).
    #[default]
    Throw,
    /// Pass such folders over, listing them in [`RepairReport::invalid_paths`].
    Skip,
    /// Accept a `k=v` folder whatever its key, taking `v` as the value of the expected key;
    /// folders that are not `k=v` at all are still passed over and reported.
    Ignore,
}

/// Settings of [`repair_table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairOptions {
    /// Add, drop or both.
    pub mode: RepairMode,
    /// Treatment of folders that are not partition folders.
    pub validation: PathValidation,
    /// How many partitions one catalog call adds or drops (0 counts as 1).
    pub batch_size: usize,
}

impl Default for RepairOptions {
    fn default() -> Self {
        RepairOptions {
            mode: RepairMode::Add,
            validation: PathValidation::Throw,
            batch_size: 1000,
        }
    }
}

/// What a repair did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// Names (`k=v/k=v`) of the partitions added, in path order.
    pub added: Vec<String>,
    /// Names of the partitions dropped, in key order.
    pub dropped: Vec<String>,
    /// Folders (relative to the table root) passed over as not being partition folders.
    pub invalid_paths: Vec<String>,
}

/// Repairs the partitions of `db.table`, whose data lies under `table_root` in `store`.
///
/// `table_root` must be the object-store path of the table's `sd.location`. New partitions
/// get the table's storage descriptor with the location `<table location>/<folder path>`,
/// so they keep the scheme of the table location (`s3://...`, `file:/...`). A catalog
/// partition is dropped only when its location can be checked through `store` and no folder
/// exists there; partitions stored elsewhere are left alone. Changes are made in batches of
/// `batch_size`; when a batch fails, the batches before it stay applied.
pub async fn repair_table(
    catalog: &dyn Catalog,
    store: &dyn ObjectStore,
    table_root: &Path,
    db: &str,
    table: &str,
    opts: &RepairOptions,
) -> Result<RepairReport> {
    let t = catalog.get_table(db, table).await?;
    let qualified = format!("{}.{}", t.db_name, t.name);
    if t.partition_keys.is_empty() {
        return Err(Error::NotPartitioned { table: qualified });
    }
    let location = table_location(&t).ok_or_else(|| Error::NoLocation {
        table: qualified.clone(),
    })?;
    let keys: Vec<String> = t.partition_keys.iter().map(|c| c.name.clone()).collect();
    let listed = walk(store, table_root, &keys, opts.validation).await?;
    let found = dedupe(listed.found);
    tracing::info!(table = %qualified, folders = found.len(), "listed partition folders");
    let mut report = RepairReport {
        invalid_paths: listed.invalid,
        ..RepairReport::default()
    };
    let batch = opts.batch_size.max(1);
    let known = if opts.mode.drops() {
        let scope = Scope {
            store,
            table_root,
            location,
            keys: &keys,
            validation: opts.validation,
        };
        let (kept, gone) = split_vanished(catalog, &t, &scope, &found).await?;
        report.dropped = drop_partitions(catalog, &t, gone, batch).await?;
        kept
    } else {
        catalog_values(catalog, &t).await?
    };
    if opts.mode.adds() {
        let new: Vec<Partition> = found
            .iter()
            .filter(|f| !known.contains(&f.values))
            .map(|f| new_partition(&t, location, f))
            .collect();
        report.added = add_partitions(catalog, &t, new, batch).await?;
    }
    tracing::info!(
        table = %qualified,
        added = report.added.len(),
        dropped = report.dropped.len(),
        invalid = report.invalid_paths.len(),
        "repaired partitions"
    );
    Ok(report)
}

/// The table's location without a trailing `/`, unless it has none.
fn table_location(t: &Table) -> Option<&str> {
    let location = t.sd.location.as_deref()?.trim_end_matches('/');
    (!location.is_empty()).then_some(location)
}

/// Keeps the first folder of each set of values (`YEAR=1` and `year=1` are one partition).
fn dedupe(found: Vec<Found>) -> Vec<Found> {
    let mut seen = HashSet::with_capacity(found.len());
    found
        .into_iter()
        .filter(|f| {
            let first = seen.insert(f.values.clone());
            if !first {
                tracing::warn!(path = %f.path, "another folder has the same partition values");
            }
            first
        })
        .collect()
}

/// Values of the partitions the catalog has.
async fn catalog_values(catalog: &dyn Catalog, t: &Table) -> Result<HashSet<Vec<String>>> {
    let names = catalog
        .list_partition_names(&t.db_name, &t.name, &PartitionQuery::All, None)
        .await?;
    names
        .iter()
        .map(|n| t.partition_values(n).map_err(Error::from))
        .collect()
}

/// A new partition for a folder: the table's storage with the folder's location.
fn new_partition(t: &Table, location: &str, f: &Found) -> Partition {
    let mut sd = t.sd.clone();
    sd.location = Some(child_location(location, &f.segments.join("/")));
    Partition {
        db_name: t.db_name.clone(),
        table_name: t.name.clone(),
        values: f.values.clone(),
        sd,
        ..Partition::default()
    }
}

/// Where partitions are looked for.
struct Scope<'a> {
    store: &'a dyn ObjectStore,
    table_root: &'a Path,
    location: &'a str,
    keys: &'a [String],
    validation: PathValidation,
}

/// What is known of a catalog partition's folder before any extra listing.
enum Check {
    /// It exists, or cannot be checked through this store: keep the partition.
    Keep,
    /// The walk would have found it, and did not: it is gone.
    Gone,
    /// It must be looked up.
    Lookup(Path),
}

/// Splits the catalog's partitions into the values of those whose folder exists (or cannot
/// be checked) and the values of those whose folder is gone.
async fn split_vanished(
    catalog: &dyn Catalog,
    t: &Table,
    scope: &Scope<'_>,
    found: &[Found],
) -> Result<(HashSet<Vec<String>>, Vec<Vec<String>>)> {
    let parts = catalog
        .list_partitions(&t.db_name, &t.name, &PartitionQuery::All, None)
        .await?;
    let found_paths: HashSet<&str> = found.iter().map(|f| f.path.as_ref()).collect();
    let base = store_base(scope.location, scope.table_root);
    let mut kept = HashSet::with_capacity(parts.len());
    // Indexes keep the dropped partitions in the catalog's key order.
    let mut gone = Vec::new();
    let mut lookups = Vec::new();
    for (i, p) in parts.into_iter().enumerate() {
        let loc = match p.sd.location.as_deref().filter(|l| !l.is_empty()) {
            Some(l) => l.to_string(),
            None => child_location(scope.location, &t.partition_name(&p.values)?),
        };
        match check(&loc, base.as_deref(), &found_paths, scope) {
            Check::Keep => {
                kept.insert(p.values);
            }
            Check::Gone => gone.push((i, p.values)),
            Check::Lookup(path) => lookups.push((i, p.values, path)),
        }
    }
    let paths: Vec<Path> = lookups.iter().map(|(_, _, path)| path.clone()).collect();
    let exists = folders_exist(scope.store, &paths).await?;
    for ((i, values, _), exists) in lookups.into_iter().zip(exists) {
        if exists {
            kept.insert(values);
        } else {
            gone.push((i, values));
        }
    }
    gone.sort_by_key(|(i, _)| *i);
    Ok((kept, gone.into_iter().map(|(_, values)| values).collect()))
}

fn check(loc: &str, base: Option<&str>, found: &HashSet<&str>, scope: &Scope<'_>) -> Check {
    let Some(path) = base.and_then(|b| store_path(loc, b)) else {
        tracing::debug!(
            location = loc,
            "partition outside the table's store; left alone"
        );
        return Check::Keep;
    };
    if found.contains(path.as_ref()) {
        return Check::Keep;
    }
    let walked = relative_to(&path, scope.table_root)
        .is_some_and(|rel| parse_relative(&rel, scope.keys, scope.validation).is_ok());
    if walked {
        Check::Gone
    } else {
        Check::Lookup(path)
    }
}

async fn add_partitions(
    catalog: &dyn Catalog,
    t: &Table,
    parts: Vec<Partition>,
    batch: usize,
) -> Result<Vec<String>> {
    let mut names = Vec::with_capacity(parts.len());
    let mut parts = parts.into_iter().peekable();
    while parts.peek().is_some() {
        let chunk: Vec<Partition> = parts.by_ref().take(batch).collect();
        let added = catalog
            .add_partitions(&t.db_name, &t.name, chunk, true)
            .await?;
        for p in &added {
            names.push(t.partition_name(&p.values)?);
        }
        tracing::info!(table = %t.name, added = names.len(), "adding partitions");
    }
    Ok(names)
}

async fn drop_partitions(
    catalog: &dyn Catalog,
    t: &Table,
    values: Vec<Vec<String>>,
    batch: usize,
) -> Result<Vec<String>> {
    let mut names = Vec::with_capacity(values.len());
    for chunk in values.chunks(batch) {
        let dropped = catalog
            .drop_partitions(&t.db_name, &t.name, chunk, false, true)
            .await?;
        for p in &dropped {
            names.push(t.partition_name(&p.values)?);
        }
        tracing::info!(table = %t.name, dropped = names.len(), "dropping partitions");
    }
    Ok(names)
}
