//! The whole RocksDB key layout, in one place. One column family (`default`); every key
//! starts with a one-byte tag. Ids are `u64` big-endian so that numeric order is byte order;
//! names are lower-case UTF-8. Children hang off their parent's numeric id, so renaming a
//! table rewrites one name entry and never its partitions.
//!
//! | tag  | key                                          | value                                |
//! |------|----------------------------------------------|--------------------------------------|
//! | 0x00 | `00` `"ids"`                                 | last allocated object id (u64 BE)    |
//! | 0x01 | `01` db_name                                 | database id (u64 BE)                 |
//! | 0x02 | `02` db_id                                   | `Database`                           |
//! | 0x03 | `03` db_id table_name                        | table id (u64 BE)                    |
//! | 0x04 | `04` table_id                                | `StoredTable` (db id + `Table`)      |
//! | 0x05 | `05` table_id values                         | `StoredPartition`                    |
//! | 0x06 | `06` table_id column                         | table `ColumnStats`                  |
//! | 0x07 | `07` table_id values column                  | partition `ColumnStats`              |
//! | 0x08 | `08` db_id function_name                     | `Function`                           |
//! | 0x09 | `09` event_id (u64 BE)                       | `Event`                              |
//! | 0x0A | `0A` table_id pos (u16 BE) value values      | empty: partition-key index entry     |
//! | 0x0B | `0B` lock_id (u64 BE)                        | `StoredLock`: a lock not released    |
//! | 0x00 | `00` `"part-index"`                          | index format built (u64 BE, now 1)   |
//!
//! `values` is the partition values in key order, each encoded self-delimiting so that a
//! prefix of the values is a prefix of the key: bytes `00` become `00 FF`, and each value ends
//! with `00 01`. Byte order of encoded values is the order of the raw values, so partitions
//! come out sorted by their values and a filter fixing the leading keys is one range scan.
//!
//! The partition-key index (`0A`) makes equality on a key other than the first a range scan
//! too: every partition of a table with several keys has one entry for each key position
//! `pos >= 1`, holding that key's value and then all the partition's values. Fixing key `pos`
//! and the leading keys is then the prefix `0A table_id pos value leading-values`. Entries are
//! written and deleted in the same batch as their partition rows; catalogs from before the
//! index are indexed once when opened (the `"part-index"` marker records it).

use crate::error::{Error, Result};

pub(crate) const ID_COUNTER: &[u8] = b"\x00ids";
pub(crate) const PART_INDEX_MARKER: &[u8] = b"\x00part-index";
/// The index format `PART_INDEX_MARKER` records once every partition is indexed.
pub(crate) const PART_INDEX_VERSION: u64 = 1;
const DB_NAME: u8 = 0x01;
const DB: u8 = 0x02;
const TABLE_NAME: u8 = 0x03;
const TABLE: u8 = 0x04;
const PARTITION: u8 = 0x05;
const TABLE_STATS: u8 = 0x06;
const PART_STATS: u8 = 0x07;
const FUNCTION: u8 = 0x08;
const EVENT: u8 = 0x09;
const PART_INDEX: u8 = 0x0A;
const LOCK: u8 = 0x0B;

fn key(tag: u8, id: Option<u64>, rest: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(9 + rest.len());
    k.push(tag);
    if let Some(id) = id {
        k.extend_from_slice(&id.to_be_bytes());
    }
    k.extend_from_slice(rest);
    k
}

/// The smallest key greater than every key starting with `prefix`.
pub(crate) fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return end;
        }
    }
    vec![0xFF; prefix.len() + 1]
}

