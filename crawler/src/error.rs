//! The crawler's one error type.

/// Result alias used throughout the crawler.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong while crawling or repairing a table.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The catalog refused or failed a call (missing table, storage failure, ...).
    #[error("catalog error: {0}")]
    Catalog(#[from] metastore::Error),
    /// Listing the table's files failed.
    #[error("object store error: {0}")]
    Storage(#[from] object_store::Error),
    /// A folder under the table is not a partition folder (`key=value` for the expected key)
    /// and path validation is set to throw.
    #[error("invalid partition path '{path}': {reason}")]
    InvalidPath {
        /// The folder, relative to the table's root.
        path: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The table has no partition keys, so there is nothing to repair.
    #[error("table {table} is not partitioned")]
    NotPartitioned {
        /// `db.table`.
        table: String,
    },
    /// The table has no storage location to build partition locations from.
    #[error("table {table} has no location")]
    NoLocation {
        /// `db.table`.
        table: String,
    },
}
