//! Value encoding: one version byte, then MessagePack with named fields. Decoding ignores
//! unknown fields and defaults missing ones, so a field added later needs no migration, and a
//! value written by a newer version with a higher version byte is refused, not misread.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{LockComponent, Params, StorageDescriptor, Table};

const VERSION: u8 = 1;

pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut out = vec![VERSION];
    rmp_serde::encode::write_named(&mut out, value)
        .map_err(|e| Error::Internal(format!("cannot encode a catalog value: {e}")))?;
    Ok(out)
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    match bytes.split_first() {
        Some((&VERSION, body)) => rmp_serde::from_slice(body)
            .map_err(|e| Error::Corrupt(format!("undecodable value: {e}"))),
        Some((v, _)) => Err(Error::Corrupt(format!("unknown value version {v}"))),
        None => Err(Error::Corrupt("empty value".into())),
    }
}

/// A table row: the table and the id of its database.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredTable {
    pub(crate) db_id: u64,
    pub(crate) table: Table,
}

/// A partition row. Values, database and table are in the key. The storage descriptor is kept
/// only when it differs from the table's (location aside), and the location only when it is
/// not the default `<table location>/<partition name>`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct StoredPartition {
    pub(crate) create_time: i32,
    pub(crate) last_access_time: i32,
    pub(crate) location: Option<String>,
    pub(crate) sd: Option<StorageDescriptor>,
    pub(crate) parameters: Params,
}

/// A lock row: what it covers. Whether it is granted is worked out again after a restart,
/// from the older locks, as `check_lock` does.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredLock {
    pub(crate) components: Vec<LockComponent>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Database;

    #[derive(Serialize, Deserialize, Debug, PartialEq, Default)]
    #[serde(default)]
    struct V2 {
        name: String,
        added_later: Option<u32>,
    }

    #[test]
    fn round_trips_and_tolerates_added_and_removed_fields() {
        let db = Database {
            name: "x".into(),
            location: "file:/w".into(),
            ..Default::default()
        };
        let bytes = encode(&db).unwrap();
        assert_eq!(bytes[0], 1);
        assert_eq!(decode::<Database>(&bytes).unwrap(), db);
        // An older reader ignores a newer field; a newer reader defaults a missing one.
        let v2: V2 = decode(&bytes).unwrap();
        assert_eq!(
            v2,
            V2 {
                name: "x".into(),
                added_later: None
            }
        );
        let back: Database = decode(
            &encode(&V2 {
                name: "y".into(),
                added_later: Some(3),
            })
            .unwrap(),
        )
        .unwrap();
        assert_eq!(back.name, "y");
    }

    #[test]
    fn refuses_unknown_versions_and_garbage() {
        assert!(matches!(
            decode::<Database>(&[2, 0x80]),
            Err(Error::Corrupt(_))
        ));
        assert!(matches!(decode::<Database>(&[]), Err(Error::Corrupt(_))));
        assert!(matches!(
            decode::<Database>(&[1, 0xc1]),
            Err(Error::Corrupt(_))
        ));
    }
}
