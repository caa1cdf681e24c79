//! Partitions: stored compactly under their table's id, listed by range scans.

use std::collections::HashSet;

use super::codec::{self, StoredPartition};
use super::{json_message, keys, LocalCatalog, Tx};
use crate::error::{Error, Result};
use crate::filter::PartitionFilter;
use crate::model::{now_secs, Partition, PartitionQuery, StorageDescriptor, Table};
use crate::partname;

/// Decides whether a partition (by its values) belongs to a listing.
type Accept = Box<dyn Fn(&[String]) -> bool>;

/// A storage descriptor with its location cleared, for comparing a partition's with its table's.
pub(crate) fn without_location(sd: &StorageDescriptor) -> StorageDescriptor {
    StorageDescriptor {
        location: None,
        ..sd.clone()
    }
}

fn to_stored(t: &Table, p: &Partition) -> Result<StoredPartition> {
    let default_loc = LocalCatalog::default_partition_location(t, &p.values)?;
    let location =
        p.sd.location
            .clone()
            .filter(|l| !l.is_empty() && *l != default_loc);
    let sd = without_location(&p.sd);
    let table_sd = without_location(&t.sd);
    Ok(StoredPartition {
        create_time: if p.create_time == 0 {
            now_secs()
        } else {
            p.create_time
        },
        last_access_time: p.last_access_time,
        location,
        sd: (sd != table_sd).then_some(sd),
        parameters: p.parameters.clone(),
    })
}

