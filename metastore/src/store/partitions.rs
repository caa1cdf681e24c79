//! Partitions: stored compactly under their table's id (see `part_rows`), listed by range
//! scans.

use std::collections::HashSet;
use std::sync::Arc;

use super::codec::{self, StoredPartition};
use super::part_index::index_entries;
use super::part_rows::PartRows;
use super::{json_message, keys, LocalCatalog};
use crate::error::{Error, Result};
use crate::filter::PartitionFilter;
use crate::model::{Partition, PartitionList, PartitionQuery, Table};
use crate::partname;

/// Decides whether a partition (by its values) belongs to a listing.
type Accept = Box<dyn Fn(&[String]) -> bool>;

/// How a listing reads partitions: the range of the leading values `lead`, through the
/// partition-key index when a later key is fixed too, keeping those that pass `accept`.
struct Scan {
    lead: Vec<String>,
    /// A key position past `lead` and its fixed value.
    index: Option<(usize, String)>,
    accept: Accept,
}

/// The deepest of the fixed keys: in Hive layouts later keys split finer (day under month),
/// so its index entries are the fewest to read.
fn deepest<S: AsRef<str>>(fixed: impl Iterator<Item = (usize, S)>) -> Option<(usize, String)> {
    fixed.last().map(|(i, v)| (i, v.as_ref().to_string()))
}

fn check_values(t: &Table, values: &[String]) -> Result<()> {
    if values.len() != t.partition_keys.len() {
        return Err(Error::InvalidObject(format!(
            "partition has {} values but table {}.{} has {} partition keys",
            values.len(),
            t.db_name,
            t.name,
            t.partition_keys.len()
        )));
    }
    if values.iter().any(String::is_empty) {
        return Err(Error::InvalidObject(
            "partition values must not be empty".into(),
        ));
    }
    Ok(())
}

impl LocalCatalog {
    pub(crate) fn add_partitions_sync(
        &self,
        db: &str,
        table: &str,
        parts: Vec<Partition>,
        if_not_exists: bool,
    ) -> Result<Vec<Partition>> {
        let (db, table) = (db.to_lowercase(), table.to_lowercase());
        let mut tx = self.begin();
        let (id, row) = self.table_row(&db, &table)?;
        let rows = PartRows::new(&row.table);
        let mut seen = HashSet::with_capacity(parts.len());
        let mut added = Vec::with_capacity(parts.len());
        let mut names = Vec::with_capacity(parts.len());
        for p in parts {
            check_values(&row.table, &p.values)?;
            let name = rows.name(&p.values)?;
            let key = keys::partition(id, &p.values);
            if !seen.insert(key.clone()) || self.db.get_pinned(&key)?.is_some() {
                if if_not_exists {
                    continue;
                }
                return Err(Error::AlreadyExists(format!(
                    "Partition already exists: {name}"
                )));
            }
            let stored = rows.to_row(&p, &name);
            tx.batch.put(&key, codec::encode(&stored)?);
            for entry in index_entries(id, &p.values) {
                tx.batch.put(entry, []);
            }
            added.push(rows.partition(p.values, stored)?);
            names.push(name);
        }
        if !added.is_empty() {
            let msg = json_message(&[
                ("db", &db),
                ("table", &table),
                ("partitions", &names.join(",")),
            ]);
            self.log_event(&mut tx, "ADD_PARTITION", &db, Some(&table), msg)?;
            self.commit(tx)?;
        }
        Ok(added)
    }

    pub(crate) fn get_partition_sync(
        &self,
        db: &str,
        table: &str,
        values: &[String],
    ) -> Result<Partition> {
        let (db, table) = (db.to_lowercase(), table.to_lowercase());
        let (id, row) = self.table_row(&db, &table)?;
        let stored: Option<StoredPartition> = self.get_value(&keys::partition(id, values))?;
        let stored = stored.ok_or_else(|| Error::no_partition(&db, &table, values))?;
        PartRows::new(&row.table).partition(values.to_vec(), stored)
    }

    /// The key range to scan and the test each scanned partition must pass.
    fn plan(t: &Table, query: &PartitionQuery) -> Result<Scan> {
        Ok(match query {
            PartitionQuery::All | PartitionQuery::Names(_) => Scan {
                lead: Vec::new(),
                index: None,
                accept: Box::new(|_| true),
            },
            PartitionQuery::Values(spec) => {
                let lead: Vec<String> =
                    spec.iter().take_while(|v| !v.is_empty()).cloned().collect();
                let fixed = spec.iter().enumerate().skip(lead.len());
                let index = deepest(fixed.filter(|(_, v)| !v.is_empty()));
                let spec = spec.clone();
                let ok = move |vals: &[String]| {
                    spec.iter().zip(vals).all(|(s, v)| s.is_empty() || s == v)
                };
                Scan {
                    lead,
                    index,
                    accept: Box::new(ok),
                }
            }
            PartitionQuery::Filter(text) => {
                let filter = PartitionFilter::new(text, &t.partition_keys)?;
                let lead = filter.leading_values().to_vec();
                let index = deepest(filter.fixed_after_prefix());
                Scan {
                    lead,
                    index,
                    accept: Box::new(move |v: &[String]| filter.matches(v)),
                }
            }
        })
    }