pub(crate) fn db_name(name: &str) -> Vec<u8> {
    key(DB_NAME, None, name.as_bytes())
}
pub(crate) fn db_names() -> Vec<u8> {
    vec![DB_NAME]
}
pub(crate) fn decode_db_name(k: &[u8]) -> Result<String> {
    let rest = strip(k, DB_NAME, 0)?;
    utf8(rest)
}
pub(crate) fn db(id: u64) -> Vec<u8> {
    key(DB, Some(id), &[])
}
pub(crate) fn table_name(db_id: u64, name: &str) -> Vec<u8> {
    key(TABLE_NAME, Some(db_id), name.as_bytes())
}
pub(crate) fn table_names(db_id: u64) -> Vec<u8> {
    key(TABLE_NAME, Some(db_id), &[])
}
pub(crate) fn decode_table_name(k: &[u8]) -> Result<String> {
    utf8(strip(k, TABLE_NAME, 8)?)
}
pub(crate) fn table(id: u64) -> Vec<u8> {
    key(TABLE, Some(id), &[])
}
pub(crate) fn partition(table_id: u64, values: &[String]) -> Vec<u8> {
    key(PARTITION, Some(table_id), &encode_values(values))
}
/// Prefix of every table's partitions.
pub(crate) fn all_partitions() -> Vec<u8> {
    vec![PARTITION]
}
/// The table id of a partition key.
pub(crate) fn decode_partition_table(k: &[u8]) -> Result<u64> {
    Ok(read_id(strip(k, PARTITION, 0)?)?.0)
}
/// Prefix of the partitions of a table whose leading values are `values`.
pub(crate) fn partitions(table_id: u64, values: &[String]) -> Vec<u8> {
    partition(table_id, values)
}
pub(crate) fn decode_partition(k: &[u8]) -> Result<Vec<String>> {
    let mut values = Vec::new();
    decode_partition_into(k, &mut values)?;
    Ok(values)
}

/// Decodes a partition key's values into `out`, reusing its strings' buffers: a scan over a
/// million partitions then allocates nothing per key.
pub(crate) fn decode_partition_into(k: &[u8], out: &mut Vec<String>) -> Result<()> {
    decode_values_into(strip(k, PARTITION, 8)?, out)
}

fn decode_values_into(mut rest: &[u8], out: &mut Vec<String>) -> Result<()> {
    let mut n = 0;
    while !rest.is_empty() {
        let end = value_end(rest)?;
        let raw = &rest[..end];
        if n == out.len() {
            out.push(String::new());
        }
        let slot = &mut out[n];
        slot.clear();
        if raw.contains(&0) {
            let bytes: Vec<u8> = unescape_zeros(raw);
            slot.push_str(std::str::from_utf8(&bytes).map_err(|_| not_utf8())?);
        } else {
            slot.push_str(std::str::from_utf8(raw).map_err(|_| not_utf8())?);
        }
        n += 1;
        rest = &rest[end + 2..];
    }
    out.truncate(n);
    Ok(())
}

/// The index entry finding partition `values` by the value of key `pos` (`pos >= 1`).
pub(crate) fn part_index(table_id: u64, pos: usize, values: &[String]) -> Vec<u8> {
    let mut k = part_index_prefix(table_id, pos, &values[pos], &[]);
    k.extend_from_slice(&encode_values(values));
    k
}

/// Prefix of the index entries of partitions whose key `pos` is `value` and whose leading
/// values are `lead`.
pub(crate) fn part_index_prefix(
    table_id: u64,
    pos: usize,
    value: &str,
    lead: &[String],
) -> Vec<u8> {
    let pos = u16::try_from(pos).unwrap_or(u16::MAX).to_be_bytes();
    let mut k = key(PART_INDEX, Some(table_id), &pos);
    encode_value_into(&mut k, value);
    k.extend_from_slice(&encode_values(lead));
    k
}

/// Prefix of all of a table's index entries.
pub(crate) fn part_index_all(table_id: u64) -> Vec<u8> {
    key(PART_INDEX, Some(table_id), &[])
}

/// Decodes the partition values of an index entry into `out` (see [`decode_partition_into`]).
pub(crate) fn decode_part_index_into(k: &[u8], out: &mut Vec<String>) -> Result<()> {
    let rest = strip(k, PART_INDEX, 10)?;
    let end = value_end(rest)?;
    decode_values_into(&rest[end + 2..], out)
}

fn not_utf8() -> Error {
    Error::Corrupt("a partition value is not UTF-8".into())
}

/// The length of the first encoded value in `b` (up to its `00 01` terminator).
fn value_end(b: &[u8]) -> Result<usize> {
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1)) {
            (0, Some(0xFF)) => i += 2,
            (0, Some(0x01)) => return Ok(i),
            (0, _) => return Err(Error::Corrupt("bad partition value encoding".into())),
            _ => i += 1,
        }
    }
    Err(Error::Corrupt("unterminated partition value".into()))
}

