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

/// At most this many bytes of names are cached over all tables (a name costs its length plus
/// [`PER_NAME`]).
const BUDGET: usize = 64 << 20;

/// What a `String` costs besides its bytes.
const PER_NAME: usize = size_of::<String>();

#[derive(Debug)]
pub(crate) struct NameCache {
    inner: Mutex<Inner>,
    budget: usize,
}

impl Default for NameCache {
    fn default() -> Self {
        NameCache::with_budget(BUDGET)
    }
}

#[derive(Debug, Default)]
struct Inner {
    generation: u64,
    names: HashMap<u64, Arc<Vec<String>>>,
    held: usize,
}

impl NameCache {
    fn with_budget(budget: usize) -> Self {
        NameCache {
            inner: Mutex::default(),
            budget,
        }
    }

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
        let size = bytes(&names);
        let mut inner = self.inner.lock();
        if inner.generation != generation || size > self.budget {
            return;
        }
        if let Some(old) = inner.names.remove(&id) {
            inner.held -= bytes(&old);
        }
        if inner.held + size > self.budget {
            inner.names.clear();
            inner.held = 0;
        }
        inner.held += size;
        inner.names.insert(id, names);
    }

    /// Forgets everything; called after every committed write.
    pub(crate) fn invalidate(&self) {
        let mut inner = self.inner.lock();
        inner.generation += 1;
        inner.names.clear();
        inner.held = 0;
    }
}

fn bytes(names: &[String]) -> usize {
    names.iter().map(|n| n.len() + PER_NAME).sum()
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
        // Names "k=0".."k=9" cost 3 bytes plus PER_NAME each.
        let each = 3 + PER_NAME;
        let cache = NameCache::with_budget(10 * each);
        let g = cache.generation();
        cache.put(1, g, names(11));
        assert!(
            cache.get(1).is_none(),
            "a table over the budget is not cached"
        );
        cache.put(1, g, names(5));
        cache.put(2, g, names(5));
        assert!(cache.get(1).is_some() && cache.get(2).is_some());
        cache.put(3, g, names(2));
        assert!(cache.get(1).is_none() && cache.get(2).is_none());
        assert_eq!(cache.get(3).unwrap().len(), 2);
        cache.put(3, g, names(4));
        assert_eq!(
            cache.inner.lock().held,
            4 * each,
            "a replaced entry gives back its share"
        );
        cache.put(4, g, names(6));
        assert!(
            cache.get(3).is_some() && cache.get(4).is_some(),
            "exactly at the budget"
        );
    }
}
