//! Lakehive's crawler. For now it offers partition repair: [`repair_table`] is Hive's and
//! Athena's `MSCK REPAIR TABLE t [ADD|DROP|SYNC PARTITIONS]`, which brings a table's partition
//! list in the catalog in line with the `key=value` folders under its location.
//!
//! Storage is reached only through [`object_store::ObjectStore`] and the catalog only through
//! [`metastore::Catalog`], so the same code repairs tables on local disk and on S3.

#![deny(missing_docs)]

mod error;
mod listing;
mod msck;
mod paths;

pub use error::{Error, Result};
pub use msck::{repair_table, PathValidation, RepairMode, RepairOptions, RepairReport};