fn unescape_zeros(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        out.push(raw[i]);
        i += if raw[i] == 0 { 2 } else { 1 };
    }
    out
}
pub(crate) fn table_stats(table_id: u64, column: &str) -> Vec<u8> {
    key(TABLE_STATS, Some(table_id), column.as_bytes())
}
pub(crate) fn table_stats_all(table_id: u64) -> Vec<u8> {
    key(TABLE_STATS, Some(table_id), &[])
}
pub(crate) fn part_stats(table_id: u64, values: &[String], column: &str) -> Vec<u8> {
    let mut k = key(PART_STATS, Some(table_id), &encode_values(values));
    k.extend_from_slice(column.as_bytes());
    k
}
pub(crate) fn part_stats_all(table_id: u64, values: &[String]) -> Vec<u8> {
    key(PART_STATS, Some(table_id), &encode_values(values))
}
pub(crate) fn function(db_id: u64, name: &str) -> Vec<u8> {
    key(FUNCTION, Some(db_id), name.as_bytes())
}
pub(crate) fn functions(db_id: u64) -> Vec<u8> {
    key(FUNCTION, Some(db_id), &[])
}
pub(crate) fn all_functions() -> Vec<u8> {
    vec![FUNCTION]
}
pub(crate) fn event(id: u64) -> Vec<u8> {
    key(EVENT, Some(id), &[])
}
pub(crate) fn events() -> Vec<u8> {
    vec![EVENT]
}
pub(crate) fn decode_event(k: &[u8]) -> Result<u64> {
    let rest = strip(k, EVENT, 0)?;
    Ok(read_id(rest)?.0)
}
/// Lock ids are positive `i64`s (Hive's), stored as `u64`.
pub(crate) fn lock(id: i64) -> Vec<u8> {
    key(LOCK, Some(id as u64), &[])
}
pub(crate) fn locks() -> Vec<u8> {
    vec![LOCK]
}
pub(crate) fn decode_lock(k: &[u8]) -> Result<i64> {
    let rest = strip(k, LOCK, 0)?;
    let id = read_id(rest)?.0;
    i64::try_from(id).map_err(|_| Error::Corrupt(format!("lock id {id} out of range")))
}
pub(crate) fn encode_id(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}
pub(crate) fn decode_id(v: &[u8]) -> Result<u64> {
    match read_id(v)? {
        (id, []) => Ok(id),
        _ => Err(Error::Corrupt("an id value has trailing bytes".into())),
    }
}

fn read_id(b: &[u8]) -> Result<(u64, &[u8])> {
    let (head, rest) = b
        .split_at_checked(8)
        .ok_or_else(|| Error::Corrupt("short id".into()))?;
    let mut id = [0u8; 8];
    id.copy_from_slice(head);
    Ok((u64::from_be_bytes(id), rest))
}

/// Checks the tag, skips `id_len` id bytes and returns the rest of the key.
fn strip(k: &[u8], tag: u8, id_len: usize) -> Result<&[u8]> {
    match k.split_first() {
        Some((t, rest)) if *t == tag && rest.len() >= id_len => Ok(&rest[id_len..]),
        _ => Err(Error::Corrupt(format!(
            "key {k:02x?} is not of kind {tag:#04x}"
        ))),
    }
}

fn utf8(b: &[u8]) -> Result<String> {
    String::from_utf8(b.to_vec()).map_err(|_| Error::Corrupt("a key name is not UTF-8".into()))
}

pub(crate) fn encode_values(values: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.iter().map(|v| v.len() + 2).sum());
    for v in values {
        encode_value_into(&mut out, v);
    }
    out
}

