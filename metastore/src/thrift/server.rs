//! The Thrift server. Tokio accepts; each connection then gets its own thread running the
//! blocking protocol loop, because Hive clients hold connections open for a long time and a
//! fixed worker pool would starve new ones. A connection cap bounds the threads.
//!
//! Shutdown: stop accepting, close the read side of every connection (a call in progress
//! still gets its answer), then wait for the connection threads to finish.

use std::collections::HashMap;
use std::future::Future;
use std::io::{BufReader, BufWriter, Cursor, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use thrift::protocol::{TBinaryOutputProtocol, TInputProtocol};
use thrift::server::TProcessor;
use thrift_idl::hms::ThriftHiveMetastoreSyncProcessor;
use tokio::net::TcpListener;

use super::handler::Handler;
use super::listing::{self, Listing};
use super::protocol::{detect, BoundedBinaryInput, FramedReader, FramedWriter, Framing};
use crate::catalog::Catalog;

/// Settings of the Thrift server.
#[derive(Debug, Clone)]
pub struct ThriftConfig {
    /// Largest request accepted, in bytes; a longer length or frame is refused before any
    /// allocation and the connection is closed.
    pub max_message_size: usize,
    /// Largest list, set or map accepted in a request.
    pub max_collection_len: usize,
    /// Most connections served at once; more are closed on accept, with a log line.
    pub max_connections: usize,
    /// How long shutdown waits for calls in progress.
    pub drain_timeout: Duration,
}

impl Default for ThriftConfig {
    fn default() -> Self {
        ThriftConfig {
            max_message_size: 100 << 20,
            max_collection_len: 1_000_000,
            max_connections: 2000,
            drain_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Default)]
struct Live {
    next: AtomicU64,
    conns: Mutex<HashMap<u64, TcpStream>>,
}

/// Serves the Hive Metastore protocol on `listener` until `shutdown` completes, then drains.
pub async fn serve(
    listener: TcpListener,
    catalog: Arc<dyn Catalog>,
    config: ThriftConfig,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let handler = Handler::new(catalog, tokio::runtime::Handle::current());
    let live = Arc::new(Live::default());
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    if let Err(e) = admit(stream, peer, &handler, &config, &live) {
                        tracing::warn!(%peer, error = %e, "could not start a connection");
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    drain(&live, config.drain_timeout).await;
    Ok(())
}

fn admit(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    handler: &Handler,
    config: &ThriftConfig,
    live: &Arc<Live>,
) -> std::io::Result<()> {
    let stream = stream.into_std()?;
    stream.set_nonblocking(false)?;
    stream.set_nodelay(true)?;
    if live.conns.lock().len() >= config.max_connections {
        tracing::warn!(%peer, max = config.max_connections, "connection limit reached; closing");
        return Ok(());
    }
    let id = live.next.fetch_add(1, Ordering::Relaxed);
    live.conns.lock().insert(id, stream.try_clone()?);
    let (handler, config, live2) = (handler.clone(), config.clone(), Arc::clone(live));
    /// Frees the connection's slot when its thread ends, even by a panic.
    struct Slot(Arc<Live>, u64);
    impl Drop for Slot {
        fn drop(&mut self) {
            self.0.conns.lock().remove(&self.1);
        }
    }
    let spawned = std::thread::Builder::new()
        .name(format!("hms-conn-{id}"))
        .spawn(move || {
            let _slot = Slot(live2, id);
            tracing::debug!(%peer, "connection opened");
            serve_connection(stream, peer, handler, &config);
            tracing::debug!(%peer, "connection closed");
        });
    if let Err(e) = spawned {
        live.conns.lock().remove(&id);
        return Err(e);
    }
    Ok(())
}

async fn drain(live: &Live, timeout: Duration) {
    for s in live.conns.lock().values() {
        let _ = s.shutdown(Shutdown::Read);
    }
    let start = Instant::now();
    while !live.conns.lock().is_empty() && start.elapsed() < timeout {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let left = live.conns.lock().len();
    if left > 0 {
        tracing::warn!(left, "connections still busy after the drain timeout");
    }
}

fn serve_connection(stream: TcpStream, peer: SocketAddr, handler: Handler, config: &ThriftConfig) {
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::with_capacity(64 << 10, stream);
    let mut first = [0u8; 4];
    if reader.read_exact(&mut first).is_err() {
        return;
    }
    let processor = ThriftHiveMetastoreSyncProcessor::new(handler.clone());
    let (max, elems) = (config.max_message_size, config.max_collection_len);
    match detect(first, max) {
        Framing::Unframed => {
            let input = BoundedBinaryInput::new(Cursor::new(first).chain(reader), max, elems);
            let output =
                TBinaryOutputProtocol::new(BufWriter::with_capacity(64 << 10, write_half), true);
            call_loop(&processor, &handler, input, output, peer);
        }
        Framing::Framed(len) => {
            let input = BoundedBinaryInput::new(FramedReader::new(reader, len, max), max, elems);
            let output =
                TBinaryOutputProtocol::new(FramedWriter::new(BufWriter::new(write_half)), true);
            call_loop(&processor, &handler, input, output, peer);
        }
        Framing::Refused(why) => {
            tracing::warn!(%peer, first_bytes = ?first, reason = why, "closing connection");
        }
    }
}

fn call_loop<R: Read, W: Write>(
    processor: &ThriftHiveMetastoreSyncProcessor<Handler>,
    handler: &Handler,
    mut input: BoundedBinaryInput<R>,
    mut output: TBinaryOutputProtocol<W>,
    peer: SocketAddr,
) {
    loop {
        match call(processor, handler, &mut input, &mut output) {
            Ok(()) if input.is_broken() => {
                tracing::warn!(%peer, "closing connection: a request exceeded the size limits");
                return;
            }
            Ok(()) => {}
            Err(thrift::Error::Transport(e))
                if matches!(e.kind, thrift::TransportErrorKind::EndOfFile) =>
            {
                return;
            }
            Err(e) => {
                tracing::warn!(%peer, error = ?e, "closing connection after a protocol error");
                return;
            }
        }
    }
}

/// One call: partition listings are streamed (`listing`), the rest go to the generated
/// processor, which reads the message header again from `input`.
fn call<R: Read, W: Write>(
    processor: &ThriftHiveMetastoreSyncProcessor<Handler>,
    handler: &Handler,
    input: &mut BoundedBinaryInput<R>,
    output: &mut TBinaryOutputProtocol<W>,
) -> thrift::Result<()> {
    let ident = input.read_message_begin()?;
    match Listing::of(&ident.name) {
        Some(listing) => {
            // As the generated processor does: a call whose arguments cannot be read still
            // gets an exception reply (then `is_broken` closes the connection).
            let served = listing::serve(listing, handler, ident.sequence_number, input, output);
            thrift::server::handle_process_result(&ident, served, output)
        }
        None => {
            input.replay(ident);
            processor.process(input, output)
        }
    }
}
