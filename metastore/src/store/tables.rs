//! Tables.

use super::codec::{StoredPartition, StoredTable};
use super::{files, json_message, keys, normalize_name, pattern::Pattern, LocalCatalog, Tx};
use crate::error::{Error, Result};
use crate::model::{now_secs, table_type, AlterTableOptions, Column, Database, Table, TableMeta};
use crate::partname;

/// Lower-cases column names, as Hive does.
pub(crate) fn normalize_columns(cols: &mut [Column]) {
    for c in cols {
        c.name = c.name.to_lowercase();
    }
}

impl LocalCatalog {
    pub(crate) fn table_names_of(&self, db_id: u64) -> Result<Vec<String>> {
        let mut names = Vec::new();
        self.scan(&keys::table_names(db_id), |k, _| {
            names.push(keys::decode_table_name(k)?);
            Ok(true)
        })?;
        Ok(names)
    }

    pub(crate) fn create_table_sync(&self, mut t: Table) -> Result<()> {
        t.db_name = t.db_name.to_lowercase();
        t.name = normalize_name("table", &t.name)?;
        normalize_columns(&mut t.sd.columns);
        normalize_columns(&mut t.partition_keys);
        if let Some(dup) = t
            .partition_keys
            .iter()
            .find(|k| t.sd.columns.iter().any(|c| c.name == k.name))
        {
            return Err(Error::InvalidObject(format!(
                "Partition column name {} conflicts with table columns",
                dup.name
            )));
        }
        if t.table_type.is_empty() {
            t.table_type = table_type::MANAGED.into();
        }
        if t.create_time == 0 {
            t.create_time = now_secs();
        }
        let mut tx = self.begin();
        let db_id = self
            .get_id(&keys::db_name(&t.db_name))?
            .ok_or_else(|| Error::NotFound(format!("The database {} does not exist", t.db_name)))?;
        if self.get_id(&keys::table_name(db_id, &t.name))?.is_some() {
            return Err(Error::AlreadyExists(format!(
                "Table {}.{} already exists",
                t.db_name, t.name
            )));
        }
        if t.table_type != table_type::VIEW && t.sd.location.as_deref().unwrap_or("").is_empty() {
            let db: Database = self.get_value(&keys::db(db_id))?.unwrap_or_default();
            t.sd.location = Some(format!("{}/{}", db.location.trim_end_matches('/'), t.name));
        }
        if let Some(loc) = t.sd.location.as_deref().filter(|_| t.owns_data()) {
            files::ensure_dir(loc)?;
        }
        let id = self.alloc_id(&mut tx);
        tx.put_id(&keys::table_name(db_id, &t.name), id);
        let msg = json_message(&[("db", &t.db_name), ("table", &t.name)]);
        self.log_event(&mut tx, "CREATE_TABLE", &t.db_name, Some(&t.name), msg)?;
        Self::put_value(&mut tx, &keys::table(id), &StoredTable { db_id, table: t })?;
        self.commit(tx)
    }

    pub(crate) fn get_table_sync(&self, db: &str, name: &str) -> Result<Table> {
        Ok(self
            .table_row(&db.to_lowercase(), &name.to_lowercase())?
            .1
            .table)
    }

