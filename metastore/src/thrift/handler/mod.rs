//! The `ThriftHiveMetastore` handler: decodes arguments into domain types, calls the
//! [`Catalog`], encodes the answer. Each method names the exceptions it declares (from
//! `throws.rs`) so errors map to a type the client expects.

mod events;
mod locks;
mod parts;
mod service;
mod stats;
mod tables;

use std::future::Future;
use std::sync::Arc;

use super::errors::{to_wire, Exc};
use crate::catalog::Catalog;
use crate::error::Result;

/// Serves one connection's calls; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Handler {
    catalog: Arc<dyn Catalog>,
    rt: tokio::runtime::Handle,
}

impl Handler {
    pub(crate) fn new(catalog: Arc<dyn Catalog>, rt: tokio::runtime::Handle) -> Self {
        Handler { catalog, rt }
    }

    /// Runs a catalog call to completion on this (blocking) connection thread.
    fn run<T>(&self, declared: &[Exc], fut: impl Future<Output = Result<T>>) -> thrift::Result<T> {
        self.rt.block_on(fut).map_err(|e| to_wire(e, declared))
    }
}

/// `max_parts` as Hive sends it: negative means no limit.
fn limit(max: i16) -> Option<usize> {
    usize::try_from(max).ok()
}

fn limit_opt(max: Option<i16>) -> Option<usize> {
    max.and_then(limit)
}
