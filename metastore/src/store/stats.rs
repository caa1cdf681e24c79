//! Column statistics, functions and the event log.

use super::{codec, json_message, keys, normalize_name, pattern::Pattern, LocalCatalog};
use crate::error::{Error, Result};
use crate::model::{ColumnStats, Event, Function, StatsTarget};

impl LocalCatalog {
    /// The key prefix of a target's statistics and a function making the key of one column.
    fn stats_keys(
        &self,
        db: &str,
        table: &str,
        target: &StatsTarget,
    ) -> Result<(Vec<u8>, impl Fn(&str) -> Vec<u8>)> {
        let (id, _) = self.table_row(&db.to_lowercase(), &table.to_lowercase())?;
        if let StatsTarget::Partition(values) = target {
            if self.db.get_pinned(keys::partition(id, values))?.is_none() {
                return Err(Error::no_partition(db, table, values));
            }
        }
        let target = target.clone();
        let prefix = match &target {
            StatsTarget::Table => keys::table_stats_all(id),
            StatsTarget::Partition(values) => keys::part_stats_all(id, values),
        };
        let key = move |column: &str| match &target {
            StatsTarget::Table => keys::table_stats(id, &column.to_lowercase()),
            StatsTarget::Partition(values) => keys::part_stats(id, values, &column.to_lowercase()),
        };
        Ok((prefix, key))
    }

    pub(crate) fn update_column_stats_sync(
        &self,
        db: &str,
        table: &str,
        target: &StatsTarget,
        stats: Vec<ColumnStats>,
    ) -> Result<()> {
        let mut tx = self.begin();
        let (_, key) = self.stats_keys(db, table, target)?;
        for mut s in stats {
            s.column = s.column.to_lowercase();
            Self::put_value(&mut tx, &key(&s.column), &s)?;
        }
        let msg = json_message(&[("db", db), ("table", table)]);
        self.log_event(&mut tx, "UPDATE_COLUMN_STATISTICS", db, Some(table), msg)?;
        self.commit(tx)
    }

    pub(crate) fn get_column_stats_sync(
        &self,
        db: &str,
        table: &str,
        target: &StatsTarget,
        columns: &[String],
    ) -> Result<Vec<ColumnStats>> {
        let (prefix, key) = self.stats_keys(db, table, target)?;
        let mut out = Vec::new();
        if columns.is_empty() {
            self.scan(&prefix, |_, v| Ok((out.push(codec::decode(v)?), true).1))?;
            return Ok(out);
        }
        for c in columns {
            if let Some(s) = self.get_value(&key(c))? {
                out.push(s);
            }
        }
        Ok(out)
    }

    pub(crate) fn delete_column_stats_sync(
        &self,
        db: &str,
        table: &str,
        target: &StatsTarget,
        column: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.begin();
        let (prefix, key) = self.stats_keys(db, table, target)?;
        match column {
            Some(c) => {
                let key = key(c);
                if self.db.get_pinned(&key)?.is_none() {
                    return Err(Error::NotFound(format!("No statistics for column {c}")));
                }
                tx.delete(&key);
            }
            None => tx.delete_prefix(&prefix),
        }
        self.commit(tx)
    }

    pub(crate) fn create_function_sync(&self, mut f: Function) -> Result<()> {
        f.db_name = f.db_name.to_lowercase();
        f.name = normalize_name("function", &f.name)?;
        if f.class_name.is_empty() {
            return Err(Error::InvalidObject("a function needs a class name".into()));
        }
        let mut tx = self.begin();
        let db_id = self.db_id(&f.db_name)?;
        let key = keys::function(db_id, &f.name);
        if self.db.get_pinned(&key)?.is_some() {
            return Err(Error::AlreadyExists(format!(
                "Function {}.{} already exists",
                f.db_name, f.name
            )));
        }
        let msg = json_message(&[("db", &f.db_name), ("function", &f.name)]);
        self.log_event(&mut tx, "CREATE_FUNCTION", &f.db_name, None, msg)?;
        Self::put_value(&mut tx, &key, &f)?;
        self.commit(tx)
    }

    fn function_key(&self, db: &str, name: &str) -> Result<Vec<u8>> {
        let db_id = self.db_id(&db.to_lowercase())?;
        Ok(keys::function(db_id, &name.to_lowercase()))
    }