    pub(crate) fn get_tables_sync(&self, db: &str, names: &[String]) -> Result<Vec<Table>> {
        let db = db.to_lowercase();
        self.db_id(&db)?;
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            match self.table_row(&db, &name.to_lowercase()) {
                Ok((_, row)) => out.push(row.table),
                Err(Error::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    pub(crate) fn list_tables_sync(
        &self,
        db: &str,
        pattern: Option<&str>,
        kind: Option<&str>,
    ) -> Result<Vec<String>> {
        let db_id = self.db_id(&db.to_lowercase())?;
        let pattern = Pattern::new(pattern)?;
        let mut out = Vec::new();
        for name in self.table_names_of(db_id)? {
            if !pattern.matches(&name) {
                continue;
            }
            if let Some(kind) = kind {
                let (_, row) = self.table_row(&db.to_lowercase(), &name)?;
                if !row.table.table_type.eq_ignore_ascii_case(kind) {
                    continue;
                }
            }
            out.push(name);
        }
        Ok(out)
    }

    pub(crate) fn list_table_meta_sync(
        &self,
        db_pattern: &str,
        table_pattern: &str,
        types: &[String],
    ) -> Result<Vec<TableMeta>> {
        let tables = Pattern::new(Some(table_pattern))?;
        let mut out = Vec::new();
        for db in self.list_databases_sync(Some(db_pattern))? {
            for name in self.list_tables_sync(&db, None, None)? {
                if !tables.matches(&name) {
                    continue;
                }
                let t = self.table_row(&db, &name)?.1.table;
                if types.is_empty()
                    || types
                        .iter()
                        .any(|ty| ty.eq_ignore_ascii_case(&t.table_type))
                {
                    out.push(TableMeta {
                        db_name: db.clone(),
                        table_name: name,
                        table_type: t.table_type,
                        comment: t.parameters.get("comment").cloned(),
                    });
                }
            }
        }
        Ok(out)
    }

    pub(crate) fn alter_table_sync(
        &self,
        db: &str,
        name: &str,
        mut new: Table,
        opts: &AlterTableOptions,
    ) -> Result<()> {
        let (db, name) = (db.to_lowercase(), name.to_lowercase());
        new.db_name = if new.db_name.is_empty() {
            db.clone()
        } else {
            new.db_name.to_lowercase()
        };
        new.name = normalize_name(
            "table",
            if new.name.is_empty() {
                &name
            } else {
                &new.name
            },
        )?;
        normalize_columns(&mut new.sd.columns);
        normalize_columns(&mut new.partition_keys);
        let mut tx = self.begin();
        let (id, row) = self.table_row(&db, &name).map_err(|e| match e {
            Error::NotFound(_) => Error::InvalidOperation(format!(
                "alter is not possible: table {db}.{name} does not exist"
            )),
            e => e,
        })?;
        let old = row.table;
        if let Some((key, expected)) = &opts.expected_parameter {
            let current = old.parameters.get(key).map(String::as_str).unwrap_or("");
            if current != expected {
                return Err(Error::Conflict(format!(
                    "The table has been modified. The parameter value for key '{key}' is '{current}'. The expected was value was '{expected}'"
                )));
            }
        }
        if new.partition_keys.len() != old.partition_keys.len() && !old.partition_keys.is_empty() {
            return Err(Error::InvalidOperation(
                "partition keys can not be changed".into(),
            ));
        }
        new.create_time = old.create_time;
        let renamed = new.db_name != db || new.name != name;
        let mut db_id = row.db_id;
        let mut move_dir = None;
        if renamed {
            db_id = self.db_id(&new.db_name)?;
            if self.get_id(&keys::table_name(db_id, &new.name))?.is_some() {
                return Err(Error::InvalidOperation(format!(
                    "Cannot rename to {}.{}: it already exists",
                    new.db_name, new.name
                )));
            }
            tx.delete(&keys::table_name(row.db_id, &name));
            tx.put_id(&keys::table_name(db_id, &new.name), id);
            move_dir = self.relocate_managed(&old, &mut new, db_id)?;
        }
        self.rewrite_partitions_for_alter(
            &mut tx,
            id,
            &old,
            &new,
            opts.cascade,
            move_dir.as_ref(),
        )?;
        let msg = json_message(&[("db", &new.db_name), ("table", &new.name), ("old", &name)]);
        self.log_event(&mut tx, "ALTER_TABLE", &new.db_name, Some(&new.name), msg)?;
        Self::put_value(
            &mut tx,
            &keys::table(id),
            &StoredTable { db_id, table: new },
        )?;
        if let Some((from, to)) = &move_dir {
            if let (Some(f), Some(t)) = (files::local_path(from), files::local_path(to)) {
                if f.exists() {
                    if let Some(parent) = t.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    std::fs::rename(&f, &t)?;
                }
            }
        }
        self.commit(tx)
    }

    /// A managed table renamed without a new location moves to its new default folder, as in
    /// Hive. Returns (old location, new location) when it moves.
    fn relocate_managed(
        &self,
        old: &Table,
        new: &mut Table,
        db_id: u64,
    ) -> Result<Option<(String, String)>> {
        let old_loc = old.sd.location.clone().unwrap_or_default();
        let unchanged = new
            .sd
            .location
            .as_deref()
            .is_none_or(|l| l.is_empty() || l == old_loc);
        if !old.owns_data() || !unchanged || old_loc.is_empty() {
            return Ok(None);
        }
        let db: Database = self.get_value(&keys::db(db_id))?.unwrap_or_default();
        let new_loc = format!("{}/{}", db.location.trim_end_matches('/'), new.name);
        new.sd.location = Some(new_loc.clone());
        Ok(Some((old_loc, new_loc)))
    }

    /// Keeps partitions right when the table's storage changes: partitions that inherited the
    /// old descriptor keep it (unless `cascade`), cascaded column changes reach partitions with
    /// their own descriptor, and custom locations under a moved table folder follow it.
    fn rewrite_partitions_for_alter(
        &self,
        tx: &mut Tx<'_>,
        id: u64,
        old: &Table,
        new: &Table,
        cascade: bool,
        moved: Option<&(String, String)>,
    ) -> Result<()> {
        let sd_changed = super::partitions::without_location(&old.sd)
            != super::partitions::without_location(&new.sd);
        if !sd_changed && moved.is_none() {
            return Ok(());
        }
        let mut updates = Vec::new();
        self.scan(&keys::partitions(id, &[]), |k, v| {
            let mut p: StoredPartition = super::codec::decode(v)?;
            let mut changed = false;
            if sd_changed {
                match (&mut p.sd, cascade) {
                    (None, false) => {
                        p.sd = Some(super::partitions::without_location(&old.sd));
                        changed = true;
                    }
                    (Some(sd), true) => {
                        sd.columns = new.sd.columns.clone();
                        changed = true;
                    }
                    _ => {}
                }
            }
            if let (Some((from, to)), Some(loc)) = (moved, p.location.as_mut()) {
                if let Some(rest) = loc.strip_prefix(from.as_str()) {
                    *loc = format!("{to}{rest}");
                    changed = true;
                }
            }
            if changed {
                updates.push((k.to_vec(), p));
            }
            Ok(true)
        })?;
        for (k, p) in updates {
            Self::put_value(tx, &k, &p)?;
        }
        Ok(())
    }

    pub(crate) fn drop_table_sync(&self, db: &str, name: &str, delete_data: bool) -> Result<()> {
        let (db, name) = (db.to_lowercase(), name.to_lowercase());
        let mut tx = self.begin();
        let (id, row) = self.table_row(&db, &name)?;
        let to_delete = self.drop_table_in(&mut tx, id, &row, delete_data)?;
        self.commit(tx)?;
        for loc in to_delete {
            files::delete_dir(&loc)?;
        }
        Ok(())
    }

    /// Adds the deletion of a table and everything under it to `tx`; returns the locations
    /// whose data must be deleted once the batch is committed.
    pub(crate) fn drop_table_in(
        &self,
        tx: &mut Tx<'_>,
        id: u64,
        row: &StoredTable,
        delete_data: bool,
    ) -> Result<Vec<String>> {
        let t = &row.table;
        let mut data = Vec::new();
        if delete_data && t.owns_data() {
            let root = t.sd.location.clone().unwrap_or_default();
            self.scan(&keys::partitions(id, &[]), |_, v| {
                let p: StoredPartition = super::codec::decode(v)?;
                if let Some(loc) = p.location.filter(|l| !l.starts_with(&root)) {
                    data.push(loc);
                }
                Ok(true)
            })?;
            if !root.is_empty() {
                data.push(root);
            }
        }
        tx.delete(&keys::table_name(row.db_id, &t.name));
        tx.delete(&keys::table(id));
        tx.delete_prefix(&keys::partitions(id, &[]));
        tx.delete_prefix(&keys::table_stats_all(id));
        tx.delete_prefix(&keys::part_stats_all(id, &[]));
        let msg = json_message(&[("db", &t.db_name), ("table", &t.name)]);
        self.log_event(tx, "DROP_TABLE", &t.db_name, Some(&t.name), msg)?;
        Ok(data)
    }

    /// The default location of a partition: `<table location>/<escaped name>`.
    pub(crate) fn default_partition_location(t: &Table, values: &[String]) -> Result<String> {
        let keys: Vec<&str> = t.partition_keys.iter().map(|c| c.name.as_str()).collect();
        let name = partname::make_name(&keys, values)?;
        let root = t.sd.location.as_deref().unwrap_or("");
        Ok(format!("{}/{}", root.trim_end_matches('/'), name))
    }
}
