//! The catalog as DataFusion sees it: one schema per catalog database. Tables are fetched
//! from the catalog when a query names them (per query, behind a short-lived cache), never
//! all at once. Listings needed by synchronous DataFusion calls (`information_schema`,
//! `pg_catalog`) are cached the same way.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use datafusion::catalog::{CatalogProvider, SchemaProvider};
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result as DfResult};
use metastore::model::table_type;
use metastore::Catalog;
use parking_lot::{Mutex, RwLock};

use crate::error::Error;
use crate::table::HiveTable;
use crate::view::HiveView;

/// The DataFusion catalog name the gateway registers the Hive catalog under.
pub const CATALOG_NAME: &str = "lakehive";

/// A value with the time it was fetched.
#[derive(Debug)]
struct Timed<T> {
    at: Instant,
    value: T,
}

/// `(database, table)`.
type TableKey = (String, String);

/// The tables of a database, and which of them are views.
#[derive(Debug, Default)]
struct TableListing {
    names: Vec<String>,
    views: HashSet<String>,
}

/// Caches shared by every session: what a query resolved stays valid for `ttl`.
#[derive(Debug)]
pub(crate) struct MetaCache {
    ttl: Duration,
    databases: Mutex<Option<Timed<Vec<String>>>>,
    tables: Mutex<HashMap<String, Timed<Arc<TableListing>>>>,
    providers: Mutex<HashMap<TableKey, Timed<Arc<dyn TableProvider>>>>,
}

impl MetaCache {
    /// An empty cache whose entries live `ttl`.
    pub(crate) fn new(ttl: Duration) -> Self {
        MetaCache {
            ttl,
            databases: Mutex::new(None),
            tables: Mutex::new(HashMap::new()),
            providers: Mutex::new(HashMap::new()),
        }
    }

    fn fresh(&self, at: Instant) -> bool {
        at.elapsed() < self.ttl
    }

    /// Forgets what is cached about a database (after DDL through the gateway).
    pub(crate) fn invalidate(&self, db: &str) {
        let db = db.to_lowercase();
        let db = db.as_str();
        *self.databases.lock() = None;
        self.tables.lock().remove(db);
        self.providers.lock().retain(|(d, _), _| d != db);
    }
}

/// Runs a catalog call from a synchronous DataFusion callback.
fn block_on<F: Future>(fut: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(fut))
}

/// The Hive catalog as a DataFusion catalog.
#[derive(Debug)]
pub(crate) struct HiveCatalogProvider {
    catalog: Arc<dyn Catalog>,
    cache: Arc<MetaCache>,
    /// Schemas that are not catalog databases (`pg_catalog`).
    extra: RwLock<HashMap<String, Arc<dyn SchemaProvider>>>,
}

impl HiveCatalogProvider {
    /// A provider over `catalog`.
    pub(crate) fn new(catalog: Arc<dyn Catalog>, cache: Arc<MetaCache>) -> Self {
        HiveCatalogProvider {
            catalog,
            cache,
            extra: RwLock::new(HashMap::new()),
        }
    }

    fn databases(&self) -> Vec<String> {
        if let Some(t) = self.cache.databases.lock().as_ref() {
            if self.cache.fresh(t.at) {
                return t.value.clone();
            }
        }
        match block_on(self.catalog.list_databases(None)) {
            Ok(names) => {
                *self.cache.databases.lock() = Some(Timed {
                    at: Instant::now(),
                    value: names.clone(),
                });
                names
            }
            Err(e) => {
                tracing::warn!(error = %e, "listing databases failed");
                vec![]
            }
        }
    }
}

impl CatalogProvider for HiveCatalogProvider {
    fn schema_names(&self) -> Vec<String> {
        let mut names = self.databases();
        names.extend(self.extra.read().keys().cloned());
        names
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        if let Some(s) = self.extra.read().get(name) {
            return Some(Arc::clone(s));
        }
        let name = name.to_lowercase();
        if !self.databases().contains(&name) {
            return None;
        }
        Some(Arc::new(HiveSchemaProvider {
            catalog: Arc::clone(&self.catalog),
            cache: Arc::clone(&self.cache),
            db: name,
        }))
    }

