//! Start-up and authentication: trust (only when configured) or SCRAM-SHA-256 against the
//! configured users. Passwords are salted and hashed at start and never logged.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion_postgres::pgwire::api::auth::noop::NoopStartupHandler;
use datafusion_postgres::pgwire::api::auth::sasl::scram::{gen_salted_password, ScramAuth};
use datafusion_postgres::pgwire::api::auth::sasl::SASLAuthStartupHandler;
use datafusion_postgres::pgwire::api::auth::{
    AuthSource, DefaultServerParameterProvider, LoginInfo, Password, StartupHandler,
};
use datafusion_postgres::pgwire::api::{ClientInfo, ConnectionManager};
use datafusion_postgres::pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use datafusion_postgres::pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use futures::Sink;

use crate::users::Users;

const ITERATIONS: usize = 4096;

/// The server parameters clients read at start-up.
pub(crate) fn server_parameters() -> DefaultServerParameterProvider {
    let mut p = DefaultServerParameterProvider::default();
    p.server_version = crate::PG_SERVER_VERSION.to_string();
    p.search_path = "default".to_string();
    p
}

/// Salted SCRAM secrets of the users with passwords.
#[derive(Debug)]
struct Secrets {
    by_user: HashMap<String, (Vec<u8>, Vec<u8>)>,
}

#[async_trait]
impl AuthSource for Secrets {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let user = login.user().unwrap_or_default();
        match self.by_user.get(user) {
            Some((salt, salted)) => Ok(Password::new(Some(salt.clone()), salted.clone())),
            None => Err(PgWireError::UserError(Box::new(ErrorInfo::new(
                "FATAL".into(),
                "28P01".into(),
                format!("password authentication failed for user \"{user}\""),
            )))),
        }
    }
}

/// Trust: anyone, no password.
pub(crate) struct Trust {
    manager: Arc<ConnectionManager>,
}

impl NoopStartupHandler for Trust {
    fn connection_manager(&self) -> Option<Arc<ConnectionManager>> {
        Some(Arc::clone(&self.manager))
    }
}

/// The start-up handler in use.
pub(crate) enum Startup {
    /// No authentication.
    Trust(Trust),
    /// SCRAM-SHA-256.
    Scram(Box<SASLAuthStartupHandler<DefaultServerParameterProvider>>),
}

/// What start-up needs, prepared once: the users' salted secrets.
#[derive(Debug)]
pub(crate) struct AuthConfig {
    trust: bool,
    secrets: Arc<Secrets>,
}

impl AuthConfig {
    /// Salts and hashes the configured passwords.
    pub(crate) fn new(users: &Users) -> AuthConfig {
        let mut by_user = HashMap::new();
        for u in users.iter() {
            let secret = match (&u.scram, &u.password) {
                (Some(v), _) => match parse_verifier(v) {
                    Some(s) => s,
                    None => {
                        tracing::warn!(user = %u.name, "ignoring a malformed scram secret");
                        continue;
                    }
                },
                (None, Some(pw)) => {
                    let salt = random_salt();
                    let salted = gen_salted_password(pw, &salt, ITERATIONS);
                    (salt, salted)
                }
                (None, None) => continue,
            };
            by_user.insert(u.name.clone(), secret);
        }
        AuthConfig {
            trust: users.trust,
            secrets: Arc::new(Secrets { by_user }),
        }
    }
}

impl Startup {
    /// The handler of one connection (SCRAM keeps per-connection state).
    pub(crate) fn new(auth: &AuthConfig, manager: Arc<ConnectionManager>) -> Startup {
        if auth.trust {
            return Startup::Trust(Trust { manager });
        }
        let secrets: Arc<dyn AuthSource> = auth.secrets.clone();
        let mut scram = ScramAuth::new(secrets);
        scram.set_iterations(ITERATIONS);
        let handler = SASLAuthStartupHandler::new(Arc::new(server_parameters()))
            .with_scram(scram)
            .with_connection_manager(manager);
        Startup::Scram(Box::new(handler))
    }
}

const PREFIX: &str = "SCRAM-SHA-256$";

fn random_salt() -> Vec<u8> {
    (0..16).map(|_| rand_byte()).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A stored secret for `password`: `SCRAM-SHA-256$<iterations>:<salt>$<salted password>`
/// (hex). The configuration can hold it instead of the password.
pub fn scram_secret(password: &str) -> String {
    let salt = random_salt();
    let salted = gen_salted_password(password, &salt, ITERATIONS);
    format!("{PREFIX}{ITERATIONS}:{}${}", hex(&salt), hex(&salted))
}

fn parse_verifier(v: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let rest = v.strip_prefix(PREFIX)?;
    let (params, salted) = rest.split_once('$')?;
    let (iterations, salt) = params.split_once(':')?;
    if iterations.parse::<usize>().ok()? != ITERATIONS {
        return None;
    }
    Some((unhex(salt)?, unhex(salted)?))
}

fn rand_byte() -> u8 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    h.finish() as u8
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match self {
            Startup::Trust(t) => t.on_startup(client, message).await,
            Startup::Scram(s) => s.on_startup(client, message).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_and_differ_per_call() {
        let a = scram_secret("pw");
        let b = scram_secret("pw");
        assert!(a.starts_with("SCRAM-SHA-256$4096:"));
        assert_ne!(a, b, "a new salt each time");
        let (salt, salted) = parse_verifier(&a).unwrap();
        assert_eq!(salted, gen_salted_password("pw", &salt, ITERATIONS));
        assert!(parse_verifier("SCRAM-SHA-256$10:00$00").is_none());
        assert!(parse_verifier("plain").is_none());
    }
}
