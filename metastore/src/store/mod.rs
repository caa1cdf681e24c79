//! `LocalCatalog`: the catalog in an embedded RocksDB. Key layout in [`keys`]; value encoding
//! in [`codec`]. Every mutating call builds one `WriteBatch` under the writer mutex (so its
//! existence checks and its writes are one atomic step) and commits it with the WAL on: an
//! acknowledged call survives `kill -9`.

mod alter;
mod codec;
mod databases;
mod files;
pub(crate) mod keys;
mod lock_rows;
mod locks;
mod name_cache;
mod part_index;
mod part_rows;
mod partitions;
mod pattern;
mod stats;
mod tables;
mod trait_impl;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::{Mutex, MutexGuard};
use rocksdb::{IteratorMode, ReadOptions, WriteBatch, WriteOptions, DB};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{now_secs, Database, Event};

pub(crate) use codec::StoredTable;
pub(crate) use files::file_uri;

/// Settings of a [`LocalCatalog`].
#[derive(Debug, Clone)]
pub struct LocalConfig {
    /// Folder of the RocksDB files.
    pub db_path: PathBuf,
    /// Root folder of managed databases and tables (`<warehouse>/<db>.db/<table>`).
    pub warehouse: PathBuf,
    /// `fsync` every write: survives power loss, not just a killed process. Slower.
    pub sync_writes: bool,
    /// How long a lock lives without a heartbeat.
    pub lock_timeout: Duration,
}

impl LocalConfig {
    /// Defaults under one data folder: `<dir>/catalog` and `<dir>/warehouse`.
    pub fn under(dir: &Path) -> Self {
        LocalConfig {
            db_path: dir.join("catalog"),
            warehouse: dir.join("warehouse"),
            sync_writes: false,
            lock_timeout: Duration::from_secs(300),
        }
    }
}

/// The catalog stored in RocksDB. Cheap to share behind an `Arc`.
///
/// Calls do their RocksDB work on the calling thread: point lookups take microseconds, but a
/// listing of a whole large table or a drop with data deletion takes longer, so a caller on a
/// shared async runtime should run those through `spawn_blocking`. The Thrift server calls
/// from its own connection threads.
#[derive(Debug)]
pub struct LocalCatalog {
    db: DB,
    writer: Mutex<()>,
    next_id: AtomicU64,
    /// Last event id handed out (events of a batch being built included).
    next_event: AtomicU64,
    /// Last event id whose batch is committed: what readers may see.
    committed_event: AtomicU64,
    warehouse: PathBuf,
    sync_writes: bool,
    locks: locks::Locks,
    /// Whole tables' partition names, emptied by every commit.
    names: name_cache::NameCache,
}

/// A batch being built under the writer lock.
pub(crate) struct Tx<'a> {
    _guard: MutexGuard<'a, ()>,
    batch: WriteBatch,
}

impl LocalCatalog {
    /// Opens (creating if needed) the catalog, and creates the `default` database if missing.
    pub fn open(config: &LocalConfig) -> Result<Self> {
        std::fs::create_dir_all(&config.warehouse)?;
        let mut opts = rocksdb::Options::default();
        opts.create_if_missing(true);
        let mut table = rocksdb::BlockBasedOptions::default();
        table.set_bloom_filter(10.0, false);
        table.set_block_cache(&rocksdb::Cache::new_lru_cache(64 << 20));
        // Index and filter blocks stay with their table files, outside the block cache: a
        // large listing would otherwise evict them, and every later point lookup (the
        // partition rows an index scan fetches, get_table) would reload an SST's whole index
        // and filter blocks. They take about 1-2 % of the data's size.
        table.set_cache_index_and_filter_blocks(false);
        opts.set_block_based_table_factory(&table);
        opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
        opts.increase_parallelism(2);
        let db = DB::open(&opts, &config.db_path)?;
        let next_id = match db.get(keys::ID_COUNTER)? {
            Some(v) => keys::decode_id(&v)?,
            None => 0,
        };
        let last_event = match db.iterator(IteratorMode::End).next() {
            Some(Ok((k, _))) if k.starts_with(&keys::events()) => keys::decode_event(&k)?,
            Some(Err(e)) => return Err(e.into()),
            _ => 0,
        };
        let warehouse = std::fs::canonicalize(&config.warehouse)?;
        let catalog = LocalCatalog {
            db,
            writer: Mutex::new(()),
            next_id: AtomicU64::new(next_id),
            next_event: AtomicU64::new(last_event),
            committed_event: AtomicU64::new(last_event),
            warehouse,
            sync_writes: config.sync_writes,
            locks: locks::Locks::new(config.lock_timeout),
            names: name_cache::NameCache::default(),
        };
        catalog.ensure_default_database()?;
        catalog.ensure_partition_index()?;
        catalog.restore_locks()?;
        Ok(catalog)
    }