    fn register_schema(
        &self,
        name: &str,
        schema: Arc<dyn SchemaProvider>,
    ) -> DfResult<Option<Arc<dyn SchemaProvider>>> {
        Ok(self.extra.write().insert(name.to_string(), schema))
    }
}

/// One catalog database as a DataFusion schema.
#[derive(Debug)]
pub(crate) struct HiveSchemaProvider {
    catalog: Arc<dyn Catalog>,
    cache: Arc<MetaCache>,
    db: String,
}

impl HiveSchemaProvider {
    /// The database's tables and views, from the cache or the catalog (for synchronous
    /// DataFusion callbacks). A failed listing is logged and reads as empty.
    fn listing(&self) -> Arc<TableListing> {
        if let Some(t) = self.cache.tables.lock().get(&self.db) {
            if self.cache.fresh(t.at) {
                return Arc::clone(&t.value);
            }
        }
        let fetched = block_on(async {
            let names = self.catalog.list_tables(&self.db, None, None).await?;
            // A metastore without listing by type (before Hive 2.3) still lists the
            // tables; its views then show as tables, and the listing is not cached.
            let views = self
                .catalog
                .list_tables(&self.db, None, Some(table_type::VIEW))
                .await;
            Ok::<_, metastore::Error>((names, views))
        });
        match fetched {
            Ok((names, Err(e))) => {
                tracing::debug!(db = %self.db, error = %e, "listing views failed");
                Arc::new(TableListing {
                    names,
                    views: HashSet::new(),
                })
            }
            Ok((names, Ok(views))) => {
                let listing = TableListing {
                    names,
                    views: views.into_iter().collect(),
                };
                let listing = Arc::new(listing);
                self.cache.tables.lock().insert(
                    self.db.clone(),
                    Timed {
                        at: Instant::now(),
                        value: Arc::clone(&listing),
                    },
                );
                listing
            }
            Err(e) => {
                tracing::warn!(db = %self.db, error = %e, "listing tables failed");
                Arc::default()
            }
        }
    }

    async fn load(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        let key = (self.db.clone(), name.to_lowercase());
        if let Some(t) = self.cache.providers.lock().get(&key) {
            if self.cache.fresh(t.at) {
                return Ok(Some(Arc::clone(&t.value)));
            }
        }
        let table = match self.catalog.get_table(&key.0, &key.1).await {
            Ok(t) => crate::spark_tables::as_hive(t),
            Err(metastore::Error::NotFound(_)) => return Ok(None),
            Err(e) => return Err(DataFusionError::External(Box::new(Error::from(e)))),
        };
        let provider: Arc<dyn TableProvider> = if table.table_type == table_type::VIEW {
            Arc::new(HiveView::new(&table))
        } else {
            Arc::new(HiveTable::try_new(Arc::clone(&self.catalog), table)?)
        };
        self.cache.providers.lock().insert(
            key,
            Timed {
                at: Instant::now(),
                value: Arc::clone(&provider),
            },
        );
        Ok(Some(provider))
    }
}

#[async_trait]
impl SchemaProvider for HiveSchemaProvider {
    fn table_names(&self) -> Vec<String> {
        self.listing().names.clone()
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        self.load(name).await
    }

    /// Views show as views in `information_schema.tables` and `pg_class` (psql's `\dv`).
    async fn table_type(&self, name: &str) -> DfResult<Option<TableType>> {
        let name = name.to_lowercase();
        let listing = self.listing();
        Ok(match listing.views.contains(&name) {
            true => Some(TableType::View),
            false => listing.names.contains(&name).then_some(TableType::Base),
        })
    }

    fn table_exist(&self, name: &str) -> bool {
        let name = name.to_lowercase();
        self.listing().names.contains(&name)
    }
}
