//! `lakehive`: one binary for the whole service. This file only reads configuration (flags,
//! an optional `lakehive.toml`, `LAKEHIVE_*` variables), sets up logging, and wires the parts.

mod config;

use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use metastore::thrift::{serve, ThriftConfig};
use metastore::{Catalog, LocalCatalog};

use crate::config::{gateway_file, gateway_settings, GatewayArgs, ServeArgs, Settings};

#[derive(Parser, Debug)]
#[command(
    name = "lakehive",
    version,
    about = "Self-hosted data-lake catalog: a Hive Metastore on RocksDB"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start the metastore (Thrift, Hive Metastore protocol) with an embedded RocksDB catalog,
    /// and the PostgreSQL-wire SQL gateway over it.
    Serve(ServeArgs),
    /// Run only the SQL gateway, against any Hive Metastore.
    Gateway {
        /// The metastore to use.
        #[arg(
            long,
            env = "LAKEHIVE_METASTORE",
            default_value = "thrift://127.0.0.1:9083"
        )]
        metastore: String,
        /// Configuration file (its `[gateway]` section).
        #[arg(long, env = "LAKEHIVE_CONFIG")]
        config: Option<std::path::PathBuf>,
        #[command(flatten)]
        args: GatewayArgs,
    },
    /// Print a SCRAM-SHA-256 verifier for a gateway user's `scram` setting, in PostgreSQL's
    /// `pg_authid` form (a verifier copied from PostgreSQL works too). Reads the password from
    /// standard input unless it is given (an argument is visible to other local users).
    PgPassword {
        /// The password; omit it to read one line from standard input.
        password: Option<String>,
    },
    /// Add and/or drop partitions of a table to match its folders (MSCK REPAIR TABLE).
    Msck {
        /// The table, as `db.table`.
        table: String,
        /// The metastore to use.
        #[arg(
            long,
            env = "LAKEHIVE_METASTORE",
            default_value = "thrift://127.0.0.1:9083"
        )]
        metastore: String,
        /// Add partitions found in storage (the default).
        #[arg(long, conflicts_with_all = ["drop", "sync"])]
        add: bool,
        /// Drop partitions whose folder is gone.
        #[arg(long, conflicts_with = "sync")]
        drop: bool,
        /// Both.
        #[arg(long)]
        sync: bool,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LAKEHIVE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Serve(args) => runtime.block_on(run_serve(Settings::load(&args)?)),
        Command::Gateway {
            metastore,
            config,
            args,
        } => runtime.block_on(run_gateway(&metastore, config.as_deref(), &args)),
        Command::PgPassword { password } => {
            let password = match password {
                Some(p) => p,
                None => read_password_line()?,
            };
            println!("{}", sql_gateway::scram_secret(&password));
            Ok(())
        }
        Command::Msck {
            table,
            metastore,
            drop,
            sync,
            ..
        } => {
            let mode = if sync {
                crawler::RepairMode::Sync
            } else if drop {
                crawler::RepairMode::Drop
            } else {
                crawler::RepairMode::Add
            };
            runtime.block_on(run_msck(&metastore, &table, mode))
        }
    }
}

fn thrift_address(uri: &str) -> &str {
    uri.strip_prefix("thrift://").unwrap_or(uri)
}

/// One line from standard input, without its line ending; an empty password is refused.
fn read_password_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    anyhow::ensure!(!password.is_empty(), "no password on standard input");
    Ok(password)
}

async fn run_gateway(
    metastore: &str,
    config: Option<&std::path::Path>,
    args: &GatewayArgs,
) -> anyhow::Result<()> {
    let (addr, gateway) = gateway_settings(args, gateway_file(config)?)?;
    let addr = addr.context("the gateway address is off")?;
    sql_gateway::check_config(&gateway).context("the SQL gateway's configuration")?;
    let catalog: Arc<dyn Catalog> = Arc::new(metastore::thrift::ThriftCatalog::new(
        thrift_address(metastore),
    ));
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding the gateway address {addr}"))?;
    tracing::info!(addr = %listener.local_addr()?, %metastore, "SQL gateway listening (postgres://)");
    sql_gateway::serve(listener, catalog, gateway, shutdown_signal()).await?;
    Ok(())
}