    fn ensure_default_database(&self) -> Result<()> {
        if self.db.get(keys::db_name("default"))?.is_some() {
            return Ok(());
        }
        let db = Database {
            name: "default".into(),
            description: Some("Default Hive database".into()),
            location: file_uri(&self.warehouse),
            owner_name: Some("public".into()),
            owner_type: Some(crate::model::PrincipalType::Role),
            create_time: now_secs(),
            ..Default::default()
        };
        match self.create_database_sync(db) {
            Err(Error::AlreadyExists(_)) => Ok(()),
            other => other,
        }
    }

    /// The warehouse root.
    pub fn warehouse(&self) -> &Path {
        &self.warehouse
    }

    pub(crate) fn begin(&self) -> Tx<'_> {
        Tx {
            _guard: self.writer.lock(),
            batch: WriteBatch::default(),
        }
    }

    pub(crate) fn commit(&self, tx: Tx<'_>) -> Result<()> {
        let mut wo = WriteOptions::default();
        wo.set_sync(self.sync_writes);
        let written = self.db.write_opt(tx.batch, &wo);
        self.names.invalidate();
        written?;
        // Still under the writer lock: every event up to `next_event` is now durable.
        let last = self.next_event.load(Ordering::SeqCst);
        self.committed_event.store(last, Ordering::SeqCst);
        Ok(())
    }

    pub(crate) fn alloc_id(&self, tx: &mut Tx<'_>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        tx.batch.put(keys::ID_COUNTER, keys::encode_id(id));
        id
    }

    /// Appends an entry to the DDL event log in the same batch.
    pub(crate) fn log_event(
        &self,
        tx: &mut Tx<'_>,
        kind: &str,
        db: &str,
        table: Option<&str>,
        message: String,
    ) -> Result<()> {
        let id = self.next_event.fetch_add(1, Ordering::SeqCst) + 1;
        let event = Event {
            id: id as i64,
            time: now_secs(),
            kind: kind.into(),
            db_name: Some(db.into()),
            table_name: table.map(Into::into),
            message,
        };
        tx.batch.put(keys::event(id), codec::encode(&event)?);
        Ok(())
    }

    pub(crate) fn get_value<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        self.db
            .get_pinned(key)?
            .map(|v| codec::decode(&v))
            .transpose()
    }

    pub(crate) fn get_id(&self, key: &[u8]) -> Result<Option<u64>> {
        self.db
            .get_pinned(key)?
            .map(|v| keys::decode_id(&v))
            .transpose()
    }

    pub(crate) fn put_value<T: Serialize>(tx: &mut Tx<'_>, key: &[u8], v: &T) -> Result<()> {
        tx.batch.put(key, codec::encode(v)?);
        Ok(())
    }

    /// Visits every key/value starting with `prefix`, in key order, until `f` returns false.
    pub(crate) fn scan(
        &self,
        prefix: &[u8],
        mut f: impl FnMut(&[u8], &[u8]) -> Result<bool>,
    ) -> Result<()> {
        let mut ro = ReadOptions::default();
        ro.set_iterate_upper_bound(keys::prefix_end(prefix));
        // The raw iterator lends each key and value; the boxed iterator would allocate both.
        let mut it = self.db.raw_iterator_opt(ro);
        it.seek(prefix);
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            if !f(k, v)? {
                return Ok(());
            }
            it.next();
        }
        it.status()?;
        Ok(())
    }

    pub(crate) fn db_id(&self, name: &str) -> Result<u64> {
        self.get_id(&keys::db_name(name))?
            .ok_or_else(|| Error::no_db(name))
    }

    /// The table's id and row; `NotFound` if it or its database is missing.
    pub(crate) fn table_row(&self, db: &str, name: &str) -> Result<(u64, StoredTable)> {
        let db_id = self.db_id(db)?;
        let id = self
            .get_id(&keys::table_name(db_id, name))?
            .ok_or_else(|| Error::no_table(db, name))?;
        Ok((id, self.table_by_id(id)?))
    }

    /// The row of a table whose id a name entry gave.
    pub(crate) fn table_by_id(&self, id: u64) -> Result<StoredTable> {
        let row = self.get_value(&keys::table(id))?;
        row.ok_or_else(|| Error::Corrupt(format!("table id {id} has no row")))
    }
}

impl Tx<'_> {
    pub(crate) fn delete(&mut self, key: &[u8]) {
        self.batch.delete(key);
    }
    pub(crate) fn delete_prefix(&mut self, prefix: &[u8]) {
        self.batch
            .delete_range(prefix, keys::prefix_end(prefix).as_slice());
    }
    pub(crate) fn put_id(&mut self, key: &[u8], id: u64) {
        self.batch.put(key, keys::encode_id(id));
    }
}

/// Lower-cases and validates a database, table or function name (Hive allows letters, digits
/// and `_`).
pub(crate) fn normalize_name(kind: &str, name: &str) -> Result<String> {
    let valid = !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !valid {
        return Err(Error::InvalidObject(format!(
            "{name} is not a valid {kind} name"
        )));
    }
    Ok(name.to_lowercase())
}

/// A small JSON object for event messages.
pub(crate) fn json_message(pairs: &[(&str, &str)]) -> String {
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}:{}", json_str(k), json_str(v)))
        .collect();
    format!("{{{}}}", body.join(","))
}

pub(crate) fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
