//! `lakehive`: one binary for the whole service. This file only reads configuration (flags,
//! an optional `lakehive.toml`, `LAKEHIVE_*` variables), sets up logging, and wires the parts.

mod config;

use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use metastore::thrift::{serve, ThriftConfig};
use metastore::{Catalog, LocalCatalog};

use crate::config::{ServeArgs, Settings};

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
    /// Start the metastore (Thrift, Hive Metastore protocol) with an embedded RocksDB catalog.
    Serve(ServeArgs),
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
    }
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
    serve(listener, Arc::clone(&catalog), config, shutdown_signal()).await?;
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