async fn run_msck(metastore: &str, table: &str, mode: crawler::RepairMode) -> anyhow::Result<()> {
    let (db, name) = table
        .split_once('.')
        .context("name the table as db.table")?;
    let catalog = metastore::thrift::ThriftCatalog::new(thrift_address(metastore));
    let t = catalog.get_table(db, name).await?;
    let loc = sql_gateway::Location::parse(t.sd.location.as_deref().unwrap_or(""))?;
    let registry = sql_gateway::StoreRegistry::new();
    let url = url::Url::parse(loc.store.as_str())?;
    let store =
        datafusion::execution::object_store::ObjectStoreRegistry::get_store(&registry, &url)?;
    let opts = crawler::RepairOptions {
        mode,
        ..Default::default()
    };
    let report =
        crawler::repair_table(&catalog, store.as_ref(), &loc.path, db, name, &opts).await?;
    println!(
        "added {} partition(s), dropped {}",
        report.added.len(),
        report.dropped.len()
    );
    for p in &report.invalid_paths {
        println!("skipped invalid path: {p}");
    }
    Ok(())
}

async fn run_serve(settings: Settings) -> anyhow::Result<()> {
    let local = settings.local_config();
    let catalog = LocalCatalog::open(&local)
        .with_context(|| format!("opening the catalog in {}", local.db_path.display()))?;
    tracing::info!(data_dir = %settings.data_dir.display(), warehouse = %catalog.warehouse().display(), "catalog open");
    let catalog = Arc::new(catalog);
    tokio::spawn(prune_events(Arc::clone(&catalog), settings.event_ttl));
    let catalog: Arc<dyn Catalog> = catalog;
    let listener = tokio::net::TcpListener::bind(&settings.thrift_addr)
        .await
        .with_context(|| format!("binding the Thrift address {}", settings.thrift_addr))?;
    tracing::info!(addr = %listener.local_addr()?, "metastore listening (thrift://)");
    let config = ThriftConfig {
        max_message_size: settings.max_message_size,
        ..ThriftConfig::default()
    };
    let stop = tokio::sync::watch::channel(false);
    let configured = settings.gateway.trust || !settings.gateway.users.is_empty();
    if settings.pg_addr.is_some() && !configured {
        tracing::warn!("SQL gateway not started: configure [[gateway.users]] or pass --pg-trust");
    }
    if settings.pg_addr.is_some() && configured {
        sql_gateway::check_config(&settings.gateway).context("the SQL gateway's configuration")?;
    }
    let gateway = match settings.pg_addr.as_ref().filter(|_| configured) {
        Some(addr) => {
            let pg = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding the gateway address {addr}"))?;
            tracing::info!(addr = %pg.local_addr()?, "SQL gateway listening (postgres://)");
            let mut rx = stop.1.clone();
            let stopped = async move {
                let _ = rx.wait_for(|s| *s).await;
            };
            Some(tokio::spawn(sql_gateway::serve(
                pg,
                Arc::clone(&catalog),
                settings.gateway.clone(),
                stopped,
            )))
        }
        None => None,
    };
    let tx = stop.0;
    let signal = async move {
        shutdown_signal().await;
        let _ = tx.send(true);
    };
    serve(listener, Arc::clone(&catalog), config, signal).await?;
    if let Some(g) = gateway {
        match g.await {
            Ok(Err(e)) => tracing::warn!(error = %e, "the SQL gateway failed"),
            Err(e) => tracing::warn!(error = %e, "the SQL gateway panicked"),
            Ok(Ok(())) => {}
        }
    }
    drop(catalog);
    tracing::info!("stopped; catalog closed");
    Ok(())
}

/// Keeps the DDL notification log to its time-to-live, as Hive's event cleaner does.
async fn prune_events(catalog: Arc<LocalCatalog>, ttl: std::time::Duration) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        every.tick().await;
        let ttl = i32::try_from(ttl.as_secs()).unwrap_or(i32::MAX);
        let cutoff = metastore::model::now_secs().saturating_sub(ttl);
        let c = Arc::clone(&catalog);
        match tokio::task::spawn_blocking(move || c.prune_events(cutoff)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(removed = n, "pruned old DDL events"),
            Ok(Err(e)) => tracing::warn!(error = %e, "pruning DDL events failed"),
            Err(e) => tracing::warn!(error = %e, "pruning DDL events panicked"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down: draining connections");
}
