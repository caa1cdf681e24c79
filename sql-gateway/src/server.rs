//! The pgwire listener: one task per connection behind a connection cap, optional TLS,
//! graceful stop.

use std::future::Future;
use std::sync::Arc;

use datafusion_postgres::pgwire::api::auth::StartupHandler;
use datafusion_postgres::pgwire::api::cancel::CancelHandler;
use datafusion_postgres::pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use datafusion_postgres::pgwire::api::{
    ClientInfo, ConnectionManager, ErrorHandler, PgWireServerHandlers,
};
use datafusion_postgres::pgwire::error::PgWireError;
use datafusion_postgres::pgwire::tokio::process_socket;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::auth::{AuthConfig, Startup};
use crate::cancel::Canceller;
use crate::session::Session;
use crate::Shared;

struct Handlers {
    session: Arc<Session>,
    startup: Arc<Startup>,
    cancel: Arc<Canceller>,
}

struct Errors;

impl ErrorHandler for Errors {
    fn on_error<C: ClientInfo>(&self, _client: &C, error: &mut PgWireError) {
        crate::error::rewrite_wire_error(error);
        tracing::debug!(error = %error, "statement failed");
    }
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        Arc::clone(&self.session)
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        Arc::clone(&self.session)
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        Arc::clone(&self.startup)
    }

    fn error_handler(&self) -> Arc<impl ErrorHandler> {
        Arc::new(Errors)
    }

    fn cancel_handler(&self) -> Arc<impl CancelHandler> {
        Arc::clone(&self.cancel)
    }
}

/// Serves pgwire on `listener` until `shutdown` completes.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    auth: AuthConfig,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let manager = Arc::new(ConnectionManager::new());
    let cancel = Arc::new(Canceller {
        cancels: Arc::clone(&shared.cancels),
        manager: Arc::clone(&manager),
    });
    let slots = Arc::new(Semaphore::new(shared.config.max_connections));
    tokio::pin!(shutdown);
    loop {
        let (socket, addr) = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
        };
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::warn!(%addr, "too many gateway connections; closing a new one");
            continue;
        };
        let _ = socket.set_nodelay(true);
        let handlers = Arc::new(Handlers {
            session: Arc::new(Session::new(Arc::clone(&shared))),
            startup: Arc::new(Startup::new(&auth, Arc::clone(&manager))),
            cancel: Arc::clone(&cancel),
        });
        let tls = tls.clone();
        tokio::spawn(async move {
            if let Err(e) = process_socket(socket, tls, handlers).await {
                tracing::debug!(%addr, error = %e, "gateway connection ended with an error");
            }
            drop(permit);
        });
    }
}
