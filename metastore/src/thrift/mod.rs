//! The Hive Metastore Thrift protocol: the server (`serve`), the client catalog
//! (`ThriftCatalog`), and the conversions and error mapping between them and the domain.

mod client;
mod convert;
mod errors;
mod handler;
mod listing;
mod protocol;
mod server;
mod throws;

pub use client::ThriftCatalog;
pub use server::{serve, ThriftConfig};