fn from_stored(t: &Table, values: Vec<String>, s: StoredPartition) -> Result<Partition> {
    let mut sd = s.sd.unwrap_or_else(|| without_location(&t.sd));
    sd.location = Some(match s.location {
        Some(l) => l,
        None => LocalCatalog::default_partition_location(t, &values)?,
    });
    Ok(Partition {
        db_name: t.db_name.clone(),
        table_name: t.name.clone(),
        values,
        create_time: s.create_time,
        last_access_time: s.last_access_time,
        sd,
        parameters: s.parameters,
    })
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

fn part_names(t: &Table, parts: &[Partition]) -> Result<String> {
    let keys: Vec<&str> = t.partition_keys.iter().map(|c| c.name.as_str()).collect();
    let names: Result<Vec<String>> = parts
        .iter()
        .map(|p| partname::make_name(&keys, &p.values))
        .collect();
    Ok(names?.join(","))
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
        let t = &row.table;
        let mut seen = HashSet::new();
        let mut added = Vec::with_capacity(parts.len());
        for mut p in parts {
            check_values(t, &p.values)?;
            let key = keys::partition(id, &p.values);
            let exists = !seen.insert(key.clone()) || self.db.get_pinned(&key)?.is_some();
            if exists {
                if if_not_exists {
                    continue;
                }
                return Err(Error::AlreadyExists(format!(
                    "Partition already exists: {}",
                    partname::make_name(&key_names(t), &p.values)?
                )));
            }
            let stored = to_stored(t, &p)?;
            tx.batch.put(&key, codec::encode(&stored)?);
            p = from_stored(t, p.values, stored)?;
            added.push(p);
        }
        if !added.is_empty() {
            let msg = json_message(&[
                ("db", &db),
                ("table", &table),
                ("partitions", &part_names(t, &added)?),
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
        from_stored(&row.table, values.to_vec(), stored)
    }

    /// Calls `f` with the values and stored row of each partition matching `query`, in key
    /// order (in the order given, for names), until `max` matched or `f` says stop.
    fn visit(
        &self,
        id: u64,
        t: &Table,
        query: &PartitionQuery,
        max: Option<usize>,
        mut f: impl FnMut(Vec<String>, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let limit = max.unwrap_or(usize::MAX);
        let mut count = 0usize;
        let (prefix, accept): (Vec<String>, Accept) = match query {
            PartitionQuery::All => (Vec::new(), Box::new(|_| true)),
            PartitionQuery::Values(spec) => {
                let lead: Vec<String> =
                    spec.iter().take_while(|v| !v.is_empty()).cloned().collect();
                let spec = spec.clone();
                let ok = move |vals: &[String]| {
                    spec.iter().zip(vals).all(|(s, v)| s.is_empty() || s == v)
                };
                (lead, Box::new(ok))
            }
            PartitionQuery::Filter(text) => {
                let filter = PartitionFilter::new(text, &t.partition_keys)?;
                (
                    filter.leading_values().to_vec(),
                    Box::new(move |v: &[String]| filter.matches(v)),
                )
            }
            PartitionQuery::Names(names) => {
                let keys = key_names(t);
                for name in names {
                    if count >= limit {
                        break;
                    }
                    let Ok(values) = partname::values_for_keys(name, &keys) else {
                        continue;
                    };
                    if let Some(v) = self.db.get_pinned(keys::partition(id, &values))? {
                        f(values, &v)?;
                        count += 1;
                    }
                }
                return Ok(());
            }
        };
        if limit == 0 {
            return Ok(());
        }
        self.scan(&keys::partitions(id, &prefix), |k, v| {
            let values = keys::decode_partition(k)?;
            if accept(&values) {
                f(values, v)?;
                count += 1;
            }
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
        let (id, row) = self.table_row(&db.to_lowercase(), &table.to_lowercase())?;
        let mut out = Vec::new();
        self.visit(id, &row.table, query, max, |values, v| {
            out.push(from_stored(&row.table, values, codec::decode(v)?)?);
            Ok(())
        })?;
        Ok(out)
    }

    pub(crate) fn list_partition_names_sync(
        &self,
        db: &str,
        table: &str,
        query: &PartitionQuery,
        max: Option<usize>,
    ) -> Result<Vec<String>> {
        let (id, row) = self.table_row(&db.to_lowercase(), &table.to_lowercase())?;
        let keys = key_names(&row.table);
        let mut out = Vec::new();
        self.visit(id, &row.table, query, max, |values, _| {
            out.push(partname::make_name(&keys, &values)?);
            Ok(())
        })?;
        Ok(out)
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
        self.visit(id, &row.table, &query, None, |_, _| {
            n += 1;
            Ok(())
        })?;
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
        for p in &parts {
            let key = keys::partition(id, &p.values);
            let old: StoredPartition = self.get_value(&key)?.ok_or_else(|| {
                Error::InvalidOperation(format!(
                    "alter is not possible: partition {:?} does not exist",
                    p.values
                ))
            })?;
            let mut stored = to_stored(&row.table, p)?;
            stored.create_time = old.create_time;
            tx.batch.put(&key, codec::encode(&stored)?);
        }
        let msg = json_message(&[
            ("db", &db),
            ("table", &table),
            ("partitions", &part_names(&row.table, &parts)?),
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
        let mut stored = to_stored(&row.table, &part)?;
        stored.create_time = old.create_time;
        tx.delete(&old_key);
        tx.delete_prefix(&keys::part_stats_all(id, old_values));
        tx.batch.put(&new_key, codec::encode(&stored)?);
        let msg = json_message(&[("db", &db), ("table", &table)]);
        self.log_event(&mut tx, "ALTER_PARTITION", &db, Some(&table), msg)?;
        self.commit(tx)
    }

    pub(crate) fn drop_partitions_sync(
        &self,
        db: &str,
        table: &str,
        values: &[Vec<String>],
        delete_data: bool,
    ) -> Result<Vec<Partition>> {
        let (db, table) = (db.to_lowercase(), table.to_lowercase());
        let mut tx = self.begin();
        let (id, row) = self.table_row(&db, &table)?;
        let mut dropped = Vec::with_capacity(values.len());
        for vals in values {
            let key = keys::partition(id, vals);
            let stored: StoredPartition = self
                .get_value(&key)?
                .ok_or_else(|| Error::no_partition(&db, &table, vals))?;
            self.drop_partition_in(&mut tx, id, vals);
            dropped.push(from_stored(&row.table, vals.clone(), stored)?);
        }
        if dropped.is_empty() {
            return Ok(dropped);
        }
        let msg = json_message(&[
            ("db", &db),
            ("table", &table),
            ("partitions", &part_names(&row.table, &dropped)?),
        ]);
        self.log_event(&mut tx, "DROP_PARTITION", &db, Some(&table), msg)?;
        self.commit(tx)?;
        if delete_data && row.table.owns_data() {
            for p in &dropped {
                if let Some(loc) = &p.sd.location {
                    super::files::delete_dir(loc)?;
                }
            }
        }
        Ok(dropped)
    }

    fn drop_partition_in(&self, tx: &mut Tx<'_>, id: u64, values: &[String]) {
        tx.delete(&keys::partition(id, values));
        tx.delete_prefix(&keys::part_stats_all(id, values));
    }
}

pub(crate) fn key_names(t: &Table) -> Vec<String> {
    t.partition_keys.iter().map(|c| c.name.clone()).collect()
}
