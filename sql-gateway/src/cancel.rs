//! Query cancellation. pgwire races a CancelRequest only against planning; rows are produced
//! while they stream, so each session also wraps its result streams to stop at a cancel.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion_postgres::pgwire::api::cancel::CancelHandler;
use datafusion_postgres::pgwire::api::results::SendableRowStream;
use datafusion_postgres::pgwire::api::ConnectionManager;
use datafusion_postgres::pgwire::error::{ErrorInfo, PgWireError};
use datafusion_postgres::pgwire::messages::cancel::CancelRequest;
use futures::StreamExt;
use parking_lot::Mutex;
use tokio::sync::Notify;

/// A connection's cancel signal: a counter of requests and a wake-up for waiting streams.
#[derive(Debug, Default)]
pub(crate) struct CancelState {
    requested: AtomicU64,
    notify: Notify,
}

type ConnKey = (i32, Vec<u8>);

/// Cancel signals of the open connections, by backend key.
#[derive(Debug, Default)]
pub(crate) struct Cancels {
    by_conn: Mutex<HashMap<ConnKey, Arc<CancelState>>>,
}

impl Cancels {
    /// The signal of a connection, created on first use.
    pub(crate) fn state(&self, key: ConnKey) -> Arc<CancelState> {
        Arc::clone(self.by_conn.lock().entry(key).or_default())
    }

    /// Forgets a closed connection.
    pub(crate) fn remove(&self, key: &ConnKey) {
        self.by_conn.lock().remove(key);
    }
}

/// Routes CancelRequests to both pgwire's planning race and the row streams.
pub(crate) struct Canceller {
    pub(crate) cancels: Arc<Cancels>,
    pub(crate) manager: Arc<ConnectionManager>,
}

#[async_trait]
impl CancelHandler for Canceller {
    async fn on_cancel_request(&self, req: CancelRequest) {
        let key = (req.pid, req.secret_key.to_bytes().to_vec());
        let state = self.cancels.by_conn.lock().get(&key).cloned();
        if let Some(state) = state {
            state.requested.fetch_add(1, Ordering::SeqCst);
            state.notify.notify_waiters();
        }
        self.manager.cancel(req.pid, &req.secret_key).await;
    }
}

fn canceled() -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".into(),
        "57014".into(),
        "canceling statement due to user request".into(),
    )))
}

/// A result's rows, stopping at the next cancel of the connection.
pub(crate) fn guard(rows: SendableRowStream, state: Arc<CancelState>) -> SendableRowStream {
    let start = state.requested.load(Ordering::SeqCst);
    Box::pin(futures::stream::unfold(Some(rows), move |rows| {
        let state = Arc::clone(&state);
        async move {
            let mut rows = rows?;
            let notified = state.notify.notified();
            if state.requested.load(Ordering::SeqCst) != start {
                return Some((Err(canceled()), None));
            }
            tokio::select! {
                _ = notified => Some((Err(canceled()), None)),
                item = rows.next() => item.map(|i| (i, Some(rows))),
            }
        }
    }))
}