    /// Calls `f` with the values and stored row of each partition matching `query`, in key
    /// order (in the order given, for names), until `max` have matched. Without `rows`, `f`
    /// may get an empty row (an index scan then reads no partition rows).
    fn visit(
        &self,
        id: u64,
        rows: &PartRows<'_>,
        query: &PartitionQuery,
        max: Option<usize>,
        need_rows: bool,
        mut f: impl FnMut(&[String], &[u8]) -> Result<()>,
    ) -> Result<()> {
        let limit = max.unwrap_or(usize::MAX);
        let mut count = 0usize;
        if let PartitionQuery::Names(names) = query {
            for name in names {
                if count >= limit {
                    break;
                }
                let Ok(values) = partname::values_for_keys(name, &rows.keys) else {
                    continue;
                };
                if let Some(v) = self.db.get_pinned(keys::partition(id, &values))? {
                    f(&values, &v)?;
                    count += 1;
                }
            }
            return Ok(());
        }
        let scan = Self::plan(rows.table, query)?;
        if limit == 0 {
            return Ok(());
        }
        let mut values = Vec::new();
        let Some((pos, value)) = &scan.index else {
            return self.scan(&keys::partitions(id, &scan.lead), |k, v| {
                keys::decode_partition_into(k, &mut values)?;
                if (scan.accept)(&values) {
                    f(&values, v)?;
                    count += 1;
                }
                Ok(count < limit)
            });
        };
        let prefix = keys::part_index_prefix(id, *pos, value, &scan.lead);
        self.scan(&prefix, |k, _| {
            keys::decode_part_index_into(k, &mut values)?;
            if !(scan.accept)(&values) {
                return Ok(true);
            }
            if !need_rows {
                f(&values, &[])?;
            } else if let Some(row) = self.db.get_pinned(keys::partition(id, &values))? {
                f(&values, &row)?;
            } else {
                // Dropped or renamed after this scan's iterator was created: the iterator
                // still shows its index entry, the lookup sees the newer state.
                return Ok(true);
            }
            count += 1;
            Ok(count < limit)
        })
    }

    pub(crate) fn list_partitions_sync(
        &self,
        db: &str,
        table: &str,
        query: &PartitionQuery,
        max: Option<usize>,
    ) -> Result<Vec<Partition>> {
        Ok(self
            .list_partition_rows_sync(db, table, query, max)?
            .into_partitions())
    }

    pub(crate) fn list_partition_rows_sync(
        &self,
        db: &str,
        table: &str,
        query: &PartitionQuery,
        max: Option<usize>,
    ) -> Result<PartitionList> {
        let (id, row) = self.table_row(&db.to_lowercase(), &table.to_lowercase())?;
        let rows = PartRows::new(&row.table);
        let mut out = Vec::new();
        self.visit(id, &rows, query, max, true, |values, v| {
            out.push(rows.listed(values.to_vec(), codec::decode(v)?)?);
            Ok(())
        })?;
        Ok(PartitionList {
            table: row.table,
            rows: out,
        })
    }

    pub(crate) fn list_partition_names_sync(
        &self,
        db: &str,
        table: &str,
        query: &PartitionQuery,
        max: Option<usize>,
    ) -> Result<Vec<String>> {
        let whole = matches!(query, PartitionQuery::All);
        let generation = self.names.generation();
        let (id, row) = self.table_row(&db.to_lowercase(), &table.to_lowercase())?;
        if let Some(names) = whole.then(|| self.names.get(id)).flatten() {
            let n = max.unwrap_or(usize::MAX).min(names.len());
            return Ok(names[..n].to_vec());
        }
        let rows = PartRows::new(&row.table);
        let mut out = Vec::new();
        self.visit(id, &rows, query, max, false, |values, _| {
            out.push(rows.name(values)?);
            Ok(())
        })?;
        if !whole || max.is_some() {
            return Ok(out);
        }
        // Kept, then copied out: the copy costs less than a second listing.
        let out = Arc::new(out);
        self.names.put(id, generation, out.clone());
        Ok(out.to_vec())
    }

