//! The conformance suite through the wire, plus server behaviour: a live server on
//! 127.0.0.1:0 with `ThriftCatalog` as its client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use metastore::thrift::{serve, ThriftCatalog, ThriftConfig};
use metastore::Catalog;

pub(crate) struct Running {
    _dir: tempfile::TempDir,
    pub(crate) addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

pub(crate) async fn start(config: ThriftConfig) -> Running {
    let (dir, local) = crate::conformance::local();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let catalog: Arc<dyn Catalog> = local;
    tokio::spawn(async move {
        serve(listener, catalog, config, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Running {
        _dir: dir,
        addr,
        stop: Some(tx),
    }
}

async fn remote() -> (Running, Arc<ThriftCatalog>) {
    let server = start(ThriftConfig::default()).await;
    let client = Arc::new(ThriftCatalog::new(&server.addr.to_string()));
    (server, client)
}

mod thrift_catalog {
    crate::conformance_suite!(super::remote());
}

fn message(name: &str, body: &[u8]) -> Vec<u8> {
    let mut m = vec![0x80, 0x01, 0x00, 0x01];
    m.extend_from_slice(&(name.len() as i32).to_be_bytes());
    m.extend_from_slice(name.as_bytes());
    m.extend_from_slice(&1i32.to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// Reads one reply's header: (message type, name).
fn reply_header(s: &mut TcpStream) -> (u8, String) {
    let mut head = [0u8; 8];
    s.read_exact(&mut head).unwrap();
    let len = i32::from_be_bytes([head[4], head[5], head[6], head[7]]) as usize;
    let mut name = vec![0u8; len];
    s.read_exact(&mut name).unwrap();
    (head[3], String::from_utf8(name).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_method_keeps_the_connection_usable() {
    let server = start(ThriftConfig::default()).await;
    let addr = server.addr;
    tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        // An unknown method with a non-empty argument struct (one string field).
        let mut body = vec![0x0B, 0, 1, 0, 0, 0, 3];
        body.extend_from_slice(b"abc");
        body.push(0);
        s.write_all(&message("no_such_method", &body)).unwrap();
        assert_eq!(
            reply_header(&mut s),
            (3, "no_such_method".to_string()),
            "an EXCEPTION reply"
        );
        // The exception struct: field 1 message (string), field 2 type (i32) = UNKNOWN_METHOD.
        let mut buf = vec![0u8; 256];
        let n = s.read(&mut buf).unwrap();
        assert!(
            buf[..n].windows(7).any(|w| w == [0x08, 0, 2, 0, 0, 0, 1]),
            "{:?}",
            &buf[..n]
        );
        // Same connection: a real call works.
        s.write_all(&message("get_all_databases", &[0])).unwrap();
        assert_eq!(reply_header(&mut s), (2, "get_all_databases".to_string()));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_and_garbage_input_only_closes_that_connection() {
    let server = start(ThriftConfig {
        max_message_size: 1 << 20,
        ..ThriftConfig::default()
    })
    .await;
    let addr = server.addr;
    tokio::task::spawn_blocking(move || {
        // Reads what the server says before it closes; Err if it keeps the connection open.
        let reply = |mut s: TcpStream| {
            s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .unwrap();
            let mut all = Vec::new();
            s.read_to_end(&mut all)
                .map(|_| String::from_utf8_lossy(&all).into_owned())
        };
        let closed = |s: TcpStream| reply(s).is_ok();
        let mut huge = vec![0x0B, 0, 1];
        huge.extend_from_slice(&0x7FFF_FFF0i32.to_be_bytes());
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(&message("get_database", &huge)).unwrap();
        let said = reply(s).expect("the connection is closed after the error reply");
        assert!(said.contains("maximum message size"), "{said}");
        // the same for a partition listing, which is served outside the generated processor
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(&message("get_partitions_by_names", &huge))
            .unwrap();
        let said = reply(s).expect("the connection is closed after the error reply");
        assert!(said.contains("maximum message size"), "{said}");
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(&[0x7f, 0xff, 0xff, 0xff, 0x80, 0x01]).unwrap();
        assert!(closed(s));
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        assert!(closed(s));
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(&[0x01, 0, 0, 0, 5, b'P', b'L', b'A', b'I', b'N'])
            .unwrap();
        assert!(closed(s));
    })
    .await
    .unwrap();
    let client = ThriftCatalog::new(&server.addr.to_string());
    assert_eq!(client.list_databases(None).await.unwrap(), vec!["default"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn many_idle_connections_do_not_starve_new_ones() {
    let server = start(ThriftConfig::default()).await;
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    let client = ThriftCatalog::new(&server.addr.to_string());
    let got = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        client.get_database("default"),
    )
    .await;
    assert!(got.unwrap().is_ok());
    drop(idle);
}
