//! A counting loopback proxy in front of a registry: every request line
//! that passes is recorded, so a test can say how many requests reached
//! the registry and which. It can also stall (accept and never answer, as
//! a hung registry does) or fail (answer 503 to everything, as a registry
//! in an outage does).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does with new connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Pass everything through.
    Forward,
    /// Accept and hold; nothing is read or answered.
    Stall,
    /// Answer `503 Service Unavailable` and close.
    Fail,
}

/// A running proxy.
#[derive(Debug)]
pub(crate) struct Proxy {
    addr: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
    connections: Arc<Mutex<usize>>,
    mode: watch::Sender<Mode>,
}

impl Proxy {
    /// Starts a proxy for `upstream` (`127.0.0.1:PORT`).
    pub(crate) async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(Mutex::new(0));
        let (mode, watch) = watch::channel(Mode::Forward);
        let upstream = upstream.to_owned();
        let (seen, count) = (lines.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                *count.lock().unwrap() += 1;
                let (upstream, seen, watch) = (upstream.clone(), seen.clone(), watch.clone());
                tokio::spawn(handle(client, upstream, seen, watch));
            }
        });
        Self {
            addr,
            lines,
            connections,
            mode,
        }
    }

    /// `127.0.0.1:PORT`, to use as the registry host.
    pub(crate) fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Every request line seen so far (`GET /v2/... HTTP/1.1`).
    pub(crate) fn requests(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Connections accepted so far, whatever the mode.
    pub(crate) fn connections(&self) -> usize {
        *self.connections.lock().unwrap()
    }

    /// Changes what connections get: forwarded ones are cut when the mode
    /// leaves `Forward`, stalled ones closed when it leaves `Stall`.
    pub(crate) fn set_mode(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

async fn handle(
    mut client: TcpStream,
    upstream: String,
    seen: Arc<Mutex<Vec<String>>>,
    mut mode: watch::Receiver<Mode>,
) {
    let current = *mode.borrow_and_update();
    match current {
        Mode::Stall => {
            let _ = mode.wait_for(|m| *m != Mode::Stall).await;
        }
        Mode::Fail => {
            let mut buffer = [0_u8; 4096];
            let _ = client.read(&mut buffer).await;
            let answer = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
            let _ = client.write_all(answer.as_bytes()).await;
        }
        Mode::Forward => {
            let Ok(server) = TcpStream::connect(&upstream).await else {
                return;
            };
            // A registry that goes down drops the connections it had.
            tokio::select! {
                () = forward(client, server, seen) => {}
                _ = mode.wait_for(|m| *m != Mode::Forward) => {}
            }
        }
    }
}

/// Copies both ways, recording request lines from the client side.
async fn forward(client: TcpStream, server: TcpStream, seen: Arc<Mutex<Vec<String>>>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upward = async move {
        let mut buffer = vec![0_u8; 64 * 1024];
        loop {
            let n = match client_read.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            record(&buffer[..n], &seen);
            if server_write.write_all(&buffer[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let downward = async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(upward, downward);
}

/// Request lines in a chunk of client bytes: lines ending in `HTTP/1.1`.
/// Registry clients send small GET and HEAD requests, so a request line is
/// never split across reads in practice.
fn record(chunk: &[u8], seen: &Mutex<Vec<String>>) {
    let text = String::from_utf8_lossy(chunk);
    let mut seen = seen.lock().unwrap();
    for line in text.split("\r\n") {
        if line.ends_with(" HTTP/1.1") {
            seen.push(line.to_owned());
        }
    }
}
