//! Tables.

use super::codec::{StoredPartition, StoredTable};
use super::{files, json_message, keys, normalize_name, pattern::Pattern, LocalCatalog, Tx};
use crate::error::{Error, Result};
use crate::model::{now_secs, table_type, Column, Database, Table, TableMeta};

/// Hive's rule tying the table type to the `EXTERNAL` parameter: a managed table marked
/// `EXTERNAL=TRUE` is external, an external one without it is managed.
pub(crate) fn normalize_table_type(t: &mut Table) {
    let external = t
        .parameters
        .get("EXTERNAL")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if t.table_type.is_empty() || t.table_type == table_type::MANAGED && external {
        t.table_type = if external {
            table_type::EXTERNAL
        } else {
            table_type::MANAGED
        }
        .into();
    } else if t.table_type == table_type::EXTERNAL && !external {
        t.table_type = table_type::MANAGED.into();
    }
}

/// The rest of `path` below folder `root`, if `path` is `root` or inside it.
pub(crate) fn below<'a>(path: &'a str, root: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(root.trim_end_matches('/'))?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// Lower-cases column names, as Hive does.
pub(crate) fn normalize_columns(cols: &mut [Column]) {
    for c in cols {
        c.name = c.name.to_lowercase();
    }
}

impl LocalCatalog {
    /// Names and ids of a database's tables, in name order.
    pub(crate) fn tables_of(&self, db_id: u64) -> Result<Vec<(String, u64)>> {
        let mut tables = Vec::new();
        self.scan(&keys::table_names(db_id), |k, v| {
            tables.push((keys::decode_table_name(k)?, keys::decode_id(v)?));
            Ok(true)
        })?;
        Ok(tables)
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
        normalize_table_type(&mut t);
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
        for (name, id) in self.tables_of(db_id)? {
            if !pattern.matches(&name) {
                continue;
            }
            if let Some(kind) = kind {
                if !self
                    .table_by_id(id)?
                    .table
                    .table_type
                    .eq_ignore_ascii_case(kind)
                {
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
            for (name, id) in self.tables_of(self.db_id(&db)?)? {
                if !tables.matches(&name) {
                    continue;
                }
                let t = self.table_by_id(id)?.table;
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
                if let Some(loc) = p.location.filter(|l| below(l, &root).is_none()) {
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
        tx.delete_prefix(&keys::part_index_all(id));
        tx.delete_prefix(&keys::table_stats_all(id));
        tx.delete_prefix(&keys::part_stats_all(id, &[]));
        let msg = json_message(&[("db", &t.db_name), ("table", &t.name)]);
        self.log_event(tx, "DROP_TABLE", &t.db_name, Some(&t.name), msg)?;
        Ok(data)
    }
}
