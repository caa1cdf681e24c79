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

impl Startup {
    /// The handler for the configured users.
    pub(crate) fn new(users: &Users, manager: Arc<ConnectionManager>) -> Startup {
        if users.trust {
            return Startup::Trust(Trust { manager });
        }
        let by_user = users
            .iter()
            .filter_map(|u| {
                let pw = u.password.as_ref()?;
                let salt: Vec<u8> = (0..16).map(|_| rand_byte()).collect();
                Some((
                    u.name.clone(),
                    (salt.clone(), gen_salted_password(pw, &salt, ITERATIONS)),
                ))
            })
            .collect();
        let mut scram = ScramAuth::new(Arc::new(Secrets { by_user }));
        scram.set_iterations(ITERATIONS);
        let handler = SASLAuthStartupHandler::new(Arc::new(server_parameters()))
            .with_scram(scram)
            .with_connection_manager(manager);
        Startup::Scram(Box::new(handler))
    }
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
