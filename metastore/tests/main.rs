//! The metastore's one integration test binary: the catalog conformance suite, run against
//! `LocalCatalog` directly and against `ThriftCatalog` talking to a live server.

mod conformance;
mod server;
