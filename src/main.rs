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
    let catalog: Arc<dyn Catalog> = Arc::new(catalog);
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
