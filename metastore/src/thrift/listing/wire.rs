//! Partitions that share their table's storage descriptor, written as Thrift binary bytes.
//! The generated writer allocates a name for every struct and field it writes and walks the
//! whole descriptor for every partition; for a listing of ten thousand partitions that was
//! most of the server's time. Here the parts every such partition has in common (database
//! and table names, the descriptor's columns and everything after its location, the trailing
//! fields) are encoded once by the generated code, and each row adds only its own values,
//! times, location and parameters. The bytes are the generated code's (pinned by the tests).

use std::collections::BTreeMap;
use std::io::Write;

use thrift::protocol::{TBinaryOutputProtocol, TSerializable};
use thrift_idl::hms as t;

use crate::model::ListedPartition;

// Thrift type ids of the binary protocol.
const I32: u8 = 8;
const STRING: u8 = 11;
const STRUCT: u8 = 12;
const MAP: u8 = 13;
const LIST: u8 = 15;

/// Pre-encoded pieces of the partitions of one table, and a buffer rows are encoded into.
pub(super) struct SharedPartition {
    /// Fields 2 and 3 of `Partition` (database and table names).
    names: Vec<u8>,
    /// The descriptor's field 1 (columns), without a stop byte.
    sd_head: Vec<u8>,
    /// The descriptor's fields 3 to 12 and its stop byte.
    sd_tail: Vec<u8>,
    /// `Partition`'s fields after its parameters, and its stop byte.
    tail: Vec<u8>,
    buf: Vec<u8>,
}

/// A struct's bytes as the generated code writes them, with or without its stop byte.
fn encoded(value: &impl TSerializable, keep_stop: bool) -> thrift::Result<Vec<u8>> {
    let mut out = Vec::new();
    value.write_to_out_protocol(&mut TBinaryOutputProtocol::new(&mut out, true))?;
    if !keep_stop {
        out.pop();
    }
    Ok(out)
}

impl SharedPartition {
    /// The pieces of `shared`, a wire partition carrying the table's names, descriptor
    /// (without location) and fixed fields.
    pub(super) fn new(shared: t::Partition) -> thrift::Result<Self> {
        // The generated `Default`s fill every field, so the pieces are spelled out whole.
        let sd = shared.sd.unwrap_or_default();
        let sd_head = t::StorageDescriptor {
            cols: sd.cols.clone(),
            ..no_storage()
        };
        let sd_tail = t::StorageDescriptor {
            cols: None,
            location: None,
            ..sd
        };
        let names = t::Partition {
            db_name: shared.db_name,
            table_name: shared.table_name,
            ..no_partition()
        };
        let tail = t::Partition {
            privileges: shared.privileges,
            cat_name: shared.cat_name,
            write_id: shared.write_id,
            is_stats_compliant: shared.is_stats_compliant,
            col_stats: shared.col_stats,
            file_metadata: shared.file_metadata,
            ..no_partition()
        };
        Ok(SharedPartition {
            names: encoded(&names, false)?,
            sd_head: encoded(&sd_head, false)?,
            sd_tail: encoded(&sd_tail, true)?,
            tail: encoded(&tail, true)?,
            buf: Vec::new(),
        })
    }

    /// Writes one row that has no descriptor of its own as a whole `Partition` struct.
    pub(super) fn write(
        &mut self,
        row: &ListedPartition,
        w: &mut impl Write,
    ) -> thrift::Result<()> {
        let b = &mut self.buf;
        b.clear();
        field(b, LIST, 1);
        b.push(STRING);
        len(b, row.values.len())?;
        for v in &row.values {
            string(b, v)?;
        }
        b.extend_from_slice(&self.names);
        field(b, I32, 4);
        b.extend_from_slice(&row.create_time.to_be_bytes());
        field(b, I32, 5);
        b.extend_from_slice(&row.last_access_time.to_be_bytes());
        field(b, STRUCT, 6);
        b.extend_from_slice(&self.sd_head);
        if let Some(location) = &row.location {
            field(b, STRING, 2);
            string(b, location)?;
        }
        b.extend_from_slice(&self.sd_tail);
        parameters(b, &row.parameters)?;
        b.extend_from_slice(&self.tail);
        w.write_all(b)?;
        Ok(())
    }
}

/// A partition with no field set.
fn no_partition() -> t::Partition {
    t::Partition {
        values: None,
        db_name: None,
        table_name: None,
        create_time: None,
        last_access_time: None,
        sd: None,
        parameters: None,
        privileges: None,
        cat_name: None,
        write_id: None,
        is_stats_compliant: None,
        col_stats: None,
        file_metadata: None,
    }
}

/// A storage descriptor with no field set.
fn no_storage() -> t::StorageDescriptor {
    t::StorageDescriptor {
        cols: None,
        location: None,
        input_format: None,
        output_format: None,
        compressed: None,
        num_buckets: None,
        serde_info: None,
        bucket_cols: None,
        sort_cols: None,
        parameters: None,
        skewed_info: None,
        stored_as_sub_directories: None,
    }
}

fn field(b: &mut Vec<u8>, kind: u8, id: i16) {
    b.push(kind);
    b.extend_from_slice(&id.to_be_bytes());
}

fn len(b: &mut Vec<u8>, n: usize) -> thrift::Result<()> {
    let n = i32::try_from(n).map_err(|_| {
        thrift::Error::Protocol(thrift::ProtocolError::new(
            thrift::ProtocolErrorKind::SizeLimit,
            format!("{n} elements do not fit a Thrift length"),
        ))
    })?;
    b.extend_from_slice(&n.to_be_bytes());
    Ok(())
}

fn string(b: &mut Vec<u8>, s: &str) -> thrift::Result<()> {
    len(b, s.len())?;
    b.extend_from_slice(s.as_bytes());
    Ok(())
}

/// Field 7, `map<string,string>`.
fn parameters(b: &mut Vec<u8>, params: &BTreeMap<String, String>) -> thrift::Result<()> {
    field(b, MAP, 7);
    b.extend_from_slice(&[STRING, STRING]);
    len(b, params.len())?;
    for (k, v) in params {
        string(b, k)?;
        string(b, v)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_the_generated_partition() {
        let shared = t::Partition {
            db_name: Some("db".into()),
            table_name: Some("t".into()),
            sd: Some(t::StorageDescriptor {
                cols: Some(vec![t::FieldSchema::new(
                    "c".to_string(),
                    "int".to_string(),
                    None,
                )]),
                input_format: Some("in".into()),
                num_buckets: Some(-1),
                ..no_storage()
            }),
            cat_name: Some("hive".into()),
            write_id: Some(-1),
            ..no_partition()
        };
        let mut pieces = SharedPartition::new(shared.clone()).unwrap();
        for location in [Some("file:/x/p=1".to_string()), None] {
            let row = ListedPartition {
                values: vec!["1".into(), "é".into()],
                create_time: 17,
                last_access_time: -3,
                location: location.clone(),
                sd: None,
                parameters: [("k".into(), "v".into()), ("n".into(), "".into())].into(),
            };
            let mut ours = Vec::new();
            pieces.write(&row, &mut ours).unwrap();
            let mut whole = shared.clone();
            whole.values = Some(row.values.clone());
            whole.create_time = Some(17);
            whole.last_access_time = Some(-3);
            whole.parameters = Some(row.parameters.clone());
            if let Some(sd) = whole.sd.as_mut() {
                sd.location = location;
            }
            assert_eq!(ours, encoded(&whole, true).unwrap());
        }
    }
}
