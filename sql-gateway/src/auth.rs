//! Start-up and authentication: trust (only when configured) or SCRAM-SHA-256 against the
//! configured users' verifiers. A configured password becomes a verifier at start and is
//! neither kept nor logged.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion_postgres::pgwire::api::auth::noop::NoopStartupHandler;
use datafusion_postgres::pgwire::api::auth::{
    finish_authentication, protocol_negotiation, save_startup_parameters_to_metadata,
    DefaultServerParameterProvider, StartupHandler,
};
use datafusion_postgres::pgwire::api::{
    ClientInfo, ConnectionHandle, ConnectionManager, PgWireConnectionState, PidSecretKeyGenerator,
    RandomPidSecretKeyGenerator,
};
use datafusion_postgres::pgwire::error::{PgWireError, PgWireResult};
use datafusion_postgres::pgwire::messages::startup::Authentication;
use datafusion_postgres::pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use futures::{Sink, SinkExt};
use parking_lot::Mutex;

use crate::users::Users;

mod scram;

use scram::Verifier;
use scram::{Exchange, ScramError};

const MECHANISM: &str = "SCRAM-SHA-256";

/// The server parameters clients read at start-up.
pub(crate) fn server_parameters() -> DefaultServerParameterProvider {
    let mut p = DefaultServerParameterProvider::default();
    p.server_version = crate::PG_SERVER_VERSION.to_string();
    p.search_path = "default".to_string();
    p
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
    Scram(ScramStartup),
}

/// What start-up needs, prepared once: the users' verifiers.
#[derive(Debug)]
pub(crate) struct AuthConfig {
    trust: bool,
    verifiers: Arc<HashMap<String, Verifier>>,
    /// Seeds the made-up salts of unknown users: the same for the same configuration, so
    /// restarts and replicas show an unknown name the same salt, as a real user's is fixed.
    mock_secret: Arc<[u8; 32]>,
}

impl AuthConfig {
    /// Turns configured passwords into verifiers (the passwords are not kept) and reads the
    /// configured verifiers; a malformed one is an error naming its user.
    pub(crate) fn new(users: &Users) -> Result<AuthConfig, String> {
        let mut verifiers = HashMap::new();
        for u in users.iter() {
            let verifier = match (&u.scram, &u.password) {
                (Some(v), _) => {
                    Verifier::parse(v).map_err(|e| format!("gateway user {}: {e}", u.name))?
                }
                (None, Some(pw)) => Verifier::new(pw),
                (None, None) => continue,
            };
            verifiers.insert(u.name.clone(), verifier);
        }
        let mock_secret = scram::mock_secret(verifiers.values());
        Ok(AuthConfig {
            trust: users.trust,
            verifiers: Arc::new(verifiers),
            mock_secret: Arc::new(mock_secret),
        })
    }
}

impl Startup {
    /// The handler of one connection (SCRAM keeps per-connection state).
    pub(crate) fn new(auth: &AuthConfig, manager: Arc<ConnectionManager>) -> Startup {
        if auth.trust {
            return Startup::Trust(Trust { manager });
        }
        Startup::Scram(ScramStartup {
            verifiers: Arc::clone(&auth.verifiers),
            mock_secret: Arc::clone(&auth.mock_secret),
            manager,
            state: Mutex::new(None),
        })
    }
}

/// A verifier for `password`, printed as PostgreSQL stores it:
/// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. The configuration can hold it
/// instead of the password.
pub fn scram_secret(password: &str) -> String {
    Verifier::new(password).to_string()
}

/// SCRAM-SHA-256 start-up of one connection.
pub(crate) struct ScramStartup {
    verifiers: Arc<HashMap<String, Verifier>>,
    mock_secret: Arc<[u8; 32]>,
    manager: Arc<ConnectionManager>,
    /// The exchange once the server's first message is sent.
    state: Mutex<Option<Box<Exchange>>>,
}

impl ScramStartup {
    /// The start-up user's verifier, or a stand-in that fails at the proof, so that an
    /// unknown name and a wrong password look the same to the client.
    fn verifier(&self, user: &str) -> Verifier {
        match self.verifiers.get(user) {
            Some(v) => v.clone(),
            None => Verifier::mock(user, self.mock_secret.as_slice()),
        }
    }

    /// The reply to a password-family message: the server's first or final SCRAM message.
    fn step<C: ClientInfo>(
        &self,
        client: &C,
        msg: datafusion_postgres::pgwire::messages::startup::PasswordMessageFamily,
    ) -> PgWireResult<(Authentication, bool)> {
        // The start-up message's user; the name inside SCRAM is ignored, as PostgreSQL does.
        let user = client.metadata().get("user").cloned().unwrap_or_default();
        let to_wire = |e: ScramError| match e {
            ScramError::Protocol(m) => PgWireError::InvalidScramMessage(m),
            ScramError::WrongPassword => PgWireError::InvalidPassword(user.clone()),
        };
        let mut state = self.state.lock();
        match state.take() {
            None => {
                let first = msg.into_sasl_initial_response()?;
                if first.auth_method != MECHANISM {
                    return Err(PgWireError::UnsupportedSASLAuthMethod(first.auth_method));
                }
                let data = first.data.unwrap_or_default();
                let (exchange, reply) =
                    Exchange::start(self.verifier(&user), &data, &scram::server_nonce())
                        .map_err(to_wire)?;
                *state = Some(Box::new(exchange));
                Ok((Authentication::SASLContinue(reply.into()), false))
            }
            Some(exchange) => {
                let last = msg.into_sasl_response()?;
                let reply = exchange.finish(&last.data).map_err(to_wire)?;
                Ok((Authentication::SASLFinal(reply.into()), true))
            }
        }
    }
}

#[async_trait]
impl StartupHandler for ScramStartup {
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
        match message {
            PgWireFrontendMessage::Startup(ref startup) => {
                protocol_negotiation(client, startup).await?;
                save_startup_parameters_to_metadata(client, startup);
                client.set_state(PgWireConnectionState::AuthenticationInProgress);
                let mechanisms = vec![MECHANISM.to_string()];
                client
                    .send(PgWireBackendMessage::Authentication(Authentication::SASL(
                        mechanisms,
                    )))
                    .await?;
            }
            PgWireFrontendMessage::PasswordMessageFamily(msg) => {
                let (reply, done) = self.step(client, msg)?;
                client
                    .send(PgWireBackendMessage::Authentication(reply))
                    .await?;
                if done {
                    // Registered for CancelRequest, as pgwire's own handlers do.
                    let (pid, key) = RandomPidSecretKeyGenerator::default().generate(client);
                    client.set_pid_and_secret_key(pid, key.clone());
                    let (handle, guard) = self.manager.register(pid, key);
                    client
                        .session_extensions()
                        .insert::<Arc<ConnectionHandle>>(handle);
                    client.session_extensions().insert(guard);
                    finish_authentication(client, &server_parameters()).await?;
                }
            }
            _ => {}
        }
        Ok(())
    }
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
