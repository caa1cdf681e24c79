//! `alter_table`: replace a table's definition, possibly renaming or moving it, while keeping
//! every partition's schema and location what it was (as Hive does).

use super::codec::{self, StoredPartition, StoredTable};
use super::part_rows::{without_location, PartRows};
use super::tables::{below, normalize_columns, normalize_table_type};
use super::{files, json_message, keys, normalize_name};
use super::{LocalCatalog, Tx};
use crate::error::{Error, Result};
use crate::model::{AlterTableOptions, Database, Table};

/// A folder move that goes with a rename: (old location, new location).
type Move = (String, String);

impl LocalCatalog {
    pub(crate) fn alter_table_sync(
        &self,
        db: &str,
        name: &str,
        mut new: Table,
        opts: &AlterTableOptions,
    ) -> Result<()> {
        let (db, name) = (db.to_lowercase(), name.to_lowercase());
        normalize_new(&mut new, &db, &name)?;
        let mut tx = self.begin();
        let (id, row) = self.table_row(&db, &name).map_err(|e| match e {
            Error::NotFound(_) => Error::InvalidOperation(format!(
                "alter is not possible: table {db}.{name} does not exist"
            )),
            e => e,
        })?;
        let old = row.table;
        check_expected(&old, opts)?;
        check_partition_keys(&old, &new)?;
        new.create_time = old.create_time;
        let mut db_id = row.db_id;
        let mut moved = None;
        if new.db_name != db || new.name != name {
            db_id = self.db_id(&new.db_name)?;
            if self.get_id(&keys::table_name(db_id, &new.name))?.is_some() {
                return Err(Error::InvalidOperation(format!(
                    "Cannot rename to {}.{}: it already exists",
                    new.db_name, new.name
                )));
            }
            tx.delete(&keys::table_name(row.db_id, &name));
            tx.put_id(&keys::table_name(db_id, &new.name), id);
            moved = self.relocate_managed(row.db_id, &old, &mut new, db_id)?;
        }
        self.rewrite_partitions(&mut tx, id, &old, &new, opts.cascade, moved.as_ref())?;
        let msg = json_message(&[("db", &new.db_name), ("table", &new.name), ("old", &name)]);
        self.log_event(&mut tx, "ALTER_TABLE", &new.db_name, Some(&new.name), msg)?;
        Self::put_value(
            &mut tx,
            &keys::table(id),
            &StoredTable { db_id, table: new },
        )?;
        // Move the folder, then commit; if the commit fails, move it back.
        if let Some((from, to)) = &moved {
            move_folder(from, to)?;
            if let Err(e) = self.commit(tx) {
                let _ = move_folder(to, from);
                return Err(e);
            }
            return Ok(());
        }
        self.commit(tx)
    }

    /// A managed table in its default local folder, renamed without a new location, moves to
    /// the default folder of its new name, as in Hive. Returns the move when there is one.
    fn relocate_managed(
        &self,
        old_db: u64,
        old: &Table,
        new: &mut Table,
        new_db: u64,
    ) -> Result<Option<Move>> {
        let old_loc = old.sd.location.clone().unwrap_or_default();
        let kept = new
            .sd
            .location
            .as_deref()
            .is_none_or(|l| l.is_empty() || l == old_loc);
        let db_loc = |id: u64| -> Result<String> {
            let d: Database = self.get_value(&keys::db(id))?.unwrap_or_default();
            Ok(d.location.trim_end_matches('/').to_string())
        };
        let in_default = old_loc == format!("{}/{}", db_loc(old_db)?, old.name);
        // Only a local folder can be moved here; a table in object storage keeps its
        // location (as Glue keeps it) rather than pointing at a folder nobody filled.
        let movable = files::local_path(&old_loc).is_some();
        if !old.owns_data() || !kept || !in_default || !movable {
            return Ok(None);
        }
        let new_loc = format!("{}/{}", db_loc(new_db)?, new.name);
        new.sd.location = Some(new_loc.clone());
        Ok(Some((old_loc, new_loc)))
    }

