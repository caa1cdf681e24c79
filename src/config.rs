//! Configuration: built-in defaults, then `lakehive.toml` (from `--config`, or the current
//! directory if present), then `LAKEHIVE_*` environment variables, then flags. Only this
//! binary reads any of them; the libraries receive typed config structs.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use metastore::LocalConfig;
use serde::Deserialize;

/// Flags of `lakehive serve`. Each also reads a `LAKEHIVE_*` variable.
#[derive(Args, Debug, Default)]
pub(crate) struct ServeArgs {
    /// Configuration file [default: ./lakehive.toml when it exists].
    #[arg(long, env = "LAKEHIVE_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory: the RocksDB catalog in `<dir>/catalog`, managed tables in
    /// `<dir>/warehouse` [default: ./lakehive-data].
    #[arg(long, env = "LAKEHIVE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Address of the Hive Metastore Thrift endpoint [default: 127.0.0.1:9083].
    #[arg(long, env = "LAKEHIVE_THRIFT_ADDR")]
    thrift_addr: Option<String>,
    /// Warehouse folder for managed tables [default: <data-dir>/warehouse].
    #[arg(long, env = "LAKEHIVE_WAREHOUSE")]
    warehouse: Option<PathBuf>,
    /// Largest Thrift request accepted, in bytes [default: 104857600, Hive's default].
    #[arg(long, env = "LAKEHIVE_MAX_MESSAGE_SIZE")]
    max_message_size: Option<usize>,
    /// fsync every catalog write (survives power loss, not only a killed process).
    #[arg(long, env = "LAKEHIVE_SYNC_WRITES")]
    sync_writes: Option<bool>,
    /// How long DDL events stay in the notification log, in seconds [default: 86400, as Hive].
    #[arg(long, env = "LAKEHIVE_EVENT_TTL_SECS")]
    event_ttl_secs: Option<u64>,
    #[command(flatten)]
    pub(crate) gateway: GatewayArgs,
}

/// Flags of the SQL gateway (in `serve` and `gateway`).
#[derive(Args, Debug, Default)]
pub(crate) struct GatewayArgs {
    /// Address of the PostgreSQL-wire SQL gateway; `off` disables it [default: 127.0.0.1:5433].
    #[arg(long, env = "LAKEHIVE_PG_ADDR")]
    pub(crate) pg_addr: Option<String>,
    /// Let anyone connect to the gateway without a password (otherwise users come from the
    /// `[[gateway.users]]` of the configuration file).
    #[arg(long, env = "LAKEHIVE_PG_TRUST")]
    pub(crate) pg_trust: bool,
    /// PEM certificate for TLS on the gateway.
    #[arg(long, env = "LAKEHIVE_PG_TLS_CERT", requires = "pg_tls_key")]
    pub(crate) pg_tls_cert: Option<PathBuf>,
    /// PEM private key for TLS on the gateway.
    #[arg(long, env = "LAKEHIVE_PG_TLS_KEY", requires = "pg_tls_cert")]
    pub(crate) pg_tls_key: Option<PathBuf>,
    /// Memory for query execution, in MiB [default: 4096].
    #[arg(long, env = "LAKEHIVE_PG_MEMORY_MB")]
    pub(crate) pg_memory_mb: Option<usize>,
}

/// `[gateway]` of `lakehive.toml`.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct GatewayFile {
    addr: Option<String>,
    trust: Option<bool>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    memory_mb: Option<usize>,
    #[serde(default)]
    users: Vec<UserFile>,
}

/// `[[gateway.users]]`: the password is read from the named environment variable.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct UserFile {
    name: String,
    password_env: Option<String>,
    scram: Option<String>,
    databases: Option<Vec<String>>,
    #[serde(default)]
    locations: Vec<String>,
    #[serde(default)]
    read_only: bool,
}

