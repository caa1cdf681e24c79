//! The partition names of whole tables, kept in memory between calls.
//!
//! `get_partition_names(db, table, -1)` is what Spark, Trino and `SHOW PARTITIONS` ask for,
//! often over and over. Computed from RocksDB each name costs an iterator step, a key decode
//! and Hive's escaping (about half a microsecond); from here it costs a copy.
//!
//! Consistency: every committed write batch bumps [`NameCache::generation`] and empties the
//! cache (writes are rare next to reads, so no finer tracking is worth its bugs). A reader
//! notes the generation before it opens its RocksDB iterator and stores its result only if
//! the generation is still the same, so a listing that may have missed a write is never kept.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

/// At most this many names are cached over all tables (about 70 MB at 40-byte names).
const BUDGET: usize = 1_000_000;

#[derive(Debug, Default)]
pub(crate) struct NameCache {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    generation: u64,
    names: HashMap<u64, Arc<Vec<String>>>,
    held: usize,
}

impl NameCache {
    /// The current generation; pass it to [`NameCache::put`].
    pub(crate) fn generation(&self) -> u64 {
        self.inner.lock().generation
    }

    /// The cached names of table `id`, in key order.
    pub(crate) fn get(&self, id: u64) -> Option<Arc<Vec<String>>> {
        self.inner.lock().names.get(&id).cloned()
    }

    /// Keeps `names` for table `id` if nothing was committed since `generation` was read.
    pub(crate) fn put(&self, id: u64, generation: u64, names: Arc<Vec<String>>) {
        let mut inner = self.inner.lock();
        if inner.generation != generation || names.len() > BUDGET {
            return;
        }
        if inner.held + names.len() > BUDGET {
            inner.names.clear();
            inner.held = 0;
        }
        inner.held += names.len();
        if let Some(old) = inner.names.insert(id, names) {
            inner.held -= old.len();
        }
    }

    /// Forgets everything; called after every committed write.
    pub(crate) fn invalidate(&self) {
        let mut inner = self.inner.lock();
        inner.generation += 1;
        inner.names.clear();
        inner.held = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Column, Partition, PartitionQuery, Table};
    use crate::store::{LocalCatalog, LocalConfig};

    fn part(a: &str) -> Partition {
        Partition {
            values: vec![a.into()],
            ..Default::default()
        }
    }

    #[test]
    fn listings_follow_every_write() {
        let dir = tempfile::tempdir().unwrap();
        let cat = LocalCatalog::open(&LocalConfig::under(dir.path())).unwrap();
        let key = Column {
            name: "a".into(),
            type_name: "string".into(),
            comment: None,
        };
        cat.create_table_sync(Table {
            db_name: "default".into(),
            name: "t".into(),
            partition_keys: vec![key],
            ..Default::default()
        })
        .unwrap();
        let list = |max| {
            cat.list_partition_names_sync("default", "t", &PartitionQuery::All, max)
                .unwrap()
        };
        cat.add_partitions_sync("default", "t", vec![part("1"), part("2")], false)
            .unwrap();
        assert_eq!(list(None), ["a=1", "a=2"]);
        assert_eq!(
            list(Some(1)),
            ["a=1"],
            "a limit applies to a cached listing"
        );
        cat.add_partitions_sync("default", "t", vec![part("0")], false)
            .unwrap();
        assert_eq!(list(None), ["a=0", "a=1", "a=2"]);
        cat.drop_partitions_sync("default", "t", &[vec!["1".into()]], false, false)
            .unwrap();
        assert_eq!(list(None), ["a=0", "a=2"]);
        assert_eq!(list(None), ["a=0", "a=2"], "and the same from the cache");
    }

    fn names(n: usize) -> Arc<Vec<String>> {
        Arc::new((0..n).map(|i| format!("k={i}")).collect())
    }

    #[test]
    fn a_result_read_before_a_write_is_not_kept() {
        let cache = NameCache::default();
        let before = cache.generation();
        cache.invalidate();
        cache.put(1, before, names(3));
        assert!(cache.get(1).is_none());
        let now = cache.generation();
        cache.put(1, now, names(3));
        assert_eq!(cache.get(1).unwrap().len(), 3);
        cache.invalidate();
        assert!(cache.get(1).is_none());
    }

    #[test]
    fn the_budget_bounds_what_is_held() {
        let cache = NameCache::default();
        let g = cache.generation();
        cache.put(1, g, names(BUDGET + 1));
        assert!(
            cache.get(1).is_none(),
            "a table over the budget is not cached"
        );
        cache.put(1, g, names(BUDGET / 2));
        cache.put(2, g, names(BUDGET / 2));
        assert!(cache.get(1).is_some() && cache.get(2).is_some());
        cache.put(3, g, names(10));
        assert!(cache.get(1).is_none() && cache.get(2).is_none());
        assert_eq!(cache.get(3).unwrap().len(), 10);
        cache.put(3, g, names(4));
        assert_eq!(
            cache.inner.lock().held,
            4,
            "a replaced entry gives back its share"
        );
    }
}