fn encode_value_into(out: &mut Vec<u8>, v: &str) {
    for &b in v.as_bytes() {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0x00, 0x01]);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn exact_bytes() {
        assert_eq!(db_name("sales"), b"\x01sales");
        assert_eq!(db(1), b"\x02\0\0\0\0\0\0\0\x01");
        assert_eq!(table_name(2, "t"), b"\x03\0\0\0\0\0\0\0\x02t");
        assert_eq!(table(258), b"\x04\0\0\0\0\0\0\x01\x02");
        assert_eq!(
            partition(3, &s(&["2024", "a\0b"])),
            b"\x05\0\0\0\0\0\0\0\x032024\0\x01a\0\xffb\0\x01"
        );
        assert_eq!(
            part_stats(3, &s(&["x"]), "c"),
            b"\x07\0\0\0\0\0\0\0\x03x\0\x01c"
        );
        assert_eq!(event(7), b"\x09\0\0\0\0\0\0\0\x07");
        assert_eq!(lock(513), b"\x0b\0\0\0\0\0\0\x02\x01");
        assert_eq!(decode_lock(&lock(513)).unwrap(), 513);
        assert_eq!(
            part_index(3, 1, &s(&["2024", "05"])),
            b"\x0a\0\0\0\0\0\0\0\x03\0\x0105\0\x012024\0\x0105\0\x01"
        );
        assert_eq!(prefix_end(b"\x05\x01\xff"), b"\x05\x02");
    }

    #[test]
    fn decodes_what_it_encodes() {
        assert_eq!(decode_db_name(&db_name("x_y")).unwrap(), "x_y");
        assert_eq!(decode_table_name(&table_name(9, "tbl")).unwrap(), "tbl");
        assert_eq!(decode_event(&event(42)).unwrap(), 42);
        assert_eq!(
            decode_partition_table(&partition(77, &s(&["a"]))).unwrap(),
            77
        );
        assert_eq!(decode_id(&encode_id(99)).unwrap(), 99);
        assert!(decode_db_name(&db(1)).is_err());
        assert!(decode_partition(b"\x05\0\0\0\0\0\0\0\x01abc").is_err());
    }

    #[test]
    fn decoding_into_a_used_buffer_replaces_its_contents() {
        let mut buf = s(&["old", "longer old value", "third"]);
        decode_partition_into(&partition(1, &s(&["a\0b", ""])), &mut buf).unwrap();
        assert_eq!(buf, s(&["a\0b", ""]));
        decode_partition_into(&partition(1, &s(&["x", "y", "z"])), &mut buf).unwrap();
        assert_eq!(buf, s(&["x", "y", "z"]));
    }

    #[test]
    fn leading_values_are_a_key_prefix() {
        let full = partition(1, &s(&["2024", "01", "15"]));
        assert!(full.starts_with(&partitions(1, &s(&["2024", "01"]))));
        assert!(!full.starts_with(&partitions(1, &s(&["2024", "0"]))));
        assert!(!partition(2, &s(&["a"])).starts_with(&partitions(1, &[])));
    }

    #[test]
    fn an_index_prefix_fixes_a_key_and_the_leading_values() {
        let entry = part_index(1, 2, &s(&["2024", "01", "15", "07"]));
        assert!(entry.starts_with(&part_index_prefix(1, 2, "15", &[])));
        assert!(entry.starts_with(&part_index_prefix(1, 2, "15", &s(&["2024"]))));
        assert!(!entry.starts_with(&part_index_prefix(1, 2, "1", &[])));
        assert!(!entry.starts_with(&part_index_prefix(1, 1, "15", &[])));
        assert!(!entry.starts_with(&part_index_prefix(1, 2, "15", &s(&["2023"]))));
        assert!(entry.starts_with(&part_index_all(1)) && !entry.starts_with(&part_index_all(2)));
        let mut out = Vec::new();
        decode_part_index_into(&entry, &mut out).unwrap();
        assert_eq!(out, s(&["2024", "01", "15", "07"]));
        assert!(decode_part_index_into(&partition(1, &out), &mut out).is_err());
    }

    proptest! {
        #[test]
        fn index_entries_round_trip(vals in prop::collection::vec(".*", 2..5), pos in 1usize..5) {
            let pos = pos.min(vals.len() - 1);
            let mut out = Vec::new();
            decode_part_index_into(&part_index(5, pos, &vals), &mut out).unwrap();
            prop_assert_eq!(out, vals);
        }

        #[test]
        fn partition_keys_round_trip(vals in prop::collection::vec(".*", 1..4)) {
            prop_assert_eq!(decode_partition(&partition(5, &vals)).unwrap(), vals);
        }

        #[test]
        fn partition_key_order_is_value_order(
            a in prop::collection::vec(".{0,4}", 2), b in prop::collection::vec(".{0,4}", 2)
        ) {
            let (ka, kb) = (partition(1, &a), partition(1, &b));
            let raw = |v: &Vec<String>| v.iter().map(|x| x.as_bytes().to_vec()).collect::<Vec<_>>();
            prop_assert_eq!(ka.cmp(&kb), raw(&a).cmp(&raw(&b)));
        }
    }
}
