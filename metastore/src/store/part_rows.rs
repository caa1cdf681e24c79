//! How a partition row relates to its table: the row keeps only what differs from the table
//! (its storage descriptor when not the table's, its location when not the default). Built
//! once per call, so a batch of a thousand partitions compares and clones the table's
//! descriptor a thousand times less.

use super::codec::StoredPartition;
use crate::error::Result;
use crate::model::{now_secs, ListedPartition, Partition, StorageDescriptor, Table};
use crate::partname;

/// A storage descriptor with its location cleared.
pub(crate) fn without_location(sd: &StorageDescriptor) -> StorageDescriptor {
    StorageDescriptor {
        location: None,
        ..sd.clone()
    }
}

/// Whether two descriptors are equal but for their locations. Destructured so that a field
/// added to `StorageDescriptor` cannot be forgotten here.
fn same_storage(a: &StorageDescriptor, b: &StorageDescriptor) -> bool {
    let StorageDescriptor {
        columns,
        location: _,
        input_format,
        output_format,
        compressed,
        num_buckets,
        serde,
        bucket_columns,
        sort_columns,
        parameters,
        skewed,
        stored_as_sub_directories,
    } = a;
    *columns == b.columns
        && *input_format == b.input_format
        && *output_format == b.output_format
        && *compressed == b.compressed
        && *num_buckets == b.num_buckets
        && *serde == b.serde
        && *bucket_columns == b.bucket_columns
        && *sort_columns == b.sort_columns
        && *parameters == b.parameters
        && *skewed == b.skewed
        && *stored_as_sub_directories == b.stored_as_sub_directories
}

/// A table, seen from its partitions.
#[derive(Debug)]
pub(crate) struct PartRows<'a> {
    pub(crate) table: &'a Table,
    pub(crate) keys: Vec<&'a str>,
    /// `escape(key)=` of each key, for building names without per-row work on the keys.
    key_eqs: Vec<String>,
    sd: StorageDescriptor,
}

impl<'a> PartRows<'a> {
    pub(crate) fn new(table: &'a Table) -> Self {
        let keys: Vec<&str> = table
            .partition_keys
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        let key_eqs = keys
            .iter()
            .map(|k| format!("{}=", partname::escape(&k.to_lowercase())))
            .collect();
        PartRows {
            table,
            keys,
            key_eqs,
            sd: without_location(&table.sd),
        }
    }

    /// `k1=v1/k2=v2` (Hive's `makePartName`, as [`partname::make_name`]).
    pub(crate) fn name(&self, values: &[String]) -> Result<String> {
        if values.len() != self.key_eqs.len() || values.is_empty() {
            return partname::make_name(&self.keys, values);
        }
        let mut name = String::with_capacity(values.iter().map(|v| v.len() + 12).sum());
        for (i, (key_eq, v)) in self.key_eqs.iter().zip(values).enumerate() {
            if i > 0 {
                name.push('/');
            }
            name.push_str(key_eq);
            partname::escape_into(
                &mut name,
                if v.is_empty() {
                    partname::DEFAULT_PARTITION
                } else {
                    v
                },
            );
        }
        Ok(name)
    }

    /// Where a partition named `name` lives by default: `<table location>/<name>`.
    pub(crate) fn default_location(&self, name: &str) -> String {
        let root = self.table.sd.location.as_deref().unwrap_or("");
        format!("{}/{}", root.trim_end_matches('/'), name)
    }

    /// The row for a partition whose name is `name`.
    pub(crate) fn to_row(&self, p: &Partition, name: &str) -> StoredPartition {
        let location = p.sd.location.as_deref().filter(|l| !l.is_empty());
        let location = location.filter(|l| *l != self.default_location(name));
        StoredPartition {
            create_time: if p.create_time == 0 {
                now_secs()
            } else {
                p.create_time
            },
            last_access_time: p.last_access_time,
            location: location.map(str::to_string),
            sd: (!same_storage(&p.sd, &self.sd)).then(|| without_location(&p.sd)),
            parameters: p.parameters.clone(),
        }
    }

    /// The partition a row describes.
    pub(crate) fn partition(&self, values: Vec<String>, row: StoredPartition) -> Result<Partition> {
        Ok(self.listed(values, row)?.into_partition(self.table))
    }

    /// The partition a row describes, sharing the table's descriptor.
    pub(crate) fn listed(
        &self,
        values: Vec<String>,
        row: StoredPartition,
    ) -> Result<ListedPartition> {
        let location = match row.location {
            Some(l) => l,
            None => self.default_location(&self.name(&values)?),
        };
        Ok(ListedPartition {
            values,
            create_time: row.create_time,
            last_access_time: row.last_access_time,
            location: Some(location),
            sd: row.sd,
            parameters: row.parameters,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Column;

    fn table() -> Table {
        let mut t = Table {
            db_name: "d".into(),
            name: "t".into(),
            ..Default::default()
        };
        t.sd.location = Some("file:/w/t".into());
        t.sd.input_format = Some("parquet".into());
        t.partition_keys = vec![Column {
            name: "k".into(),
            type_name: "string".into(),
            comment: None,
        }];
        t
    }

    #[test]
    fn rows_keep_only_what_differs_from_the_table() {
        let t = table();
        let rows = PartRows::new(&t);
        let mut p = Partition {
            values: vec!["a/b".into()],
            sd: t.sd.clone(),
            ..Default::default()
        };
        p.sd.location = Some("file:/w/t/k=a%2Fb".into());
        assert_eq!(
            rows.name(&p.values).unwrap(),
            partname::make_name(&["k"], &p.values).unwrap()
        );
        let row = rows.to_row(&p, &rows.name(&p.values).unwrap());
        assert!(row.location.is_none() && row.sd.is_none());
        let back = rows.partition(p.values.clone(), row).unwrap();
        assert_eq!(back.sd, p.sd);
        p.sd.location = Some("s3://elsewhere/x".into());
        p.sd.input_format = Some("orc".into());
        let row = rows.to_row(&p, "k=a%2Fb");
        assert_eq!(row.location.as_deref(), Some("s3://elsewhere/x"));
        assert_eq!(
            row.sd.as_ref().and_then(|s| s.input_format.as_deref()),
            Some("orc")
        );
    }
}
