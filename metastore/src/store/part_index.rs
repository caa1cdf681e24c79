//! The partition-key index (layout in [`keys`]): its entries for a partition, and indexing a
//! catalog written before the index existed.

use rocksdb::WriteBatch;

use super::{keys, LocalCatalog};
use crate::error::Result;

/// Index entries written per batch while indexing an existing catalog.
const BACKFILL_BATCH: usize = 50_000;

/// The index entries of a partition of table `id`: one per key after the first.
pub(crate) fn index_entries(id: u64, values: &[String]) -> impl Iterator<Item = Vec<u8>> + '_ {
    (1..values.len()).map(move |pos| keys::part_index(id, pos, values))
}

impl LocalCatalog {
    /// Indexes every partition once, unless the marker says it is done. Runs at open, before
    /// any call; a crash midway leaves no marker, so the next open redoes it (writing an
    /// entry twice is harmless).
    pub(crate) fn ensure_partition_index(&self) -> Result<()> {
        let done = self.get_id(keys::PART_INDEX_MARKER)?;
        if done.is_some_and(|v| v >= keys::PART_INDEX_VERSION) {
            return Ok(());
        }
        let _writer = self.writer.lock();
        let mut batch = WriteBatch::default();
        let mut values = Vec::new();
        let mut indexed = 0usize;
        self.scan(&keys::all_partitions(), |k, _| {
            let id = keys::decode_partition_table(k)?;
            keys::decode_partition_into(k, &mut values)?;
            for entry in index_entries(id, &values) {
                batch.put(entry, []);
            }
            indexed += 1;
            if batch.len() >= BACKFILL_BATCH {
                self.db.write(std::mem::take(&mut batch))?;
            }
            Ok(true)
        })?;
        batch.put(
            keys::PART_INDEX_MARKER,
            keys::encode_id(keys::PART_INDEX_VERSION),
        );
        self.db.write(batch)?;
        if indexed > 0 {
            tracing::info!(
                partitions = indexed,
                "indexed the partition keys of an existing catalog"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Column, Partition, PartitionQuery, Table};
    use crate::store::LocalConfig;

    fn table() -> Table {
        let key = |name: &str| Column {
            name: name.into(),
            type_name: "string".into(),
            comment: None,
        };
        Table {
            db_name: "default".into(),
            name: "t".into(),
            partition_keys: vec![key("a"), key("b")],
            ..Default::default()
        }
    }

    fn day_b(cat: &LocalCatalog) -> Vec<String> {
        let q = PartitionQuery::Filter("b = 'x'".into());
        cat.list_partition_names_sync("default", "t", &q, None)
            .unwrap()
    }

    #[test]
    fn a_catalog_from_before_the_index_is_indexed_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let config = LocalConfig::under(dir.path());
        {
            let cat = LocalCatalog::open(&config).unwrap();
            cat.create_table_sync(table()).unwrap();
            let parts = ["1", "2", "3"]
                .iter()
                .flat_map(|a| ["x", "y"].map(|b| vec![a.to_string(), b.to_string()]))
                .map(|values| Partition {
                    values,
                    ..Default::default()
                })
                .collect();
            cat.add_partitions_sync("default", "t", parts, false)
                .unwrap();
            assert_eq!(day_b(&cat).len(), 3);
            // Make it look like a catalog written before the index existed.
            let mut batch = WriteBatch::default();
            batch.delete_range(&[0x0A][..], &[0x0B][..]);
            batch.delete(keys::PART_INDEX_MARKER);
            cat.db.write(batch).unwrap();
            assert!(day_b(&cat).is_empty(), "the filter reads the index");
        }
        let cat = LocalCatalog::open(&config).unwrap();
        assert_eq!(day_b(&cat), vec!["a=1/b=x", "a=2/b=x", "a=3/b=x"]);
        assert_eq!(
            cat.get_id(keys::PART_INDEX_MARKER).unwrap(),
            Some(keys::PART_INDEX_VERSION)
        );
    }
}
