//! Lakehive's SQL gateway: PostgreSQL clients (psql, JDBC, psycopg, BI tools) query the
//! cataloged files through DataFusion, and run Athena-style DDL against the catalog.

mod agg_probe_filter;
mod athena;
mod auth;
mod cancel;
mod catalog_provider;
mod decimal_arith;
mod eager_and;
mod eq_selectivity;
mod error;
mod filter_order;
mod format;
mod hive_filter;
mod hive_types;
mod orc_columns;
mod orc_encode;
mod pg_functions;
mod plan_walk;
mod probe_filters;
mod rewrite;
mod search_path;
mod server;
mod session;
mod shared_result;
mod spark_tables;
mod sql_text;
mod storage;
mod table;
mod text_scan;
mod time_text;
mod tls;
mod users;
mod view;
mod wire_text;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::datatypes::DataType;
use datafusion::execution::context::SQLOptions;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::SessionStateBuilder;
use datafusion::logical_expr::{create_udf, ColumnarValue, Volatility};
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::scalar::ScalarValue;
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::setup_pg_catalog;
use metastore::Catalog;
use tokio::net::TcpListener;

pub use auth::scram_secret;
pub use catalog_provider::CATALOG_NAME;
pub use error::{Error, Result};
pub use storage::{Location, StoreRegistry};
pub use users::UserConfig;

use agg_probe_filter::FilterBeforeAggregate;
use auth::AuthConfig;
use catalog_provider::{HiveCatalogProvider, MetaCache};
use decimal_arith::DecimalArith;
use eager_and::EagerConjunctions;
use eq_selectivity::EqualitySelectivity;
use filter_order::FilterOrder;
use probe_filters::ProbeRowFilters;
use tokio_rustls::TlsAcceptor;
use users::Users;

/// The PostgreSQL version the gateway reports.
pub const PG_SERVER_VERSION: &str = "16.6";

/// Gateway settings.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Accept any user without a password.
    pub trust: bool,
    /// Configured users (SCRAM-SHA-256).
    pub users: Vec<UserConfig>,
    /// Most connections at once.
    pub max_connections: usize,
    /// Memory for query execution, in bytes; spilling or an error beyond it.
    pub memory_limit: usize,
    /// How long resolved catalog entries are reused.
    pub cache_ttl: Duration,
    /// PEM certificate and key for TLS.
    pub tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            trust: false,
            users: vec![],
            max_connections: 256,
            memory_limit: 4 << 30,
            cache_ttl: Duration::from_secs(2),
            tls: None,
        }
    }
}

/// What every session shares.
pub struct Shared {
    catalog: Arc<dyn Catalog>,
    cache: Arc<MetaCache>,
    users: Users,
    cancels: Arc<cancel::Cancels>,
    config: GatewayConfig,
    /// The template each session's context is cloned from.
    base: SessionContext,
}

/// DataFusion's physical optimizer rules with [`EqualitySelectivity`] right before the rule
/// that chooses each join's build side, [`ProbeRowFilters`] right after it (before filters
/// are pushed into scans), and [`FilterBeforeAggregate`] then [`EagerConjunctions`] last,
/// before the sanity check.
fn physical_rules() -> Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> {
    let mut rules = PhysicalOptimizer::new().rules;
    let at = rules
        .iter()
        .position(|r| r.name() == "join_selection")
        .unwrap_or(0);
    rules.insert(at + 1, Arc::new(ProbeRowFilters));
    rules.insert(at, Arc::new(EqualitySelectivity));
    let last = rules
        .iter()
        .position(|r| r.name() == "SanityCheckPlan")
        .unwrap_or(rules.len());
    rules.insert(last, Arc::new(EagerConjunctions));
    rules.insert(last, Arc::new(FilterBeforeAggregate));
    rules
}

/// How many partitions a query's scans and operators are split into: twice the cores.
/// Partitions do not all take the same time (row groups differ, a join's build side is
/// collected first); with two per core a core whose partition ends early takes up another
/// one. On a 2-core machine, TPC-H SF1 took 3,299 ms with four partitions against 3,478 ms
/// with two; in other paired runs four also beat three (3,282 / 3,363 ms) and eight
/// (3,342 / 3,503 ms).
fn target_partitions() -> usize {
    2 * std::thread::available_parallelism().map_or(1, usize::from)
}

