//! The metastore's one error type. Each protocol maps it to the wire in one place
//! (`thrift::errors` for Thrift); callers branch on the variant, never on the message.

/// Result alias used throughout the metastore.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong in a catalog operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database, table, partition, function, lock or statistic does not exist.
    #[error("{0}")]
    NotFound(String),
    /// An object with that name already exists.
    #[error("{0}")]
    AlreadyExists(String),
    /// The object sent by the client is not valid (bad name, missing storage descriptor, ...).
    #[error("{0}")]
    InvalidObject(String),
    /// The operation is not allowed in the current state (dropping a non-empty database, ...).
    #[error("{0}")]
    InvalidOperation(String),
    /// A concurrent change won: the object is not in the state the caller expected.
    #[error("{0}")]
    Conflict(String),
    /// A request argument is malformed (an unparsable partition filter, a bad pattern, ...).
    #[error("{0}")]
    InvalidInput(String),
    /// A stored value could not be decoded: the data directory is corrupt or from a newer version.
    #[error("corrupt catalog entry: {0}")]
    Corrupt(String),
    /// RocksDB failed.
    #[error("storage error: {0}")]
    Storage(#[from] rocksdb::Error),
    /// A filesystem operation on table data failed.
    #[error("filesystem error: {0}")]
    Io(#[from] std::io::Error),
    /// A remote metastore could not be reached or answered outside the protocol.
    #[error("remote metastore error: {0}")]
    Remote(String),
    /// A bug: an invariant of the metastore itself does not hold.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub(crate) fn no_db(db: &str) -> Self {
        Error::NotFound(format!("Database {db} does not exist"))
    }

    pub(crate) fn no_table(db: &str, table: &str) -> Self {
        Error::NotFound(format!("Table {db}.{table} does not exist"))
    }

    pub(crate) fn no_partition(db: &str, table: &str, values: &[String]) -> Self {
        Error::NotFound(format!(
            "Partition {values:?} of table {db}.{table} does not exist"
        ))
    }
}