    pub(crate) fn get_function_sync(&self, db: &str, name: &str) -> Result<Function> {
        self.get_value(&self.function_key(db, name)?)?
            .ok_or_else(|| Error::NotFound(format!("Function {db}.{name} does not exist")))
    }

    pub(crate) fn alter_function_sync(&self, db: &str, name: &str, mut f: Function) -> Result<()> {
        let mut tx = self.begin();
        let key = self.function_key(db, name)?;
        let old: Function = self.get_value(&key)?.ok_or_else(|| {
            Error::InvalidOperation(format!("Function {db}.{name} does not exist"))
        })?;
        if !f.name.is_empty() && !f.name.eq_ignore_ascii_case(name) {
            return Err(Error::InvalidOperation(
                "a function cannot be renamed".into(),
            ));
        }
        f.db_name = old.db_name;
        f.name = old.name;
        Self::put_value(&mut tx, &key, &f)?;
        self.commit(tx)
    }

    pub(crate) fn drop_function_sync(&self, db: &str, name: &str) -> Result<()> {
        let mut tx = self.begin();
        let key = self.function_key(db, name)?;
        if self.db.get_pinned(&key)?.is_none() {
            return Err(Error::NotFound(format!(
                "Function {db}.{name} does not exist"
            )));
        }
        tx.delete(&key);
        let msg = json_message(&[("db", db), ("function", name)]);
        self.log_event(&mut tx, "DROP_FUNCTION", &db.to_lowercase(), None, msg)?;
        self.commit(tx)
    }

    pub(crate) fn list_functions_sync(
        &self,
        db: &str,
        pattern: Option<&str>,
    ) -> Result<Vec<String>> {
        let db_id = self.db_id(&db.to_lowercase())?;
        let pattern = Pattern::new(pattern)?;
        let mut out = Vec::new();
        self.scan(&keys::functions(db_id), |_, v| {
            let f: Function = codec::decode(v)?;
            if pattern.matches(&f.name) {
                out.push(f.name);
            }
            Ok(true)
        })?;
        Ok(out)
    }

    pub(crate) fn all_functions_sync(&self) -> Result<Vec<Function>> {
        let mut out = Vec::new();
        self.scan(&keys::all_functions(), |_, v| {
            Ok((out.push(codec::decode(v)?), true).1)
        })?;
        Ok(out)
    }

    pub(crate) fn current_event_id_sync(&self) -> i64 {
        self.committed_event
            .load(std::sync::atomic::Ordering::SeqCst) as i64
    }

    /// Deletes the events older than `cutoff` (seconds since the epoch), oldest first, in one
    /// range deletion; returns how many went. Event times grow with their ids, so the old
    /// events are a prefix of the log.
    pub fn prune_events(&self, cutoff: i32) -> Result<usize> {
        let mut last_old = None;
        let mut old = 0usize;
        self.scan(&keys::events(), |k, v| {
            let e: Event = codec::decode(v)?;
            if e.time >= cutoff {
                return Ok(false);
            }
            last_old = Some(keys::decode_event(k)?);
            old += 1;
            Ok(true)
        })?;
        let Some(last_old) = last_old else {
            return Ok(0);
        };
        // Up to the last old event seen, so an event committed meanwhile is never caught.
        let mut tx = self.begin();
        tx.batch.delete_range(
            keys::events().as_slice(),
            keys::event(last_old + 1).as_slice(),
        );
        self.commit(tx)?;
        Ok(old)
    }

    pub(crate) fn events_after_sync(&self, last: i64, max: usize) -> Result<Vec<Event>> {
        let mut out = Vec::new();
        let start = keys::event(u64::try_from(last.max(0)).unwrap_or(0) + 1);
        let mut ro = rocksdb::ReadOptions::default();
        ro.set_iterate_upper_bound(keys::prefix_end(&keys::events()));
        let iter = self.db.iterator_opt(
            rocksdb::IteratorMode::From(&start, rocksdb::Direction::Forward),
            ro,
        );
        for item in iter.take(max) {
            let (_, v) = item?;
            out.push(codec::decode(&v)?);
        }
        Ok(out)
    }
}