    pub(crate) fn count_partitions_sync(
        &self,
        db: &str,
        table: &str,
        filter: &str,
    ) -> Result<usize> {
        let (id, row) = self.table_row(&db.to_lowercase(), &table.to_lowercase())?;
        let mut n = 0;
        let query = PartitionQuery::Filter(filter.into());
        self.visit(
            id,
            &PartRows::new(&row.table),
            &query,
            None,
            false,
            |_, _| {
                n += 1;
                Ok(())
            },
        )?;
        Ok(n)
    }

    pub(crate) fn alter_partitions_sync(
        &self,
        db: &str,
        table: &str,
        parts: Vec<Partition>,
    ) -> Result<()> {
        let (db, table) = (db.to_lowercase(), table.to_lowercase());
        let mut tx = self.begin();
        let (id, row) = self.table_row(&db, &table)?;
        let rows = PartRows::new(&row.table);
        let mut names = Vec::with_capacity(parts.len());
        for p in &parts {
            let key = keys::partition(id, &p.values);
            let old: StoredPartition = self.get_value(&key)?.ok_or_else(|| {
                Error::InvalidOperation(format!(
                    "alter is not possible: partition {:?} does not exist",
                    p.values
                ))
            })?;
            let name = rows.name(&p.values)?;
            let mut stored = rows.to_row(p, &name);
            stored.create_time = old.create_time;
            tx.batch.put(&key, codec::encode(&stored)?);
            names.push(name);
        }
        let msg = json_message(&[
            ("db", &db),
            ("table", &table),
            ("partitions", &names.join(",")),
        ]);
        self.log_event(&mut tx, "ALTER_PARTITION", &db, Some(&table), msg)?;
        self.commit(tx)
    }

    pub(crate) fn rename_partition_sync(
        &self,
        db: &str,
        table: &str,
        old_values: &[String],
        part: Partition,
    ) -> Result<()> {
        let (db, table) = (db.to_lowercase(), table.to_lowercase());
        let mut tx = self.begin();
        let (id, row) = self.table_row(&db, &table)?;
        check_values(&row.table, &part.values)?;
        let old_key = keys::partition(id, old_values);
        let old: StoredPartition = self.get_value(&old_key)?.ok_or_else(|| {
            Error::InvalidOperation(format!("Partition {old_values:?} does not exist"))
        })?;
        let new_key = keys::partition(id, &part.values);
        if new_key != old_key && self.db.get_pinned(&new_key)?.is_some() {
            return Err(Error::AlreadyExists(format!(
                "Partition {:?} already exists",
                part.values
            )));
        }
        let rows = PartRows::new(&row.table);
        let mut stored = rows.to_row(&part, &rows.name(&part.values)?);
        stored.create_time = old.create_time;
        tx.delete(&old_key);
        tx.delete_prefix(&keys::part_stats_all(id, old_values));
        for entry in index_entries(id, old_values) {
            tx.delete(&entry);
        }
        tx.batch.put(&new_key, codec::encode(&stored)?);
        for entry in index_entries(id, &part.values) {
            tx.batch.put(entry, []);
        }
        let msg = json_message(&[("db", &db), ("table", &table)]);
        self.log_event(&mut tx, "ALTER_PARTITION", &db, Some(&table), msg)?;
        self.commit(tx)
    }

    /// Drops partitions in one batch. Missing ones fail the call, or are skipped with
    /// `if_exists`.
    pub(crate) fn drop_partitions_sync(
        &self,
        db: &str,
        table: &str,
        values: &[Vec<String>],
        delete_data: bool,
        if_exists: bool,
    ) -> Result<Vec<Partition>> {
        let (db, table) = (db.to_lowercase(), table.to_lowercase());
        let mut tx = self.begin();
        let (id, row) = self.table_row(&db, &table)?;
        let rows = PartRows::new(&row.table);
        let mut dropped = Vec::with_capacity(values.len());
        let mut names = Vec::with_capacity(values.len());
        for vals in values {
            let key = keys::partition(id, vals);
            let Some(stored) = self.get_value::<StoredPartition>(&key)? else {
                if if_exists {
                    continue;
                }
                return Err(Error::no_partition(&db, &table, vals));
            };
            tx.delete(&key);
            tx.delete_prefix(&keys::part_stats_all(id, vals));
            for entry in index_entries(id, vals) {
                tx.delete(&entry);
            }
            names.push(rows.name(vals)?);
            dropped.push(rows.partition(vals.clone(), stored)?);
        }
        if dropped.is_empty() {
            return Ok(dropped);
        }
        let msg = json_message(&[
            ("db", &db),
            ("table", &table),
            ("partitions", &names.join(",")),
        ]);
        self.log_event(&mut tx, "DROP_PARTITION", &db, Some(&table), msg)?;
        self.commit(tx)?;
        if delete_data && row.table.owns_data() {
            for loc in dropped.iter().filter_map(|p| p.sd.location.as_deref()) {
                super::files::delete_dir(loc)?;
            }
        }
        Ok(dropped)
    }
}