/// The gateway's address (`None` when disabled) and settings.
pub(crate) fn gateway_settings(
    args: &GatewayArgs,
    file: GatewayFile,
) -> anyhow::Result<(Option<String>, sql_gateway::GatewayConfig)> {
    let addr = args
        .pg_addr
        .clone()
        .or(file.addr)
        .unwrap_or_else(|| "127.0.0.1:5433".into());
    let addr = (addr != "off").then_some(addr);
    let mut users = Vec::new();
    for u in file.users {
        let password = match &u.password_env {
            Some(var) => Some(std::env::var(var).with_context(|| {
                format!(
                    "gateway user {}: environment variable {var} is not set",
                    u.name
                )
            })?),
            None => None,
        };
        users.push(sql_gateway::UserConfig {
            name: u.name,
            password,
            scram: u.scram,
            databases: u.databases,
            locations: u.locations,
            read_only: u.read_only,
        });
    }
    let tls = match (
        args.pg_tls_cert.clone().or(file.tls_cert),
        args.pg_tls_key.clone().or(file.tls_key),
    ) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => anyhow::bail!("TLS needs both a certificate and a key"),
    };
    let config = sql_gateway::GatewayConfig {
        trust: args.pg_trust || file.trust.unwrap_or(false),
        users,
        tls,
        memory_limit: args.pg_memory_mb.or(file.memory_mb).unwrap_or(4096) << 20,
        ..Default::default()
    };
    Ok((addr, config))
}

/// `lakehive.toml`.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    thrift_addr: Option<String>,
    warehouse: Option<PathBuf>,
    max_message_size: Option<usize>,
    sync_writes: Option<bool>,
    event_ttl_secs: Option<u64>,
    #[serde(default)]
    gateway: GatewayFile,
}

/// Resolved settings.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) data_dir: PathBuf,
    pub(crate) thrift_addr: String,
    pub(crate) warehouse: PathBuf,
    pub(crate) max_message_size: usize,
    pub(crate) sync_writes: bool,
    pub(crate) event_ttl: std::time::Duration,
    pub(crate) pg_addr: Option<String>,
    pub(crate) gateway: sql_gateway::GatewayConfig,
}

impl Settings {
    pub(crate) fn load(args: &ServeArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(p) => read_file(p)?,
            None if Path::new("lakehive.toml").exists() => read_file(Path::new("lakehive.toml"))?,
            None => FileConfig::default(),
        };
        let data_dir = args
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| "lakehive-data".into());
        let warehouse = args
            .warehouse
            .clone()
            .or(file.warehouse)
            .unwrap_or_else(|| data_dir.join("warehouse"));
        let (pg_addr, gateway) = gateway_settings(&args.gateway, file.gateway)?;
        Ok(Settings {
            pg_addr,
            gateway,
            thrift_addr: args
                .thrift_addr
                .clone()
                .or(file.thrift_addr)
                .unwrap_or_else(|| "127.0.0.1:9083".into()),
            max_message_size: args
                .max_message_size
                .or(file.max_message_size)
                .unwrap_or(100 << 20),
            event_ttl: std::time::Duration::from_secs(
                args.event_ttl_secs
                    .or(file.event_ttl_secs)
                    .unwrap_or(86_400),
            ),
            sync_writes: args.sync_writes.or(file.sync_writes).unwrap_or(false),
            data_dir,
            warehouse,
        })
    }

    pub(crate) fn local_config(&self) -> LocalConfig {
        let mut c = LocalConfig::under(&self.data_dir);
        c.warehouse = self.warehouse.clone();
        c.sync_writes = self.sync_writes;
        c
    }
}

/// The `[gateway]` section of a configuration file, if one is given or present.
pub(crate) fn gateway_file(path: Option<&Path>) -> anyhow::Result<GatewayFile> {
    Ok(match path {
        Some(p) => read_file(p)?.gateway,
        None if Path::new("lakehive.toml").exists() => {
            read_file(Path::new("lakehive.toml"))?.gateway
        }
        None => GatewayFile::default(),
    })
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_and_defaults_apply() {
        let dir = std::env::temp_dir().join(format!("lakehive-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("lakehive.toml");
        std::fs::write(&file, "data_dir = \"/d\"\nthrift_addr = \"0.0.0.0:1\"\n").unwrap();
        let args = ServeArgs {
            config: Some(file),
            thrift_addr: Some("127.0.0.1:2".into()),
            ..Default::default()
        };
        let s = Settings::load(&args).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("/d"));
        assert_eq!(s.warehouse, PathBuf::from("/d/warehouse"));
        assert_eq!(s.thrift_addr, "127.0.0.1:2");
        assert!(!s.sync_writes);
        std::fs::write(dir.join("bad.toml"), "nope = 1\n").unwrap();
        let bad = ServeArgs {
            config: Some(dir.join("bad.toml")),
            ..Default::default()
        };
        assert!(Settings::load(&bad).is_err());
    }
}
