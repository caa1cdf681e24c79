//! Databases.

use super::{files, json_message, keys, normalize_name, pattern::Pattern, LocalCatalog};
use crate::error::{Error, Result};
use crate::model::{now_secs, Database};

impl LocalCatalog {
    pub(crate) fn create_database_sync(&self, mut db: Database) -> Result<()> {
        db.name = normalize_name("database", &db.name)?;
        if db.location.is_empty() {
            let dir = self.warehouse.join(format!("{}.db", db.name));
            db.location = files::file_uri(&dir);
        }
        if db.create_time == 0 {
            db.create_time = now_secs();
        }
        let mut tx = self.begin();
        if self.get_id(&keys::db_name(&db.name))?.is_some() {
            return Err(Error::AlreadyExists(format!(
                "Database {} already exists",
                db.name
            )));
        }
        files::ensure_dir(&db.location)?;
        let id = self.alloc_id(&mut tx);
        tx.put_id(&keys::db_name(&db.name), id);
        Self::put_value(&mut tx, &keys::db(id), &db)?;
        self.log_event(
            &mut tx,
            "CREATE_DATABASE",
            &db.name,
            None,
            json_message(&[("db", &db.name)]),
        )?;
        self.commit(tx)
    }

    pub(crate) fn get_database_sync(&self, name: &str) -> Result<Database> {
        let id = self.db_id(&name.to_lowercase())?;
        self.get_value(&keys::db(id))?
            .ok_or_else(|| Error::Corrupt(format!("database id {id} has no row")))
    }

    pub(crate) fn list_databases_sync(&self, pattern: Option<&str>) -> Result<Vec<String>> {
        let pattern = Pattern::new(pattern)?;
        let mut names = Vec::new();
        self.scan(&keys::db_names(), |k, _| {
            let name = keys::decode_db_name(k)?;
            if pattern.matches(&name) {
                names.push(name);
            }
            Ok(true)
        })?;
        Ok(names)
    }

    pub(crate) fn alter_database_sync(&self, name: &str, mut db: Database) -> Result<()> {
        let name = name.to_lowercase();
        let mut tx = self.begin();
        let id = self.db_id(&name)?;
        let old: Database = self.get_value(&keys::db(id))?.unwrap_or_default();
        if !db.name.is_empty() && !db.name.eq_ignore_ascii_case(&name) {
            return Err(Error::InvalidOperation(
                "a database cannot be renamed".into(),
            ));
        }
        db.name = name.clone();
        if db.location.is_empty() {
            db.location = old.location;
        }
        if db.create_time == 0 {
            db.create_time = old.create_time;
        }
        Self::put_value(&mut tx, &keys::db(id), &db)?;
        self.log_event(
            &mut tx,
            "ALTER_DATABASE",
            &name,
            None,
            json_message(&[("db", &name)]),
        )?;
        self.commit(tx)
    }

    pub(crate) fn drop_database_sync(
        &self,
        name: &str,
        cascade: bool,
        delete_data: bool,
    ) -> Result<()> {
        let name = name.to_lowercase();
        if name == "default" {
            return Err(Error::InvalidOperation(
                "Can not drop default database".into(),
            ));
        }
        let mut tx = self.begin();
        let id = self.db_id(&name)?;
        let db: Database = self.get_value(&keys::db(id))?.unwrap_or_default();
        let tables = self.tables_of(id)?;
        let mut has_functions = false;
        self.scan(&keys::functions(id), |_, _| {
            has_functions = true;
            Ok(false)
        })?;
        if !cascade && (!tables.is_empty() || has_functions) {
            return Err(Error::InvalidOperation(format!(
                "Database {name} is not empty. One or more tables exist."
            )));
        }
        let mut data_to_delete = Vec::new();
        for (_, tid) in tables {
            let row = self.table_by_id(tid)?;
            data_to_delete.extend(self.drop_table_in(&mut tx, tid, &row, delete_data)?);
        }
        tx.delete_prefix(&keys::functions(id));
        tx.delete(&keys::db_name(&name));
        tx.delete(&keys::db(id));
        self.log_event(
            &mut tx,
            "DROP_DATABASE",
            &name,
            None,
            json_message(&[("db", &name)]),
        )?;
        self.commit(tx)?;
        if delete_data {
            data_to_delete.push(db.location);
            for loc in data_to_delete {
                files::delete_dir(&loc)?;
            }
        }
        Ok(())
    }
}
