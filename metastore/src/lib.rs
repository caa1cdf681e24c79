//! Lakehive's metastore: the catalog's domain model, the [`Catalog`] trait, its RocksDB
//! implementation [`LocalCatalog`], and the Hive Metastore Thrift server and client.

mod catalog;
mod error;
mod filter;
pub mod model;
pub mod partname;
mod store;
pub mod thrift;

pub use catalog::{Catalog, LockStatus};
pub use error::{Error, Result};
pub use store::{LocalCatalog, LocalConfig};