/// Builds the shared DataFusion context: the Hive catalog as catalog `lakehive` with
/// `default` as the current schema, `pg_catalog`, `information_schema`, the object stores and
/// the memory pool.
fn base_context(
    catalog: &Arc<dyn Catalog>,
    cache: &Arc<MetaCache>,
    config: &GatewayConfig,
) -> Result<SessionContext> {
    let mut session = SessionConfig::new()
        .with_default_catalog_and_schema(CATALOG_NAME, "default")
        .with_create_default_catalog_and_schema(false)
        .with_information_schema(true)
        .with_target_partitions(target_partitions());
    // Joins whose build side is estimated under 400,000 rows / 8 MiB build one hash table
    // that every probe partition shares (DataFusion's defaults: 128 K rows / 1 MiB); Parquet
    // tables report no byte sizes (`table::without_byte_sizes`), so rows decide. The
    // probe side is then neither repartitioned nor filtered through a per-partition CASE,
    // which took TPC-H Q5 from ~330 to ~260 ms (integration/bench/README.md).
    let optimizer = &mut session.options_mut().optimizer;
    optimizer.hash_join_single_partition_threshold_rows = 400_000;
    optimizer.hash_join_single_partition_threshold = 8 << 20;
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_limit(config.memory_limit, 1.0)
        .with_object_store_registry(Arc::new(StoreRegistry::new()))
        .build_arc()?;
    let builder = SessionStateBuilder::new()
        .with_config(session)
        .with_runtime_env(runtime)
        .with_default_features()
        .with_optimizer_rule(Arc::new(FilterOrder))
        .with_optimizer_rule(Arc::new(DecimalArith))
        .with_physical_optimizer_rules(physical_rules());
    let state = shared_result::install(builder).build();
    let ctx = SessionContext::new_with_state(state);
    ctx.register_catalog(
        CATALOG_NAME,
        Arc::new(HiveCatalogProvider::new(
            Arc::clone(catalog),
            Arc::clone(cache),
        )),
    );
    setup_pg_catalog(&ctx, CATALOG_NAME, EmptyContextProvider)
        .map_err(|e| Error::DataFusion(*e))?;
    let version = format!(
        "PostgreSQL {PG_SERVER_VERSION} (Lakehive {}) on {}, DataFusion",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH
    );
    ctx.register_udf(constant_udf(
        "version",
        vec![],
        ScalarValue::Utf8(Some(version)),
    ));
    // psycopg's type lookup (`TypeInfo.fetch`, used by SQLAlchemy): no extension types here.
    ctx.register_udf(constant_udf(
        "to_regtype",
        vec![DataType::Utf8],
        ScalarValue::Int32(None),
    ));
    pg_functions::register(&ctx);
    Ok(ctx)
}

/// Planning options that accept a query and nothing else: DataFusion runs DDL while it plans
/// it, and would plan `COPY ... TO` or DML where only a query belongs (a view's body, the
/// query part of CTAS and INSERT).
pub(crate) fn queries_only() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

/// A function returning one fixed value whatever its arguments.
pub(crate) fn constant_udf(
    name: &str,
    args: Vec<DataType>,
    value: ScalarValue,
) -> datafusion::logical_expr::ScalarUDF {
    let return_type = value.data_type();
    create_udf(
        name,
        args,
        return_type,
        Volatility::Stable,
        Arc::new(move |_| Ok(ColumnarValue::Scalar(value.clone()))),
    )
}

/// The single element of `items`: the one child or input our plan nodes are rebuilt with.
pub(crate) fn only_one<T>(items: Vec<T>, node: &str) -> datafusion::common::Result<T> {
    let [item] = <[T; 1]>::try_from(items).map_err(|_| {
        datafusion::error::DataFusionError::Internal(format!("{node} has exactly one input"))
    })?;
    Ok(item)
}

/// Checks what can be checked before serving, so that a mistake stops start-up with a
/// clear message: users or trust, the users' verifiers and locations, the TLS certificate
/// and key.
pub fn check_config(config: &GatewayConfig) -> Result<()> {
    let users = Users::new(config.trust, config.users.clone());
    prepare(config, &users).map(|_| ())
}

/// What start-up builds from the configuration: the users' verifiers and the TLS acceptor.
fn prepare(config: &GatewayConfig, users: &Users) -> Result<(AuthConfig, Option<TlsAcceptor>)> {
    if !config.trust && config.users.is_empty() {
        return Err(Error::InvalidInput(
            "the SQL gateway needs users or explicit trust (--pg-trust)".into(),
        ));
    }
    for u in &config.users {
        for l in &u.locations {
            Location::parse(l).map_err(|e| {
                Error::InvalidInput(format!("gateway user {}: locations: {e}", u.name))
            })?;
        }
    }
    let auth = AuthConfig::new(users).map_err(Error::InvalidInput)?;
    let tls = match &config.tls {
        Some((cert, key)) => Some(tls::acceptor(cert, key)?),
        None => None,
    };
    Ok((auth, tls))
}

/// Serves the gateway on `listener` over `catalog` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    catalog: Arc<dyn Catalog>,
    config: GatewayConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let users = Users::new(config.trust, config.users.clone());
    let (auth, tls) = prepare(&config, &users)?;
    let cache = Arc::new(MetaCache::new(config.cache_ttl));
    let base = base_context(&catalog, &cache, &config)?;
    let shared = Arc::new(Shared {
        users,
        catalog,
        cache,
        cancels: Default::default(),
        config,
        base,
    });
    server::serve(listener, shared, auth, tls, shutdown).await?;
    Ok(())
}