    /// Keeps partitions right when the table changes: partitions inheriting the old storage
    /// descriptor keep it (unless `cascade`, which carries the new columns to every
    /// partition); when the table's location changes, partitions at their default location
    /// stay where their data is, or follow a moved folder.
    fn rewrite_partitions(
        &self,
        tx: &mut Tx<'_>,
        id: u64,
        old: &Table,
        new: &Table,
        cascade: bool,
        moved: Option<&Move>,
    ) -> Result<()> {
        let sd_changed = without_location(&old.sd) != without_location(&new.sd);
        let loc_changed = old.sd.location != new.sd.location;
        if !sd_changed && !loc_changed {
            return Ok(());
        }
        let mut err = None;
        let old_rows = PartRows::new(old);
        self.scan(&keys::partitions(id, &[]), |k, v| {
            let mut p: StoredPartition = codec::decode(v)?;
            let mut changed = sd_changed && keep_schema(&mut p, old, new, cascade);
            match (moved, p.location.as_mut()) {
                (Some((from, to)), Some(loc)) => {
                    if let Some(rest) = below(loc, from) {
                        *loc = format!("{to}{rest}");
                        changed = true;
                    }
                }
                (None, None) if loc_changed => {
                    let values = keys::decode_partition(k)?;
                    p.location = Some(old_rows.default_location(&old_rows.name(&values)?));
                    changed = true;
                }
                _ => {}
            }
            if changed {
                match codec::encode(&p) {
                    Ok(bytes) => tx.batch.put(k, bytes),
                    Err(e) => err = Some(e),
                }
            }
            Ok(err.is_none())
        })?;
        err.map_or(Ok(()), Err)
    }
}

/// Applies a table schema change to one stored partition; returns whether it changed.
fn keep_schema(p: &mut StoredPartition, old: &Table, new: &Table, cascade: bool) -> bool {
    match (&mut p.sd, cascade) {
        (None, false) => {
            p.sd = Some(without_location(&old.sd));
            true
        }
        (Some(sd), true) => {
            sd.columns = new.sd.columns.clone();
            true
        }
        _ => false,
    }
}

fn normalize_new(new: &mut Table, db: &str, name: &str) -> Result<()> {
    new.db_name = if new.db_name.is_empty() {
        db.to_string()
    } else {
        new.db_name.to_lowercase()
    };
    let wanted = if new.name.is_empty() { name } else { &new.name };
    new.name = normalize_name("table", wanted)?;
    normalize_columns(&mut new.sd.columns);
    normalize_columns(&mut new.partition_keys);
    normalize_table_type(new);
    Ok(())
}

fn check_expected(old: &Table, opts: &AlterTableOptions) -> Result<()> {
    let Some((key, expected)) = &opts.expected_parameter else {
        return Ok(());
    };
    let current = old.parameters.get(key).map(String::as_str).unwrap_or("");
    if current == expected {
        return Ok(());
    }
    Err(Error::Conflict(format!(
        "The table has been modified. The parameter value for key '{key}' is '{current}'. \
         The expected was value was '{expected}'"
    )))
}

/// Partition keys cannot change (names and types), except on views.
fn check_partition_keys(old: &Table, new: &Table) -> Result<()> {
    let same = old.partition_keys.len() == new.partition_keys.len()
        && old
            .partition_keys
            .iter()
            .zip(&new.partition_keys)
            .all(|(a, b)| a.name == b.name && a.type_name.eq_ignore_ascii_case(&b.type_name));
    if same || old.table_type == crate::model::table_type::VIEW {
        return Ok(());
    }
    Err(Error::InvalidOperation(
        "partition keys can not be changed".into(),
    ))
}

fn move_folder(from: &str, to: &str) -> Result<()> {
    let (Some(f), Some(t)) = (files::local_path(from), files::local_path(to)) else {
        return Ok(());
    };
    if !f.exists() {
        return Ok(());
    }
    if let Some(parent) = t.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::rename(&f, &t)?;
    Ok(())
}
